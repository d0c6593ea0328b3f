package transforms

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect"
)

func build(t *testing.T, class string, config map[string]string) Transformation {
	t.Helper()
	p, ok := Lookup(class)
	if !ok || p.Predicate {
		t.Fatalf("no transformation %s", class)
	}
	tr := p.NewTransformation()
	if err := tr.Configure(config); err != nil {
		t.Fatalf("%s: %v", class, err)
	}
	return tr
}

var (
	nested = (&connect.Schema{Type: connect.Struct, Name: "inner"}).AddField("x", connect.Int32Schema).AddField("y", connect.OptionalStringSchema)
	person = (&connect.Schema{Type: connect.Struct, Name: "person", Version: 1}).
		AddField("id", connect.Int64Schema).AddField("name", connect.StringSchema).AddField("age", connect.OptionalInt32Schema)
)

func newPerson(id int64, name string, age any) *connect.StructValue {
	s := connect.NewStruct(person)
	s.Put("id", id)
	s.Put("name", name)
	s.Put("age", age)
	return s
}

// structMap renders a struct as a map of its fields, for comparing.
func structMap(s *connect.StructValue) map[string]any {
	out := map[string]any{}
	for _, f := range s.Schema.Fields {
		v := s.Get(f.Name)
		if n, ok := v.(*connect.StructValue); ok {
			v = structMap(n)
		}
		out[f.Name] = v
	}
	return out
}

