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

// A reused struct holds nothing of its previous value, whatever the sizes of the two schemas.
func TestStructValueReuse(t *testing.T) {
	small := (&Schema{Type: Struct}).AddField("a", Int32Schema)
	large := (&Schema{Type: Struct}).AddField("x", Int32Schema).AddField("y", Int32Schema).AddField("z", Int32Schema)
	s := NewStruct(large)
	for i := range 3 {
		s.PutAt(i, int32(i))
	}
	s.Reuse(small)
	if s.Schema != small || s.Has("a") || s.At(0) != nil {
		t.Fatalf("reused as the small schema: schema %p, a set %v", s.Schema, s.Has("a"))
	}
	s.PutAt(0, int32(7))
	s.Reuse(large)
	for i, f := range large.Fields {
		if s.Has(f.Name) {
			t.Errorf("field %d still set after reuse: %v", i, s.At(i))
		}
	}
	s.PutAt(2, int32(9))
	if s.Get("z") != int32(9) || s.Has("x") {
		t.Fatalf("after reuse z = %v, x set %v", s.Get("z"), s.Has("x"))
	}
}
