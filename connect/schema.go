package connect

import (
	"fmt"
	"sort"
	"strings"
)

// Type is a schema type.
type Type string

// Schema types, named as Kafka Connect names them in JSON schemas.
const (
	Int8    Type = "int8"
	Int16   Type = "int16"
	Int32   Type = "int32"
	Int64   Type = "int64"
	Float32 Type = "float"
	Float64 Type = "double"
	Boolean Type = "boolean"
	String  Type = "string"
	Bytes   Type = "bytes"
	Array   Type = "array"
	Map     Type = "map"
	Struct  Type = "struct"
)

// Schema describes a value.
type Schema struct {
	Type     Type
	Optional bool
	Name     string
	Version  int
	Doc      string
	Default  any
	// Parameters are the schema's extra settings, such as a Decimal's "scale".
	Parameters map[string]string
	// Fields of a struct, in order.
	Fields []Field
	// KeySchema and ValueSchema of a map; ValueSchema of an array.
	KeySchema, ValueSchema *Schema
}

// Field is one field of a struct schema.
type Field struct {
	Name   string
	Index  int
	Schema *Schema
}

// Predefined schemas.
var (
	StringSchema         = &Schema{Type: String}
	OptionalStringSchema = &Schema{Type: String, Optional: true}
	Int64Schema          = &Schema{Type: Int64}
	Int32Schema          = &Schema{Type: Int32}
	BooleanSchema        = &Schema{Type: Boolean}
	BytesSchema          = &Schema{Type: Bytes}
	OptionalBytesSchema  = &Schema{Type: Bytes, Optional: true}

	Int8Schema            = &Schema{Type: Int8}
	Int16Schema           = &Schema{Type: Int16}
	Float32Schema         = &Schema{Type: Float32}
	Float64Schema         = &Schema{Type: Float64}
	OptionalInt8Schema    = &Schema{Type: Int8, Optional: true}
	OptionalInt16Schema   = &Schema{Type: Int16, Optional: true}
	OptionalInt32Schema   = &Schema{Type: Int32, Optional: true}
	OptionalInt64Schema   = &Schema{Type: Int64, Optional: true}
	OptionalFloat32Schema = &Schema{Type: Float32, Optional: true}
	OptionalFloat64Schema = &Schema{Type: Float64, Optional: true}
	OptionalBooleanSchema = &Schema{Type: Boolean, Optional: true}
)

// Logical type names: a schema of the underlying type with one of these names carries a
// time.Time (Timestamp, Date, Time) or a *big.Float (Decimal), as Kafka Connect's
// org.apache.kafka.connect.data classes do.
const (
	TimestampName = "org.apache.kafka.connect.data.Timestamp"
	DateName      = "org.apache.kafka.connect.data.Date"
	TimeName      = "org.apache.kafka.connect.data.Time"
	DecimalName   = "org.apache.kafka.connect.data.Decimal"
)

// TimestampSchema is Kafka's Timestamp logical schema: INT64 milliseconds since the epoch.
func TimestampSchema(optional bool) *Schema {
	return &Schema{Type: Int64, Name: TimestampName, Version: 1, Optional: optional}
}

// DateSchema is Kafka's Date logical schema: INT32 days since the epoch.
func DateSchema(optional bool) *Schema {
	return &Schema{Type: Int32, Name: DateName, Version: 1, Optional: optional}
}

// TimeSchema is Kafka's Time logical schema: INT32 milliseconds since midnight.
func TimeSchema(optional bool) *Schema {
	return &Schema{Type: Int32, Name: TimeName, Version: 1, Optional: optional}
}

// PrimitiveSchema returns the shared schema of a primitive type.
func PrimitiveSchema(t Type, optional bool) *Schema {
	return &Schema{Type: t, Optional: optional}
}

// CopyBasics returns a new schema with s's type, name, version, doc, parameters, optionality and
// default but no fields: the start of a changed struct schema (Kafka's SchemaUtil.copySchemaBasics).
func (s *Schema) CopyBasics() *Schema {
	return &Schema{Type: s.Type, Optional: s.Optional, Name: s.Name, Version: s.Version, Doc: s.Doc,
		Default: s.Default, Parameters: s.Parameters, KeySchema: s.KeySchema, ValueSchema: s.ValueSchema}
}

