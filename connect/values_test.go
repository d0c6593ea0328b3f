package connect

import (
	"reflect"
	"testing"
	"time"
)

func TestParseString(t *testing.T) {
	tests := []struct {
		in     string
		schema *Schema
		want   any
	}{
		{"", StringSchema, ""},
		{"TRUE", BooleanSchema, true},
		{"-128", Int8Schema, int8(-128)},
		{"128", Int16Schema, int16(128)},
		{"40000", Int32Schema, int32(40000)},
		{"3000000000", Int64Schema, int64(3000000000)},
		{"1.25", Float32Schema, float32(1.25)},
		{"1e40", Float64Schema, 1e40},
		{"0x10", StringSchema, "0x10"},
		{"Inf", StringSchema, "Inf"},
		{"2024-01-02T03:04:05.006Z", TimestampSchema(false), time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC)},
		{"2024-01-02", DateSchema(false), time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"03:04:05.006Z", TimeSchema(false), time.Date(0, 1, 1, 3, 4, 5, 6e6, time.UTC)},
		{`["a","b"]`, &Schema{Type: Array, ValueSchema: StringSchema}, []any{"a", "b"}},
		{`[1,"b"]`, StringSchema, `[1,"b"]`},
		{"hello world", StringSchema, "hello world"},
	}
	for _, tt := range tests {
		schema, v := ParseString(tt.in)
		if !reflect.DeepEqual(schema, tt.schema) || !reflect.DeepEqual(v, tt.want) {
			t.Errorf("%q: %+v %#v, want %+v %#v", tt.in, schema, v, tt.schema, tt.want)
		}
	}
}

func TestValueString(t *testing.T) {
	tests := []struct {
		schema *Schema
		value  any
		want   string
	}{
		{nil, float32(1), "1.0"},
		{nil, 1.5e10, "1.5E10"},
		{nil, 0.0001, "1.0E-4"},
		{nil, int16(-3), "-3"},
		{nil, []byte{1, 2, 3}, "AQID"},
		{nil, map[string]any{"b": int64(1), "a": "x"}, `{"a":"x","b":1}`},
		{DateSchema(false), time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), "2024-01-02"},
	}
	for _, tt := range tests {
		if got := ValueString(tt.schema, tt.value); got != tt.want {
			t.Errorf("%#v: %s, want %s", tt.value, got, tt.want)
		}
	}
}

func FuzzParseString(f *testing.F) {
	for _, s := range []string{"1", "-1.5", "true", "[1,2]", `{"a":[1]}`, "2024-01-02", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		schema, v := ParseString(s)
		if schema == nil {
			t.Fatalf("%q: no schema", s)
		}
		// What parses as a primitive prints back as text that parses to the same value.
		if schema.Type != Array && schema.Type != Map && schema.Type != String {
			s2 := ValueString(schema, v)
			if _, v2 := ParseString(s2); !reflect.DeepEqual(v, v2) {
				t.Fatalf("%q -> %#v -> %q -> %#v", s, v, s2, v2)
			}
		}
	})
}