func fieldNames(s *connect.Schema) string {
	var names []string
	for _, f := range s.Fields {
		n := f.Name + ":" + string(f.Schema.Type)
		if f.Schema.Optional {
			n += "?"
		}
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

func TestSchemalessTransforms(t *testing.T) {
	ts := time.UnixMilli(1700000000123).UTC()
	tests := []struct {
		name, class string
		config      map[string]string
		in          Record
		want        Record
		drop        bool
	}{
		{"hoist", "HoistField$Value", map[string]string{"field": "line"},
			Record{Value: "hello"}, Record{Value: map[string]any{"line": "hello"}}, false},
		{"hoist key", "org.apache.kafka.connect.transforms.HoistField$Key", map[string]string{"field": "k"},
			Record{Key: int64(1)}, Record{Key: map[string]any{"k": int64(1)}}, false},
		{"extract", "ExtractField$Value", map[string]string{"field": "a"},
			Record{Value: map[string]any{"a": "x", "b": 2}}, Record{Value: "x"}, false},
		{"extract from null", "ExtractField$Value", map[string]string{"field": "a"},
			Record{Value: nil}, Record{Value: nil}, false},
		{"insert", "InsertField$Value", map[string]string{"topic.field": "t", "partition.field": "p", "timestamp.field": "ts", "static.field": "s", "static.value": "v"},
			Record{Topic: "top", Partition: 3, Timestamp: ts, Value: map[string]any{"a": 1}},
			Record{Topic: "top", Partition: 3, Timestamp: ts, Value: map[string]any{"a": 1, "t": "top", "p": int32(3), "ts": int64(1700000000123), "s": "v"}}, false},
		{"insert offset on sink", "InsertField$Value", map[string]string{"offset.field": "o"},
			Record{Sink: true, Offset: 9, Partition: -1, Value: map[string]any{}}, Record{Sink: true, Offset: 9, Partition: -1, Value: map[string]any{"o": int64(9)}}, false},
		{"insert keeps tombstone", "InsertField$Value", map[string]string{"topic.field": "t"},
			Record{Topic: "a"}, Record{Topic: "a"}, false},
		{"value to key", "ValueToKey", map[string]string{"fields": "a,b"},
			Record{Value: map[string]any{"a": 1, "b": 2, "c": 3}}, Record{Key: map[string]any{"a": 1, "b": 2}, Value: map[string]any{"a": 1, "b": 2, "c": 3}}, false},
		{"regex router", "RegexRouter", map[string]string{"regex": "(.*)-(\\d+)", "replacement": "$2_$1"},
			Record{Topic: "orders-7"}, Record{Topic: "7_orders"}, false},
		{"regex router needs a full match", "RegexRouter", map[string]string{"regex": "orders", "replacement": "x"},
			Record{Topic: "orders-7"}, Record{Topic: "orders-7"}, false},
		{"timestamp router", "TimestampRouter", map[string]string{"topic.format": "${topic}_${timestamp}", "timestamp.format": "yyyy-MM-dd"},
			Record{Topic: "t", Timestamp: ts}, Record{Topic: "t_2023-11-14", Timestamp: ts}, false},
		{"filter", "Filter", nil, Record{Value: "x"}, Record{}, true},
		{"replace", "ReplaceField$Value", map[string]string{"exclude": "c", "renames": "a:aa"},
			Record{Value: map[string]any{"a": 1, "b": 2, "c": 3}}, Record{Value: map[string]any{"aa": 1, "b": 2}}, false},
		{"replace include", "ReplaceField$Value", map[string]string{"include": "a,c"},
			Record{Value: map[string]any{"a": 1, "b": 2, "c": 3}}, Record{Value: map[string]any{"a": 1, "c": 3}}, false},
		{"mask", "MaskField$Value", map[string]string{"fields": "s,i,b,l"},
			Record{Value: map[string]any{"s": "secret", "i": int32(5), "b": true, "l": []any{1}, "keep": "x"}},
			Record{Value: map[string]any{"s": "", "i": int32(0), "b": false, "l": []any{}, "keep": "x"}}, false},
		{"mask with replacement", "MaskField$Value", map[string]string{"fields": "s,i", "replacement": "42"},
			Record{Value: map[string]any{"s": "secret", "i": int64(5)}}, Record{Value: map[string]any{"s": "42", "i": int64(42)}}, false},
		{"flatten", "Flatten$Value", map[string]string{"delimiter": "_"},
			Record{Value: map[string]any{"a": map[string]any{"b": 1, "c": map[string]any{"d": "x"}}, "e": 2}},
			Record{Value: map[string]any{"a_b": 1, "a_c_d": "x", "e": 2}}, false},
		{"cast fields", "Cast$Value", map[string]string{"spec": "a:int32,b:string,c:boolean,d:float64"},
			Record{Value: map[string]any{"a": "12", "b": 1.5, "c": int64(0), "d": int8(3)}},
			Record{Value: map[string]any{"a": int32(12), "b": "1.5", "c": false, "d": float64(3)}}, false},
		{"cast whole", "Cast$Key", map[string]string{"spec": "int16"},
			Record{Key: 7.9}, Record{Key: int16(7)}, false},
		{"timestamp to string", "TimestampConverter$Value", map[string]string{"field": "ts", "target.type": "string", "format": "yyyy-MM-dd HH:mm:ss.SSS"},
			Record{Value: map[string]any{"ts": int64(1700000000123)}}, Record{Value: map[string]any{"ts": "2023-11-14 22:13:20.123"}}, false},
		{"timestamp from string to unix seconds", "TimestampConverter$Value", map[string]string{"target.type": "unix", "format": "yyyy-MM-dd", "unix.precision": "seconds"},
			Record{Value: "2023-11-14"}, Record{Value: int64(1699920000)}, false},
		{"timestamp to Date", "TimestampConverter$Value", map[string]string{"target.type": "Date"},
			Record{Value: int64(1700000000123)}, Record{Value: time.Date(2023, 11, 14, 0, 0, 0, 0, time.UTC)}, false},
		{"drop headers", "DropHeaders", map[string]string{"headers": "a,c"},
			Record{Headers: []connect.Header{{Key: "a"}, {Key: "b"}, {Key: "c"}, {Key: "a"}}}, Record{Headers: []connect.Header{{Key: "b"}}}, false},
		{"insert header", "InsertHeader", map[string]string{"header": "h", "value.literal": "42"},
			Record{Headers: []connect.Header{{Key: "a", Value: "x"}}},
			Record{Headers: []connect.Header{{Key: "a", Value: "x"}, {Key: "h", Schema: connect.Int8Schema, Value: int8(42)}}}, false},
		{"header from move", "HeaderFrom$Value", map[string]string{"fields": "a", "headers": "ha", "operation": "move"},
			Record{Value: map[string]any{"a": 1, "b": 2}}, Record{Value: map[string]any{"b": 2}, Headers: []connect.Header{{Key: "ha", Value: 1}}}, false},
		{"header from copy", "HeaderFrom$Key", map[string]string{"fields": "a", "headers": "ha", "operation": "copy"},
			Record{Key: map[string]any{"a": 1}}, Record{Key: map[string]any{"a": 1}, Headers: []connect.Header{{Key: "ha", Value: 1}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := build(t, tt.class, tt.config)
			r := tt.in
			keep, err := tr.Apply(&r)
			if err != nil {
				t.Fatal(err)
			}
			if keep == tt.drop {
				t.Fatalf("keep = %v", keep)
			}
			if !tt.drop && !reflect.DeepEqual(r, tt.want) {
				t.Errorf("got  %#v\nwant %#v", r, tt.want)
			}
		})
	}
}

func TestSchemaTransforms(t *testing.T) {
	tests := []struct {
		name, class string
		config      map[string]string
		value       *connect.StructValue
		wantSchema  string // fields of the resulting struct schema
		want        map[string]any
	}{
		{"insert", "InsertField$Value", map[string]string{"topic.field": "t!", "partition.field": "p", "static.field": "s", "static.value": "v"},
			newPerson(1, "ann", int32(30)), "id:int64,name:string,age:int32?,t:string,p:int32?,s:string?",
			map[string]any{"id": int64(1), "name": "ann", "age": int32(30), "t": "top", "p": int32(2), "s": "v"}},
		{"replace", "ReplaceField$Value", map[string]string{"exclude": "age", "renames": "name:full_name"},
			newPerson(1, "ann", int32(30)), "id:int64,full_name:string", map[string]any{"id": int64(1), "full_name": "ann"}},
		{"mask", "MaskField$Value", map[string]string{"fields": "name,age"},
			newPerson(1, "ann", nil), "id:int64,name:string,age:int32?", map[string]any{"id": int64(1), "name": "", "age": int32(0)}},
		{"cast", "Cast$Value", map[string]string{"spec": "id:string,age:float64"},
			newPerson(1, "ann", int32(30)), "id:string,name:string,age:double?", map[string]any{"id": "1", "name": "ann", "age": float64(30)}},
		{"header from move", "HeaderFrom$Value", map[string]string{"fields": "name", "headers": "n", "operation": "move"},
			newPerson(1, "ann", int32(30)), "id:int64,age:int32?", map[string]any{"id": int64(1), "age": int32(30)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Record{Topic: "top", Partition: 2, ValueSchema: tt.value.Schema, Value: tt.value}
			if _, err := build(t, tt.class, tt.config).Apply(&r); err != nil {
				t.Fatal(err)
			}
			if got := fieldNames(r.ValueSchema); got != tt.wantSchema {
				t.Errorf("schema %s, want %s", got, tt.wantSchema)
			}
			s := r.Value.(*connect.StructValue)
			if s.Schema != r.ValueSchema || !reflect.DeepEqual(structMap(s), tt.want) {
				t.Errorf("value %v, want %v", structMap(s), tt.want)
			}
			if r.ValueSchema.Name != "person" || r.ValueSchema.Version != 1 {
				t.Errorf("schema name and version not kept: %+v", r.ValueSchema)
			}
			if got := structMap(tt.value); got["name"] != "ann" {
				t.Errorf("input struct modified: %v", got)
			}
		})
	}
}

func TestSchemaExtractHoistValueToKey(t *testing.T) {
	p := newPerson(7, "bo", nil)
	r := Record{ValueSchema: person, Value: p}
	if _, err := build(t, "ValueToKey", map[string]string{"fields": "id"}).Apply(&r); err != nil {
		t.Fatal(err)
	}
	if fieldNames(r.KeySchema) != "id:int64" || r.Key.(*connect.StructValue).Get("id") != int64(7) {
		t.Fatalf("key %v %v", r.KeySchema, r.Key)
	}
	if _, err := build(t, "ExtractField$Key", map[string]string{"field": "id"}).Apply(&r); err != nil {
		t.Fatal(err)
	}
	if r.KeySchema != connect.Int64Schema || r.Key != int64(7) {
		t.Fatalf("extracted key %v %v", r.KeySchema, r.Key)
	}
	if _, err := build(t, "HoistField$Key", map[string]string{"field": "k"}).Apply(&r); err != nil {
		t.Fatal(err)
	}
	if fieldNames(r.KeySchema) != "k:int64" || r.Key.(*connect.StructValue).Get("k") != int64(7) {
		t.Fatalf("hoisted key %v %v", r.KeySchema, r.Key)
	}
	_, err := build(t, "ExtractField$Value", map[string]string{"field": "nope"}).Apply(&r)
	if err == nil || err.Error() != "Unknown field: nope" {
		t.Fatalf("unknown field: %v", err)
	}
	_, err = build(t, "ValueToKey", map[string]string{"fields": "nope"}).Apply(&r)
	if err == nil || err.Error() != "Field does not exist: nope" {
		t.Fatalf("missing field: %v", err)
	}
}

func TestSchemaFlattenSetMetadataTimestamp(t *testing.T) {
	outer := (&connect.Schema{Type: connect.Struct, Name: "outer"}).AddField("a", nested.AsOptional()).AddField("ts", connect.Int64Schema)
	in := connect.NewStruct(nested)
	in.Put("x", int32(1))
	in.Put("y", "z")
	v := connect.NewStruct(outer)
	v.Put("a", in)
	v.Put("ts", int64(86400000))
	r := Record{ValueSchema: outer, Value: v}
	if _, err := build(t, "Flatten$Value", nil).Apply(&r); err != nil {
		t.Fatal(err)
	}
	if got := fieldNames(r.ValueSchema); got != "a.x:int32?,a.y:string?,ts:int64" {
		t.Fatalf("flattened schema %s", got)
	}
	if got := structMap(r.Value.(*connect.StructValue)); !reflect.DeepEqual(got, map[string]any{"a.x": int32(1), "a.y": "z", "ts": int64(86400000)}) {
		t.Fatalf("flattened %v", got)
	}
	if _, err := build(t, "TimestampConverter$Value", map[string]string{"field": "ts", "target.type": "Timestamp"}).Apply(&r); err != nil {
		t.Fatal(err)
	}
	f, _ := r.ValueSchema.Field("ts")
	if f.Schema.Name != connect.TimestampName || r.Value.(*connect.StructValue).Get("ts") != time.UnixMilli(86400000).UTC() {
		t.Fatalf("timestamp field %+v %v", f.Schema, r.Value)
	}
	if _, err := build(t, "SetSchemaMetadata$Value", map[string]string{"schema.name": "renamed", "schema.version": "3"}).Apply(&r); err != nil {
		t.Fatal(err)
	}
	if r.ValueSchema.Name != "renamed" || r.ValueSchema.Version != 3 || r.Value.(*connect.StructValue).Schema != r.ValueSchema {
		t.Fatalf("metadata %+v", r.ValueSchema)
	}
	_, err := build(t, "SetSchemaMetadata$Key", map[string]string{"schema.name": "x"}).Apply(&Record{Key: "k"})
	if err == nil || err.Error() != "Schema required for [updating schema metadata]" {
		t.Fatalf("schemaless metadata: %v", err)
	}
}

func TestDataErrors(t *testing.T) {
	tests := []struct {
		class  string
		config map[string]string
		in     Record
		want   string
	}{
		{"InsertField$Value", map[string]string{"topic.field": "t"}, Record{Value: "x"}, "Only Map objects supported in absence of schema for [field insertion], found: java.lang.String"},
		{"InsertField$Value", map[string]string{"offset.field": "o"}, Record{Value: map[string]any{}}, "Only SinkRecord supported for [field insertion], found: org.apache.kafka.connect.source.SourceRecord"},
		{"InsertField$Value", map[string]string{"topic.field": "t"}, Record{ValueSchema: connect.StringSchema, Value: "x"}, "Only Struct objects supported for [field insertion], found: java.lang.String"},
		{"ValueToKey", map[string]string{"fields": "a"}, Record{Value: nil}, "Only Map objects supported in absence of schema for [copying fields from value to key], found: null"},
		{"TimestampRouter", nil, Record{Topic: "t"}, "Timestamp missing on record: topic t"},
		{"MaskField$Value", map[string]string{"fields": "b", "replacement": "x"}, Record{Value: map[string]any{"b": true}}, "Cannot mask value of type java.lang.Boolean with custom replacement."},
		{"Cast$Value", map[string]string{"spec": "a:int8"}, Record{Value: map[string]any{"a": "300"}}, "Value (300) was out of range for requested data type"},
	}
	for _, tt := range tests {
		_, err := build(t, tt.class, tt.config).Apply(&tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: %v, want %s", tt.class, err, tt.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		class  string
		config map[string]string
		want   string
	}{
		{"RegexRouter", map[string]string{"replacement": "x"}, `Missing required configuration "regex" which has no default value.`},
		{"RegexRouter", map[string]string{"regex": "(", "replacement": "x"}, "Invalid value ( for configuration regex: Invalid regex: error parsing regexp: missing closing ): `(`"},
		{"InsertField$Value", nil, "No field insertion configured"},
		{"InsertField$Value", map[string]string{"static.field": "s"}, "Invalid value null for configuration static.value: No value specified for static field: s"},
		{"Cast$Value", map[string]string{"spec": "a:nope"}, "Invalid value a:nope for configuration spec: Invalid type found in casting spec: nope"},
		{"Cast$Value", map[string]string{"spec": "int8,a:int8"}, "Invalid value int8,a:int8 for configuration spec: Cast transformations that specify a type to cast the entire value to may ony specify a single cast in their spec"},
		{"ReplaceField$Value", map[string]string{"renames": "a"}, "Invalid value a for configuration renames: Invalid rename mapping: a"},
		{"HeaderFrom$Value", map[string]string{"fields": "a,b", "headers": "h", "operation": "copy"}, "'fields' config must have the same number of elements as 'headers' config."},
		{"HeaderFrom$Value", map[string]string{"fields": "a", "headers": "h", "operation": "cut"}, "Invalid value cut for configuration operation: String must be one of: move, copy"},
		{"SetSchemaMetadata$Value", nil, "Neither schema name nor version configured"},
		{"TimestampConverter$Value", map[string]string{"target.type": "string"}, "TimestampConverter requires format option to be specified when using string timestamps"},
		{"TimestampConverter$Value", map[string]string{"target.type": "epoch"}, "Invalid value epoch for configuration target.type: String must be one of: string, unix, Date, Time, Timestamp"},
		{"DropHeaders", map[string]string{"headers": ""}, "Invalid value  for configuration headers: Empty list"},
		{"MaskField$Value", map[string]string{"fields": "a", "replacement": ""}, "Invalid value  for configuration replacement: String may not be empty"},
	}
	for _, tt := range tests {
		p, _ := Lookup(tt.class)
		err := p.NewTransformation().Configure(tt.config)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s %v: %v\nwant %s", tt.class, tt.config, err, tt.want)
		}
	}
}

func TestPredicates(t *testing.T) {
	tests := []struct {
		class  string
		config map[string]string
		in     Record
		want   bool
	}{
		{"HasHeaderKey", map[string]string{"name": "h"}, Record{Headers: []connect.Header{{Key: "x"}, {Key: "h"}}}, true},
		{"HasHeaderKey", map[string]string{"name": "h"}, Record{Headers: []connect.Header{{Key: "x"}}}, false},
		{"org.apache.kafka.connect.transforms.predicates.RecordIsTombstone", nil, Record{Key: "k"}, true},
		{"RecordIsTombstone", nil, Record{Value: "v"}, false},
		{"TopicNameMatches", map[string]string{"pattern": "my-.*"}, Record{Topic: "my-topic"}, true},
		{"TopicNameMatches", map[string]string{"pattern": "my-.*"}, Record{Topic: "not-my-topic"}, false},
	}
	for _, tt := range tests {
		p, ok := Lookup(tt.class)
		if !ok || !p.Predicate {
			t.Fatalf("no predicate %s", tt.class)
		}
		pred := p.NewPredicate()
		if err := pred.Configure(tt.config); err != nil {
			t.Fatal(err)
		}
		if got := pred.Test(&tt.in); got != tt.want {
			t.Errorf("%s on %+v: %v", tt.class, tt.in, got)
		}
	}
	err := (&TopicNameMatches{}).Configure(map[string]string{"pattern": ""})
	if err == nil || err.Error() != "Invalid value  for configuration pattern: String may not be empty" {
		t.Errorf("empty pattern: %v", err)
	}
}

// A chain that recycles makes each record's structs out of the previous record's, with the
// previous values gone; one that does not (a sink's, whose task may keep records) never does.
func TestChainRecyclesStructsOnlyWhenAsked(t *testing.T) {
	config := map[string]string{
		"transforms":                     "hoist,insert",
		"transforms.hoist.type":          "org.apache.kafka.connect.transforms.HoistField$Value",
		"transforms.hoist.field":         "line",
		"transforms.insert.type":         "org.apache.kafka.connect.transforms.InsertField$Value",
		"transforms.insert.static.field": "origin",
		"transforms.insert.static.value": "file",
	}
	apply := func(c *Chain, line string) *connect.StructValue {
		r := Record{Topic: "t", ValueSchema: connect.StringSchema, Value: line}
		if keep, err := c.Apply(&r); !keep || err != nil {
			t.Fatalf("apply %q: %v %v", line, keep, err)
		}
		s := r.Value.(*connect.StructValue)
		if s.Get("line") != line || s.Get("origin") != "file" || s.Schema != r.ValueSchema {
			t.Fatalf("record %q transformed to %v", line, s)
		}
		return s
	}
	plain, err := NewChain(config)
	if err != nil {
		t.Fatal(err)
	}
	if first := apply(plain, "one"); apply(plain, "two") == first || first.Get("line") != "one" {
		t.Fatalf("a chain that does not recycle reused or changed the first record's struct: %v", first)
	}
	recycling, err := NewChain(config)
	if err != nil {
		t.Fatal(err)
	}
	recycling.RecycleStructs()
	first := apply(recycling, "one")
	if second := apply(recycling, "two"); second != first {
		t.Fatal("a recycling chain made a new struct for the second record")
	}
}

func TestChainOrderPredicatesAndDrop(t *testing.T) {
	config := map[string]string{
		"transforms":                   "hoist,route,drop",
		"transforms.hoist.type":        "org.apache.kafka.connect.transforms.HoistField$Value",
		"transforms.hoist.field":       "line",
		"transforms.route.type":        "RegexRouter",
		"transforms.route.regex":       "in",
		"transforms.route.replacement": "out",
		"transforms.drop.type":         "Filter",
		"transforms.drop.predicate":    "isOther",
		"transforms.drop.negate":       "true",
		"predicates":                   "isOther",
		"predicates.isOther.type":      "TopicNameMatches",
		"predicates.isOther.pattern":   "out",
	}
	c, err := NewChain(config)
	if err != nil {
		t.Fatal(err)
	}
	r := Record{Topic: "in", Value: "x"}
	if keep, err := c.Apply(&r); !keep || err != nil || r.Topic != "out" || !reflect.DeepEqual(r.Value, map[string]any{"line": "x"}) {
		t.Fatalf("kept record: %v %v %+v", keep, err, r)
	}
	r = Record{Topic: "elsewhere", Value: "x"}
	if keep, err := c.Apply(&r); keep || err != nil {
		t.Fatalf("a record the negated predicate selects must be dropped: %v %v", keep, err)
	}
	config["transforms.hoist.type"] = "Nope"
	if _, err := NewChain(config); err == nil || err.Error() != "Invalid value Nope for configuration transforms.hoist.type: Class Nope could not be found." {
		t.Fatalf("unknown class: %v", err)
	}
}

func TestValidate(t *testing.T) {
	s := func(v string) *string { return &v }
	raw := map[string]*string{
		"transforms":                   s("route,bad,neg"),
		"transforms.route.type":        s("RegexRouter"),
		"transforms.route.regex":       s("("),
		"transforms.bad.type":          s("com.example.Missing"),
		"transforms.neg.type":          s("Filter"),
		"transforms.neg.negate":        s("true"),
		"predicates":                   s("p"),
		"predicates.p.type":            s("TopicNameMatches"),
		"transforms.route.replacement": s("x"),
	}
	keys, vals := Validate(raw)
	errs := map[string][]string{}
	groups := map[string]string{}
	for i, v := range vals {
		if len(v.Errors) > 0 {
			errs[v.Name] = v.Errors
		}
		groups[keys[i].Name] = keys[i].Group
	}
	want := map[string][]string{
		"transforms.route.regex": {"Invalid value ( for configuration transforms.route.regex: Invalid regex: error parsing regexp: missing closing ): `(`"},
		"transforms.bad.type":    {"Invalid value com.example.Missing for configuration transforms.bad.type: Class com.example.Missing could not be found."},
		"transforms.neg.type":    {"Config 'transforms.neg.negate' was provided but there is no config 'transforms.neg.predicate' defining a predicate to be negated."},
		"predicates.p.pattern":   {`Missing required configuration "predicates.p.pattern" which has no default value.`},
	}
	if !reflect.DeepEqual(errs, want) {
		t.Errorf("errors %v\nwant   %v", errs, want)
	}
	if len(vals[0].RecommendedValues) != 26 || vals[0].RecommendedValues[0] != "org.apache.kafka.connect.transforms.Cast$Key" {
		t.Errorf("recommended transformation classes: %v", vals[0].RecommendedValues)
	}
	if groups["transforms.route.replacement"] != "Transforms: route" || groups["predicates.p.pattern"] != "Predicates: p" || groups["transforms.neg.negate"] != "Transforms: neg" {
		t.Errorf("groups %v", groups)
	}
}

func TestJavaReplacement(t *testing.T) {
	for in, want := range map[string]string{"$1": "${1}", "a$12b": "a${12}b", `\$1`: "$$1", "x$": "x$$", "${name}": "${name}"} {
		if got := javaReplacement(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func FuzzJavaLayout(f *testing.F) {
	for _, s := range []string{"yyyyMMdd", "yyyy-MM-dd'T'HH:mm:ss.SSSZ", "'quote", "EEE, d MMM yyyy", "hh 'o''clock' a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		l, err := parseJavaLayout(pattern)
		if err != nil {
			return
		}
		ts := time.UnixMilli(1700000000123)
		_, _ = l.parse(l.format(ts))
	})
}

func FuzzCastSpec(f *testing.F) {
	for _, s := range []string{"int8", "a:int32,b:string", "a:b:c", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		c := &Cast{}
		if err := c.Configure(map[string]string{"spec": spec}); err != nil {
			return
		}
		r := Record{Value: map[string]any{"a": "1", "b": 2.5}}
		_, _ = c.Apply(&r)
	})
}

func TestRegexRouterRemembersTheLastTopic(t *testing.T) {
	tr := build(t, "RegexRouter", map[string]string{"regex": "a-(.*)", "replacement": "b-$1"})
	for _, tc := range []struct{ in, want string }{{"a-1", "b-1"}, {"a-1", "b-1"}, {"a-2", "b-2"}, {"c", "c"}, {"a-2", "b-2"}} {
		r := Record{Topic: tc.in}
		tr.Apply(&r)
		if r.Topic != tc.want {
			t.Errorf("%s -> %s, want %s", tc.in, r.Topic, tc.want)
		}
	}
}

// BenchmarkChain is the bench row's chain: a FileStreamSource's line (a STRING schema) or a
// schemaless value, hoisted, given a static field and routed.
func BenchmarkChain(b *testing.B) {
	c, err := NewChain(map[string]string{
		"transforms":                     "hoist,insert,route",
		"transforms.hoist.type":          "HoistField$Value",
		"transforms.hoist.field":         "line",
		"transforms.insert.type":         "InsertField$Value",
		"transforms.insert.static.field": "origin",
		"transforms.insert.static.value": "file",
		"transforms.route.type":          "RegexRouter",
		"transforms.route.regex":         "src-(.*)",
		"transforms.route.replacement":   "routed-$1",
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, schema := range []*connect.Schema{nil, connect.StringSchema} {
		b.Run(fmt.Sprintf("schema=%v", schema != nil), func(b *testing.B) {
			b.ReportAllocs()
			var r Record
			for i := 0; i < b.N; i++ {
				r = Record{Topic: "src-1", ValueSchema: schema, Value: "0000000001 xxxxxxxx"}
				if _, err := c.Apply(&r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestExtractFieldNestedPaths(t *testing.T) {
	v2 := map[string]string{"field": "a.b", "field.syntax.version": "V2"}
	r := Record{Value: map[string]any{"a": map[string]any{"b": 42}, "a.b": "flat"}}
	if _, err := build(t, "ExtractField$Value", v2).Apply(&r); err != nil || r.Value != 42 {
		t.Fatalf("V2 schemaless: %v %v", r.Value, err)
	}
	r = Record{Value: map[string]any{"a": map[string]any{"b": 42}, "a.b": "flat"}}
	if _, err := build(t, "ExtractField$Value", map[string]string{"field": "a.b"}).Apply(&r); err != nil || r.Value != "flat" {
		t.Fatalf("V1 names a top-level field: %v %v", r.Value, err)
	}
	r = Record{Value: map[string]any{"a.b": map[string]any{"c": 1}}}
	if _, err := build(t, "ExtractField$Value", map[string]string{"field": "`a.b`.c", "field.syntax.version": "v2"}).Apply(&r); err != nil || r.Value != 1 {
		t.Fatalf("backticks: %v %v", r.Value, err)
	}
	outer := (&connect.Schema{Type: connect.Struct}).AddField("in", nested)
	in := connect.NewStruct(nested)
	in.Put("x", int32(5))
	s := connect.NewStruct(outer)
	s.Put("in", in)
	r = Record{ValueSchema: outer, Value: s}
	if _, err := build(t, "ExtractField$Value", map[string]string{"field": "in.x", "field.syntax.version": "V2"}).Apply(&r); err != nil || r.Value != int32(5) || r.ValueSchema != connect.Int32Schema {
		t.Fatalf("V2 struct: %v %v %v", r.ValueSchema, r.Value, err)
	}
	r = Record{ValueSchema: outer, Value: s}
	if _, err := build(t, "ExtractField$Value", map[string]string{"field": "in.nope", "field.syntax.version": "V2"}).Apply(&r); err == nil || err.Error() != "Unknown field: in.nope" {
		t.Fatalf("V2 unknown field: %v", err)
	}
	if err := (&ExtractField{}).Configure(map[string]string{"field": "a", "field.syntax.version": "V3"}); err == nil ||
		err.Error() != "Invalid value V3 for configuration field.syntax.version: String must be one of (case insensitive): V1, V2" {
		t.Fatalf("bad version: %v", err)
	}
}

func TestNestedPathsRefusedWhereUnsupported(t *testing.T) {
	err := (&ValueToKey{}).Configure(map[string]string{"fields": "a.b", "field.syntax.version": "V2"})
	if err == nil || err.Error() != "Invalid value V2 for configuration field.syntax.version: connectd supports nested field paths (V2) only in ExtractField" {
		t.Fatalf("V2 on ValueToKey: %v", err)
	}
	if err := (&ValueToKey{}).Configure(map[string]string{"fields": "a", "field.syntax.version": "V1"}); err != nil {
		t.Fatalf("V1 on ValueToKey: %v", err)
	}
}
