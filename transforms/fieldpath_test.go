package transforms

import (
	"reflect"
	"strings"
	"testing"

	"github.com/connectd/connectd/connect"
)

// From Kafka's FieldPathNotationTest.
func TestFieldPathNotation(t *testing.T) {
	for _, path := range []string{"foo.bar.baz", "foo`bar`", "foo.`bar.baz`"} {
		if p, err := parseFieldPath(path, "V1"); err != nil || !reflect.DeepEqual(p.steps, []string{path}) {
			t.Errorf("V1 %q: %q %v", path, p.steps, err)
		}
	}
	for path, want := range map[string][]string{
		"..":                    {"", "", ""},
		"foo..":                 {"foo", "", ""},
		".bar.":                 {"", "bar", ""},
		"..baz":                 {"", "", "baz"},
		"":                      nil,
		"foobarbaz":             {"foobarbaz"},
		"foo.bar.baz":           {"foo", "bar", "baz"},
		"foo`bar`baz":           {"foo`bar`baz"},
		"`foo.bar.baz`":         {"foo.bar.baz"},
		"foo.`bar.baz`":         {"foo", "bar.baz"},
		"`foo.bar`.baz":         {"foo.bar", "baz"},
		"foo.`bar`.baz":         {"foo", "bar", "baz"},
		"foo.``bar.baz`":        {"foo", "`bar.baz"},
		"foo.`bar.baz``":        {"foo", "bar.baz`"},
		"foo.`ba`r.baz`":        {"foo", "ba`r.baz"},
		"foo.ba`r.baz":          {"foo", "ba`r", "baz"},
		"foo.``bar``.baz":       {"foo", "`bar`", "baz"},
		"``foo.bar.baz``":       {"`foo.bar.baz`"},
		"foo.`bar\\`.baz`":      {"foo", "bar`.baz"},
		"foo.`bar.`baz`":        {"foo", "bar.`baz"},
		"foo.`bar\\`.`baz`":     {"foo", "bar`.`baz"},
		"foo.`bar\\\\`.\\`baz`": {"foo", "bar\\`.\\`baz"},
	} {
		if p, err := parseFieldPath(path, "v2"); err != nil || !reflect.DeepEqual(p.steps, want) {
			t.Errorf("V2 %q: %q %v, want %q", path, p.steps, err, want)
		}
	}
	for path, at := range map[string]string{"`foo.bar.baz": "0", "foo.`bar.baz": "4", "foo.bar.`baz": "8", "foo.bar.`baz\\`": "8"} {
		want := "Incomplete backtick pair in path: [" + path + "], consider adding a backslash before backtick at position " + at + " to escape it"
		_, err := parseFieldPath(path, "V2")
		if err == nil || err.Error() != want {
			t.Errorf("%q: %v\nwant %s", path, err, want)
		}
	}
	err := (&ExtractField{}).Configure(map[string]string{"field": "a.`b", "field.syntax.version": "V2"})
	if _, ok := err.(*ConfigError); !ok {
		t.Errorf("an incomplete backtick pair is a config error: %T %v", err, err)
	}
}

// From Kafka's ExtractFieldTest and SingleFieldPath: nested paths in maps and structs, what a
// missing or non-nested step gives.
func TestExtractFieldPaths(t *testing.T) {
	fooSchema := (&connect.Schema{Type: connect.Struct}).AddField("foo", connect.Int32Schema)
	keySchema := (&connect.Schema{Type: connect.Struct}).AddField("magic", fooSchema).AddField("flat", connect.StringSchema)
	foo := connect.NewStruct(fooSchema)
	foo.Put("foo", int32(42))
	key := connect.NewStruct(keySchema)
	key.Put("magic", foo)
	key.Put("flat", "x")
	v2 := func(field string) map[string]string {
		return map[string]string{"field": field, "field.syntax.version": "V2"}
	}
	tests := []struct {
		name       string
		config     map[string]string
		in         Record
		want       any
		wantSchema *connect.Schema
		err        string
	}{
		{"schemaless nested", v2("magic.foo"), Record{Key: map[string]any{"magic": map[string]any{"foo": 42}}}, 42, nil, ""},
		{"schemaless missing nested", v2("magic.nonexistent"), Record{Key: map[string]any{"magic": map[string]any{"foo": 42}}}, nil, nil, ""},
		{"schemaless missing parent", v2("nope.foo"), Record{Key: map[string]any{"magic": 1}}, nil, nil, ""},
		{"V1 reads the dotted name", map[string]string{"field": "magic.foo"}, Record{Key: map[string]any{"magic.foo": 1, "magic": map[string]any{"foo": 42}}}, 1, nil, ""},
		{"schemaless parent not a map", v2("magic.foo"), Record{Key: map[string]any{"magic": "str"}}, nil, nil,
			"Only Map objects supported in absence of schema for [nested field access], found: java.lang.String"},
		{"struct nested", v2("magic.foo"), Record{KeySchema: keySchema, Key: key}, int32(42), connect.Int32Schema, ""},
		{"struct null", v2("magic.foo"), Record{KeySchema: keySchema}, nil, connect.Int32Schema, ""},
		{"struct missing nested", v2("magic.nonexistent"), Record{KeySchema: keySchema, Key: key}, nil, nil, "Unknown field: magic.nonexistent"},
		{"struct missing under V1", map[string]string{"field": "magic.foo"}, Record{KeySchema: keySchema, Key: key}, nil, nil, "Unknown field: magic.foo"},
		{"struct path through a string", v2("flat.foo"), Record{KeySchema: keySchema, Key: key}, nil, nil, "Unknown field: flat.foo"},
		{"message names the path as configured", v2("`magic`.nope"), Record{KeySchema: keySchema, Key: key}, nil, nil, "Unknown field: `magic`.nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.in
			_, err := build(t, "ExtractField$Key", tt.config).Apply(&r)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("%v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Key, tt.want) || r.KeySchema != tt.wantSchema {
				t.Errorf("got %v %v, want %v %v", r.KeySchema, r.Key, tt.wantSchema, tt.want)
			}
		})
	}
}

func FuzzFieldPath(f *testing.F) {
	for _, s := range []string{"a.b", "`a.b`.c", "``", "a..b", "`a`b`.c", "foo.`bar\\`.baz`", "`", "\\`"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		p, err := parseFieldPath(field, "V2")
		if err != nil {
			return
		}
		if field != "" && !strings.Contains(field, "`") && !reflect.DeepEqual(p.steps, strings.Split(field, ".")) {
			t.Fatalf("%q: %q, want its dot-separated names", field, p.steps)
		}
		_, _ = p.valueFrom(map[string]any{"a": map[string]any{"b": 1}})
		_, _ = p.fieldFrom(person)
	})
}
