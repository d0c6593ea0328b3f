package transforms

import (
	"math"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/connectd/connectd/connect"
)

const day = 86400000

func decimalSchema(optional bool) *connect.Schema {
	return connect.DecimalSchema(0, optional)
}

func decimal(s string) *big.Float {
	d, _, err := big.ParseFloat(s, 10, 128, big.ToZero)
	if err != nil {
		panic(err)
	}
	return d
}

// From Kafka's CastTest.castFieldsWithSchema: every primitive, a Decimal and a Date, defaults
// cast with their fields, an optional field left null.
func TestCastFieldsWithSchema(t *testing.T) {
	schema := (&connect.Schema{Type: connect.Struct, Name: "all", Version: 2}).
		AddField("int8", connect.Int8Schema).
		AddField("int16", connect.OptionalInt16Schema).
		AddField("int32", &connect.Schema{Type: connect.Int32, Default: int32(2)}).
		AddField("int64", connect.Int64Schema).
		AddField("float32", connect.Float32Schema).
		AddField("float64", &connect.Schema{Type: connect.Float64, Default: -1.125}).
		AddField("boolean", connect.BooleanSchema).
		AddField("string", connect.StringSchema).
		AddField("bigdecimal", decimalSchema(false)).
		AddField("date", connect.DateSchema(false)).
		AddField("optional", connect.OptionalFloat32Schema).
		AddField("timestamp", connect.TimestampSchema(false)).
		AddField("bytes", connect.BytesSchema)
	v := connect.NewStruct(schema)
	for k, x := range map[string]any{"int8": int8(8), "int16": int16(16), "int32": int32(32), "int64": int64(64), "float32": float32(32),
		"float64": -64.0, "boolean": true, "string": "42", "bigdecimal": decimal("42"), "date": time.UnixMilli(day).UTC(),
		"timestamp": time.UnixMilli(0).UTC(), "bytes": []byte{0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10}} {
		v.Put(k, x)
	}
	tr := build(t, "Cast$Value", map[string]string{"spec": "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean," +
		"boolean:int8,string:int32,bigdecimal:string,date:string,optional:int32,bytes:string"})
	r := Record{ValueSchema: schema, Value: v}
	if _, err := tr.Apply(&r); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"int8": int16(8), "int16": int32(16), "int32": int64(32), "int64": true, "float32": float64(32), "float64": true,
		"boolean": int8(1), "string": int32(42), "bigdecimal": "42", "date": "1970-01-02", "optional": nil,
		"timestamp": time.UnixMilli(0).UTC(), "bytes": "/ty6mHZUMhA="}
	if got := structMap(r.Value.(*connect.StructValue)); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	wantSchema := "int8:int16,int16:int32?,int32:int64,int64:boolean,float32:double,float64:boolean,boolean:int8,string:int32," +
		"bigdecimal:string,date:string,optional:int32?,timestamp:int64,bytes:string"
	if got := fieldNames(r.ValueSchema); got != wantSchema {
		t.Errorf("schema %s\nwant   %s", got, wantSchema)
	}
	if r.ValueSchema.Name != "all" || r.ValueSchema.Version != 2 {
		t.Errorf("struct schema's name and version not kept: %+v", r.ValueSchema)
	}
	defaults := map[string]any{}
	for _, f := range r.ValueSchema.Fields {
		if f.Schema.Default != nil {
			defaults[f.Name] = f.Schema.Default
		}
	}
	if want := map[string]any{"int32": int64(2), "float64": true}; !reflect.DeepEqual(defaults, want) {
		t.Errorf("defaults %v, want %v", defaults, want)
	}
	if f, _ := r.ValueSchema.Field("timestamp"); f.Schema.Name != connect.TimestampName {
		t.Errorf("a field the spec does not name keeps its schema: %+v", f.Schema)
	}
}

