package plugins

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/connectd/connectd/connect"
)

// primitiveConverter is one of Kafka's org.apache.kafka.connect.converters number and boolean
// converters: a value as the fixed-size big-endian bytes of Kafka's serializer for its type.
type primitiveConverter struct {
	typeName string // as Kafka names it in errors: short, integer, ...
	schema   *connect.Schema
	size     int
	encode   func(b []byte, v any) bool
	decode   func(b []byte) (any, error)
}

func newPrimitive(typ connect.Type) *primitiveConverter {
	c := &primitiveConverter{schema: &connect.Schema{Type: typ, Optional: true}}
	switch typ {
	case connect.Boolean:
		c.typeName, c.size = "boolean", 1
		c.encode = func(b []byte, v any) bool {
			x, ok := v.(bool)
			if x {
				b[0] = 1
			}
			return ok
		}
		c.decode = func(b []byte) (any, error) {
			switch b[0] {
			case 0:
				return false, nil
			case 1:
				return true, nil
			}
			return nil, fmt.Errorf("Unexpected byte received by BooleanDeserializer: %d", b[0])
		}
	case connect.Int16:
		c.typeName, c.size = "short", 2
		c.encode = intEncoder(math.MinInt16, math.MaxInt16, func(b []byte, n int64) { binary.BigEndian.PutUint16(b, uint16(n)) })
		c.decode = func(b []byte) (any, error) { return int16(binary.BigEndian.Uint16(b)), nil }
	case connect.Int32:
		c.typeName, c.size = "integer", 4
		c.encode = intEncoder(math.MinInt32, math.MaxInt32, func(b []byte, n int64) { binary.BigEndian.PutUint32(b, uint32(n)) })
		c.decode = func(b []byte) (any, error) { return int32(binary.BigEndian.Uint32(b)), nil }
	case connect.Int64:
		c.typeName, c.size = "long", 8
		c.encode = intEncoder(math.MinInt64, math.MaxInt64, func(b []byte, n int64) { binary.BigEndian.PutUint64(b, uint64(n)) })
		c.decode = func(b []byte) (any, error) { return int64(binary.BigEndian.Uint64(b)), nil }
	case connect.Float32:
		c.typeName, c.size = "float", 4
		c.encode = func(b []byte, v any) bool {
			f, ok := v.(float32)
			if d, isDouble := v.(float64); isDouble {
				f, ok = float32(d), true
			}
			binary.BigEndian.PutUint32(b, math.Float32bits(f))
			return ok
		}
		c.decode = func(b []byte) (any, error) { return math.Float32frombits(binary.BigEndian.Uint32(b)), nil }
	case connect.Float64:
		c.typeName, c.size = "double", 8
		c.encode = func(b []byte, v any) bool {
			f, ok := v.(float64)
			if s, isFloat := v.(float32); isFloat {
				f, ok = float64(s), true
			}
			binary.BigEndian.PutUint64(b, math.Float64bits(f))
			return ok
		}
		c.decode = func(b []byte) (any, error) { return math.Float64frombits(binary.BigEndian.Uint64(b)), nil }
	}
	return c
}

// intEncoder accepts any Go integer that fits the type: connectd's other converters read
// integers as int64.
func intEncoder(min, max int64, put func([]byte, int64)) func([]byte, any) bool {
	return func(b []byte, v any) bool {
		var n int64
		switch x := v.(type) {
		case int8:
			n = int64(x)
		case int16:
			n = int64(x)
		case int32:
			n = int64(x)
		case int64:
			n = x
		case int:
			n = int64(x)
		default:
			return false
		}
		if n < min || n > max {
			return false
		}
		put(b, n)
		return true
	}
}

// Configure implements connect.Converter.
func (c *primitiveConverter) Configure(map[string]string, bool) error { return nil }

// FromConnectData implements connect.Converter.
func (c *primitiveConverter) FromConnectData(_ string, _ *connect.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	b := make([]byte, c.size)
	if !c.encode(b, value) {
		return nil, fmt.Errorf("Failed to serialize to %s (was %s): ", c.typeName, javaClass(value))
	}
	return b, nil
}

// ToConnectData implements connect.Converter.
func (c *primitiveConverter) ToConnectData(_ string, data []byte) (*connect.Schema, any, error) {
	if data == nil {
		return c.schema, nil, nil
	}
	if len(data) != c.size {
		return nil, nil, fmt.Errorf("Failed to deserialize %s: Size of data received by %sDeserializer is not %d", c.typeName, deserializerName(c.typeName), c.size)
	}
	v, err := c.decode(data)
	if err != nil {
		return nil, nil, fmt.Errorf("Failed to deserialize %s: %w", c.typeName, err)
	}
	return c.schema, v, nil
}

func deserializerName(typeName string) string {
	return string(typeName[0]-'a'+'A') + typeName[1:]
}

// javaClass names a value's type as Kafka's messages do.
func javaClass(v any) string {
	switch v.(type) {
	case string:
		return "class java.lang.String"
	case bool:
		return "class java.lang.Boolean"
	case int8:
		return "class java.lang.Byte"
	case int16:
		return "class java.lang.Short"
	case int32:
		return "class java.lang.Integer"
	case int64, int:
		return "class java.lang.Long"
	case float32:
		return "class java.lang.Float"
	case float64:
		return "class java.lang.Double"
	case []byte:
		return "class [B"
	}
	return fmt.Sprintf("%T", v)
}

// primitivePlugins are Kafka's Boolean, Short, Integer, Long, Float and Double converters.
func primitivePlugins() []*Plugin {
	var out []*Plugin
	for _, p := range []struct {
		name string
		typ  connect.Type
	}{{"Boolean", connect.Boolean}, {"Short", connect.Int16}, {"Integer", connect.Int32}, {"Long", connect.Int64}, {"Float", connect.Float32}, {"Double", connect.Float64}} {
		typ := p.typ
		out = append(out, &Plugin{Class: "org.apache.kafka.connect.converters." + p.name + "Converter", Kind: KindConverter, HeaderConverter: true,
			Config: connect.NewConfigDef(), NewConverter: func() connect.Converter { return newPrimitive(typ) }})
	}
	return out
}
