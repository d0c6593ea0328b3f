package connect

import "testing"

func TestStructValueFields(t *testing.T) {
	schema := (&Schema{Type: Struct}).AddField("a", Int32Schema).AddField("b", OptionalStringSchema).
		AddField("c", &Schema{Type: String, Optional: true, Default: "dflt"})
	s := NewStruct(schema)
	if _, err := s.Put("a", int32(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put("b", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put("nope", 1); err == nil || err.Error() != "nope is not a valid field name" {
		t.Fatalf("unknown field: %v", err)
	}
	for _, tc := range []struct {
		field    string
		at       int
		get, def any
		has      bool
	}{
		{"a", 0, int32(1), int32(1), true},
		{"b", 1, nil, nil, true}, // set to null: Has tells it from unset
		{"c", 2, nil, "dflt", false},
		{"nope", -1, nil, nil, false},
	} {
		if got := s.Get(tc.field); got != tc.get {
			t.Errorf("Get(%s) = %v, want %v", tc.field, got, tc.get)
		}
		if got := s.At(tc.at); got != tc.get {
			t.Errorf("At(%d) = %v, want %v", tc.at, got, tc.get)
		}
		if got := s.GetOrDefault(tc.field); got != tc.def {
			t.Errorf("GetOrDefault(%s) = %v, want %v", tc.field, got, tc.def)
		}
		if got := s.Has(tc.field); got != tc.has {
			t.Errorf("Has(%s) = %v, want %v", tc.field, got, tc.has)
		}
	}
	if got := s.String(); got != "Struct{a=1}" {
		t.Errorf("String() = %s", got)
	}
	// A field added to the schema after the struct was made can still be set.
	schema.AddField("d", Int64Schema)
	s.PutAt(3, int64(4))
	if s.Get("d") != int64(4) || s.At(4) != nil {
		t.Errorf("grown schema: %v %v", s.Get("d"), s.At(4))
	}
}