// AddField appends a field to a struct schema; it returns s for chaining.
func (s *Schema) AddField(name string, schema *Schema) *Schema {
	s.Fields = append(s.Fields, Field{Name: name, Index: len(s.Fields), Schema: schema})
	return s
}

// AsOptional returns s if it is optional, else an optional copy of it.
func (s *Schema) AsOptional() *Schema {
	if s.Optional {
		return s
	}
	c := *s
	c.Optional = true
	return &c
}

// Field returns the named field of a struct schema.
func (s *Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// StructValue is a struct value with its schema. A schema must not change once a record
// carries it: transforms and converters cache what they derive from a schema by its pointer.
type StructValue struct {
	Schema *Schema
	// values holds the fields by position, as Kafka's Struct does: a map per struct was most of
	// a transform chain's cost. nil is an unset field; a field set to null holds null.
	values []any
	// inline holds the values of a small struct, so that it costs one allocation, not two.
	inline [2]any
}

// null marks a field set to null, which Has tells from an unset one.
type null struct{}

// NewStruct returns an empty struct of a struct schema.
func NewStruct(schema *Schema) *StructValue {
	s := &StructValue{Schema: schema}
	if n := len(schema.Fields); n <= len(s.inline) {
		s.values = s.inline[:n]
	} else {
		s.values = make([]any, n)
	}
	return s
}

// Reuse empties s to hold a value of schema, keeping its storage: for a caller that knows
// nothing refers to s any more.
func (s *StructValue) Reuse(schema *Schema) {
	s.Schema = schema
	n := len(schema.Fields)
	switch {
	case n <= len(s.inline):
		s.inline = [2]any{}
		s.values = s.inline[:n]
	case cap(s.values) >= n:
		s.values = s.values[:n]
		clear(s.values)
	default:
		s.values = make([]any, n)
	}
}

// index is the position of a field in the schema, or -1.
func (s *StructValue) index(field string) int {
	for i := range s.Schema.Fields {
		if s.Schema.Fields[i].Name == field {
			return i
		}
	}
	return -1
}

// Put sets a field; it fails for a field the schema does not have.
func (s *StructValue) Put(field string, value any) (*StructValue, error) {
	i := s.index(field)
	if i < 0 {
		return s, fmt.Errorf("%s is not a valid field name", field)
	}
	s.PutAt(i, value)
	return s, nil
}

// PutAt sets the field at position i of the schema's fields, which must exist: Put without the
// lookup by name, for code that walks the fields.
func (s *StructValue) PutAt(i int, value any) {
	if value == nil {
		value = null{}
	}
	if i >= len(s.values) {
		// The schema grew after the struct was made.
		s.values = append(s.values, make([]any, i+1-len(s.values))...)
	}
	s.values[i] = value
}

// At returns the value of the field at position i of the schema's fields: Get without the
// lookup by name. It is nil when the field is unset or null.
func (s *StructValue) At(i int) any {
	if i < 0 || i >= len(s.values) {
		return nil
	}
	if _, isNull := s.values[i].(null); isNull {
		return nil
	}
	return s.values[i]
}

// Get returns a field's value.
func (s *StructValue) Get(field string) any { return s.At(s.index(field)) }

// Has reports whether a field was set.
func (s *StructValue) Has(field string) bool {
	i := s.index(field)
	return i >= 0 && i < len(s.values) && s.values[i] != nil
}

// GetOrDefault returns a field's value, or the field schema's default when it is unset or null
// (Kafka's Struct.get, which falls back to the default).
func (s *StructValue) GetOrDefault(field string) any {
	i := s.index(field)
	if v := s.At(i); v != nil {
		return v
	}
	if i >= 0 && s.Schema.Fields[i].Schema != nil {
		return s.Schema.Fields[i].Schema.Default
	}
	return nil
}

// String renders the struct as Kafka Connect does: Struct{a=1,b=x}.
func (s *StructValue) String() string {
	var parts []string
	for i, f := range s.Schema.Fields {
		if v := s.At(i); v != nil {
			parts = append(parts, fmt.Sprintf("%s=%v", f.Name, v))
		}
	}
	return "Struct{" + strings.Join(parts, ",") + "}"
}

// sortedKeys returns a map's keys in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
