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
)

// Field returns the named field of a struct schema.
func (s *Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// StructValue is a struct value with its schema.
type StructValue struct {
	Schema *Schema
	values map[string]any
}

// NewStruct returns an empty struct of a struct schema.
func NewStruct(schema *Schema) *StructValue {
	return &StructValue{Schema: schema, values: map[string]any{}}
}

// Put sets a field; it fails for a field the schema does not have.
func (s *StructValue) Put(field string, value any) (*StructValue, error) {
	if _, ok := s.Schema.Field(field); !ok {
		return s, fmt.Errorf("%s is not a valid field name", field)
	}
	s.values[field] = value
	return s, nil
}

// Get returns a field's value.
func (s *StructValue) Get(field string) any { return s.values[field] }

// String renders the struct as Kafka Connect does: Struct{a=1,b=x}.
func (s *StructValue) String() string {
	var parts []string
	for _, f := range s.Schema.Fields {
		if v, ok := s.values[f.Name]; ok && v != nil {
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