// From Kafka's CastTest.castLogicalToPrimitive and castLogicalToString.
func TestCastLogicalTypes(t *testing.T) {
	schema := (&connect.Schema{Type: connect.Struct}).
		AddField("date_to_int32", connect.DateSchema(false)).
		AddField("timestamp_to_int64", connect.TimestampSchema(false)).
		AddField("time_to_int64", connect.TimeSchema(false)).
		AddField("decimal_to_int32", decimalSchema(false)).
		AddField("timestamp_to_float64", connect.TimestampSchema(false)).
		AddField("null_timestamp_to_int32", connect.TimestampSchema(true)).
		AddField("date", connect.DateSchema(false)).
		AddField("decimal", decimalSchema(false)).
		AddField("time", connect.TimeSchema(false)).
		AddField("timestamp", connect.TimestampSchema(false)).
		AddField("decimal_to_float64", decimalSchema(false)).
		AddField("decimal_to_int64", decimalSchema(false)).
		AddField("decimal_to_boolean", decimalSchema(false))
	v := connect.NewStruct(schema)
	for k, x := range map[string]any{"date_to_int32": time.UnixMilli(day).UTC(), "timestamp_to_int64": time.UnixMilli(0).UTC(),
		"time_to_int64": time.UnixMilli(1).UTC(), "decimal_to_int32": decimal("2147483648"), "timestamp_to_float64": time.UnixMilli(math.MaxInt64).UTC(),
		"date": time.UnixMilli(day).UTC(), "decimal": decimal("1982"), "time": time.UnixMilli(3600000).UTC(), "timestamp": time.UnixMilli(1700000000123).UTC(),
		"decimal_to_float64": decimal("-12.5"), "decimal_to_int64": decimal("-12.9"), "decimal_to_boolean": decimal("0.5")} {
		v.Put(k, x)
	}
	tr := build(t, "Cast$Value", map[string]string{"spec": "date_to_int32:int32,timestamp_to_int64:int64,time_to_int64:int64,decimal_to_int32:int32," +
		"timestamp_to_float64:float64,null_timestamp_to_int32:int32,date:string,decimal:string,time:string,timestamp:string," +
		"decimal_to_float64:float64,decimal_to_int64:int64,decimal_to_boolean:boolean"})
	r := Record{ValueSchema: schema, Value: v}
	if _, err := tr.Apply(&r); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"date_to_int32": int32(1), "timestamp_to_int64": int64(0), "time_to_int64": int64(1),
		"decimal_to_int32": int32(math.MinInt32), "timestamp_to_float64": 9.223372036854776e18, "null_timestamp_to_int32": nil,
		"date": "1970-01-02", "decimal": "1982", "time": "01:00:00.000Z", "timestamp": "2023-11-14T22:13:20.123Z",
		"decimal_to_float64": -12.5, "decimal_to_int64": int64(-12), "decimal_to_boolean": false}
	if got := structMap(r.Value.(*connect.StructValue)); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	wantSchema := "date_to_int32:int32,timestamp_to_int64:int64,time_to_int64:int64,decimal_to_int32:int32,timestamp_to_float64:double," +
		"null_timestamp_to_int32:int32?,date:string,decimal:string,time:string,timestamp:string,decimal_to_float64:double,decimal_to_int64:int64,decimal_to_boolean:boolean"
	if got := fieldNames(r.ValueSchema); got != wantSchema {
		t.Errorf("schema %s\nwant   %s", got, wantSchema)
	}
	for _, f := range r.ValueSchema.Fields {
		if f.Schema.Name != "" {
			t.Errorf("cast field %s keeps the logical name %s", f.Name, f.Schema.Name)
		}
	}
}

