package transforms

import (
	"fmt"
	"math/big"
	"time"

	"github.com/connectd/connectd/connect"
)

// className names a value's type in errors, as Kafka's nullSafeClassName does.
func className(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "java.util.HashMap"
	case *connect.StructValue:
		return "org.apache.kafka.connect.data.Struct"
	case string:
		return "java.lang.String"
	case []byte:
		return "[B"
	case []any:
		return "java.util.ArrayList"
	case bool:
		return "java.lang.Boolean"
	case int8:
		return "java.lang.Byte"
	case int16:
		return "java.lang.Short"
	case int32:
		return "java.lang.Integer"
	case int64, int:
		return "java.lang.Long"
	case float32:
		return "java.lang.Float"
	case float64:
		return "java.lang.Double"
	case time.Time:
		return "java.util.Date"
	case *big.Float:
		return "java.math.BigDecimal"
	}
	return fmt.Sprintf("%T", v)
}

// requireMap is Kafka's Requirements.requireMap.
func requireMap(v any, purpose string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, dataErrorf("Only Map objects supported in absence of schema for [%s], found: %s", purpose, className(v))
	}
	return m, nil
}

// requireMapOrNull is Kafka's Requirements.requireMapOrNull.
func requireMapOrNull(v any, purpose string) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	return requireMap(v, purpose)
}

// requireStruct is Kafka's Requirements.requireStruct.
func requireStruct(v any, purpose string) (*connect.StructValue, error) {
	s, ok := v.(*connect.StructValue)
	if !ok {
		return nil, dataErrorf("Only Struct objects supported for [%s], found: %s", purpose, className(v))
	}
	return s, nil
}

// requireStructOrNull is Kafka's Requirements.requireStructOrNull.
func requireStructOrNull(v any, purpose string) (*connect.StructValue, error) {
	if v == nil {
		return nil, nil
	}
	return requireStruct(v, purpose)
}

// requireSchema is Kafka's Requirements.requireSchema.
func requireSchema(s *connect.Schema, purpose string) error {
	if s == nil {
		return dataErrorf("Schema required for [%s]", purpose)
	}
	return nil
}

// copyMap is a shallow copy with room for extra entries.
func copyMap(m map[string]any, extra int) map[string]any {
	out := make(map[string]any, len(m)+extra)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fieldValue reads a struct field, replacing a null with the field's default unless told not to.
func fieldValue(s *connect.StructValue, name string, replaceNull bool) any {
	if replaceNull {
		return s.GetOrDefault(name)
	}
	return s.Get(name)
}

// fieldValueAt is fieldValue of the field at position i of schema, looked up by position when
// the struct is of that schema.
func fieldValueAt(s *connect.StructValue, schema *connect.Schema, i int, replaceNull bool) any {
	f := &schema.Fields[i]
	if s.Schema != schema {
		return fieldValue(s, f.Name, replaceNull)
	}
	v := s.At(i)
	if v == nil && replaceNull && f.Schema != nil {
		return f.Schema.Default
	}
	return v
}

// schemaCache remembers the updated schema of each input schema, as Kafka's transforms do
// with their synchronized LRU cache: deriving a schema per record would cost more than the
// transform. One cache belongs to one task, so no locking.
type schemaCache map[*connect.Schema]*connect.Schema

func (c *schemaCache) get(s *connect.Schema, build func(*connect.Schema) (*connect.Schema, error)) (*connect.Schema, error) {
	if *c == nil {
		*c = schemaCache{}
	}
	if out, ok := (*c)[s]; ok {
		return out, nil
	}
	out, err := build(s)
	if err != nil {
		return nil, err
	}
	if len(*c) >= 16 {
		clear(*c)
	}
	(*c)[s] = out
	return out, nil
}