func TestCastWholeValue(t *testing.T) {
	tests := []struct {
		name       string
		spec       string
		schema     *connect.Schema
		in         any
		want       any
		wantSchema *connect.Schema
	}{
		{"int8 with schema", "int8", connect.Int32Schema, int32(42), int8(42), connect.Int8Schema},
		{"int16", "int16", connect.Int32Schema, int32(42), int16(42), connect.Int16Schema},
		{"int32", "int32", connect.Int32Schema, int32(42), int32(42), connect.Int32Schema},
		{"int64", "int64", connect.Int32Schema, int32(42), int64(42), connect.Int64Schema},
		{"float32", "float32", connect.Int32Schema, int32(42), float32(42), connect.Float32Schema},
		{"float64", "float64", connect.Int32Schema, int32(42), float64(42), connect.Float64Schema},
		{"boolean true", "boolean", connect.Int32Schema, int32(42), true, connect.BooleanSchema},
		{"boolean false", "boolean", connect.Int32Schema, int32(0), false, connect.BooleanSchema},
		{"string", "string", connect.Int32Schema, int32(42), "42", connect.StringSchema},
		{"decimal to string", "string", decimalSchema(false), decimal("42"), "42", connect.StringSchema},
		{"decimal text at its scale", "string", connect.DecimalSchema(2, false), decimal("12.3"), "12.30", connect.StringSchema},
		{"small decimal text as Java writes it", "string", connect.DecimalSchema(9, true), decimal("0.0000001"), "1.00E-7", connect.OptionalStringSchema},
		{"timestamp to string", "string", connect.TimestampSchema(false), time.UnixMilli(day + 1).UTC(), "1970-01-02T00:00:00.001Z", connect.StringSchema},
		{"timestamp to int64", "int64", connect.TimestampSchema(true), time.UnixMilli(1700000000123).UTC(), int64(1700000000123), connect.OptionalInt64Schema},
		{"default cast too", "int32", &connect.Schema{Type: connect.Float32, Default: float32(-42.125)}, float32(42.125), int32(42),
			&connect.Schema{Type: connect.Int32, Default: int32(-42)}},
		{"name kept", "string", &connect.Schema{Type: connect.Int64, Name: "id", Version: 3, Doc: "the id"}, int64(7), "7",
			&connect.Schema{Type: connect.String, Name: "id", Version: 3, Doc: "the id"}},
		{"schemaless int8", "int8", nil, int64(42), int8(42), nil},
		{"schemaless int16", "int16", nil, int64(42), int16(42), nil},
		{"schemaless int32", "int32", nil, int64(42), int32(42), nil},
		{"schemaless int64", "int64", nil, int32(42), int64(42), nil},
		{"schemaless float32", "float32", nil, int64(42), float32(42), nil},
		{"schemaless float64", "float64", nil, int64(42), float64(42), nil},
		{"schemaless boolean", "boolean", nil, int64(42), true, nil},
		{"schemaless boolean false", "boolean", nil, int64(0), false, nil},
		{"schemaless string", "string", nil, int64(42), "42", nil},
		{"float64 string as Java prints it", "string", nil, 1e7, "1.0E7", nil},
		{"bytes to string", "STRING", nil, []byte("hi"), "aGk=", nil},
		{"integers wrap", "int8", nil, int64(300), int8(44), nil},
		{"floats truncate", "int16", nil, -7.9, int16(-7), nil},
		{"floats saturate to int", "int32", nil, 1e20, int32(math.MaxInt32), nil},
		{"then wrap to byte", "int8", nil, 1e20, int8(-1), nil},
		{"NaN is zero", "int64", nil, math.NaN(), int64(0), nil},
		{"decimal wraps by its low bits", "int64", decimalSchema(false), decimal("18446744073709551617.5"), int64(1), decimalSchema(false)},
		{"string to int", "int32", nil, "-12", int32(-12), nil},
		{"string to float with Java's suffix", "float32", nil, " 1.5f ", float32(1.5), nil},
		{"string to double infinity", "float64", nil, "-Infinity", math.Inf(-1), nil},
		{"string to boolean", "boolean", nil, "TRUE", true, nil},
		{"padded string is not true", "boolean", nil, " true", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Record{Key: "k", ValueSchema: tt.schema, Value: tt.in}
			if _, err := build(t, "Cast$Value", map[string]string{"spec": tt.spec}).Apply(&r); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Value, tt.want) {
				t.Errorf("value %#v, want %#v", r.Value, tt.want)
			}
			if tt.name == "decimal wraps by its low bits" {
				tt.wantSchema = connect.Int64Schema
			}
			if !reflect.DeepEqual(r.ValueSchema, tt.wantSchema) {
				t.Errorf("schema %+v, want %+v", r.ValueSchema, tt.wantSchema)
			}
			if r.Key != "k" {
				t.Errorf("key changed: %v", r.Key)
			}
		})
	}
}

func TestCastSchemaless(t *testing.T) {
	tr := build(t, "Cast$Value", map[string]string{"spec": "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,boolean:int8,string:int32,missing:string"})
	in := map[string]any{"int8": int8(8), "int16": int16(16), "int32": int32(32), "int64": int64(64), "float32": float32(32), "float64": -64.0,
		"boolean": true, "string": "42", "other": []any{"x"}}
	r := Record{Value: in}
	if _, err := tr.Apply(&r); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"int8": int16(8), "int16": int32(16), "int32": int64(32), "int64": true, "float32": float64(32), "float64": true,
		"boolean": int8(1), "string": int32(42), "other": []any{"x"}, "missing": nil}
	if !reflect.DeepEqual(r.Value, want) || r.ValueSchema != nil {
		t.Errorf("got  %#v\nwant %#v", r.Value, want)
	}
	if in["int8"] != int8(8) {
		t.Errorf("input map modified: %v", in)
	}
}

func TestCastNullsAndDefaults(t *testing.T) {
	for _, class := range []string{"Cast$Key", "Cast$Value"} {
		for _, schema := range []*connect.Schema{nil, connect.OptionalStringSchema} {
			r := Record{KeySchema: schema, ValueSchema: schema}
			if keep, err := build(t, class, map[string]string{"spec": "foo:int64"}).Apply(&r); !keep || err != nil || r.Key != nil || r.Value != nil || r.ValueSchema != schema {
				t.Errorf("%s of a null with schema %v: %v %v %+v", class, schema, keep, err, r)
			}
		}
	}
	schema := (&connect.Schema{Type: connect.Struct}).AddField("n", &connect.Schema{Type: connect.Int32, Optional: true, Default: int32(5)})
	for replace, want := range map[string]any{"true": "5", "false": nil} {
		v := connect.NewStruct(schema)
		v.Put("n", nil)
		r := Record{ValueSchema: schema, Value: v}
		if _, err := build(t, "Cast$Value", map[string]string{"spec": "n:string", "replace.null.with.default": replace}).Apply(&r); err != nil {
			t.Fatal(err)
		}
		if got := r.Value.(*connect.StructValue).Get("n"); got != want {
			t.Errorf("replace.null.with.default=%s: %v, want %v", replace, got, want)
		}
		if f, _ := r.ValueSchema.Field("n"); f.Schema.Default != "5" {
			t.Errorf("default %v", f.Schema.Default)
		}
	}
}

func TestCastErrors(t *testing.T) {
	listSchema := (&connect.Schema{Type: connect.Struct}).AddField("l", &connect.Schema{Type: connect.Array, Optional: true, ValueSchema: connect.StringSchema})
	withList := func(v any) *connect.StructValue {
		s := connect.NewStruct(listSchema)
		s.Put("l", v)
		return s
	}
	tests := []struct {
		name, spec string
		in         Record
		want       string
	}{
		{"schemaless list", "int8", Record{Value: []any{"foo"}},
			"Cast transformation does not support casting from ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"},
		{"struct field of a list", "l:string", Record{ValueSchema: listSchema, Value: withList([]any{"a"})},
			"Cast transformation does not support casting from ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"},
		{"schemaless decimal", "a:int32", Record{Value: map[string]any{"a": decimal("1")}},
			"Cast transformation was passed a value of type class java.math.BigDecimal which is not supported by Connect's data API"},
		{"schemaless date", "string", Record{Value: time.UnixMilli(0)},
			"Cast transformation was passed a value of type class java.util.Date which is not supported by Connect's data API"},
		{"bytes to a number", "int8", Record{ValueSchema: connect.BytesSchema, Value: []byte{1}}, "Unexpected type in Cast transformation: class [B"},
		{"out of range", "int8", Record{Value: "300"}, "Value (300) was out of range for requested data type"},
		{"not a number", "int32", Record{Value: "1.5"}, "Value (1.5) was out of range for requested data type"},
		{"no blanks around an integer", "int64", Record{Value: " 1"}, "Value ( 1) was out of range for requested data type"},
		{"not a float", "float64", Record{Value: "inf"}, "Value (inf) was out of range for requested data type"},
		{"date with a time", "int32", Record{ValueSchema: connect.DateSchema(false), Value: time.UnixMilli(day + 1)},
			"Kafka Connect Date type should not have any time fields set to non-zero values."},
		{"time with a date", "int32", Record{ValueSchema: connect.TimeSchema(false), Value: time.UnixMilli(2 * day)},
			"Kafka Connect Time type should not have any date fields set to non-zero values."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(t, "Cast$Value", map[string]string{"spec": tt.spec}).Apply(&tt.in)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("%v\nwant %s", err, tt.want)
			}
			if _, ok := err.(*DataError); !ok {
				t.Errorf("%T is not a DataError", err)
			}
		})
	}
	r := Record{ValueSchema: listSchema, Value: withList(nil)}
	if _, err := build(t, "Cast$Value", map[string]string{"spec": "l:string"}).Apply(&r); err != nil {
		t.Errorf("a null list casts to null, as in Kafka: %v", err)
	}
}

// From Kafka's CastTest config tests.
func TestCastConfigErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"":               "Invalid value  for configuration spec: Must specify at least one field to cast.",
		"foo:faketype":   "Invalid value foo:faketype for configuration spec: Invalid type found in casting spec: faketype",
		"foo:array":      "Invalid value foo:array for configuration spec: Cast transformation does not support casting to ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]",
		"foo:bytes":      "Invalid value foo:bytes for configuration spec: Cast transformation does not support casting to BYTES; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]",
		"struct":         "Invalid value struct for configuration spec: Cast transformation does not support casting to STRUCT; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]",
		"foo:decimal":    "Invalid value foo:decimal for configuration spec: Invalid type found in casting spec: decimal",
		"foo:int8:extra": "Invalid value foo:int8:extra for configuration spec: Invalid cast mapping: foo:int8:extra",
		"foo:int8,int32": "Invalid value foo:int8,int32 for configuration spec: Cast transformations that specify a type to cast the entire value to may ony specify a single cast in their spec",
	} {
		err := (&Cast{}).Configure(map[string]string{"spec": spec})
		if err == nil || err.Error() != want {
			t.Errorf("%q: %v\nwant %s", spec, err, want)
		}
		if _, ok := err.(*ConfigError); !ok {
			t.Errorf("%q: %T is not a ConfigError", spec, err)
		}
	}
}
