package transforms

import (
	"encoding/base64"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect"
)

// castable are the types Cast converts to and from, as Kafka names them in its spec.
var castable = map[string]connect.Type{
	"int8": connect.Int8, "int16": connect.Int16, "int32": connect.Int32, "int64": connect.Int64,
	"float32": connect.Float32, "float64": connect.Float64, "boolean": connect.Boolean, "string": connect.String,
}

// Cast casts the whole key or value, or some of its fields, to other primitive types.
type Cast struct {
	side
	whole       connect.Type
	fields      map[string]connect.Type
	replaceNull bool
	cache       schemaCache
}

// Config implements Transformation.
func (*Cast) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "spec", Type: connect.TypeList, Required: true,
			Validator: func(v any) string {
				if _, _, err := parseCastSpec(v.([]string)); err != "" {
					return err
				}
				return ""
			},
			Importance: connect.High,
			Documentation: "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. " +
				"A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string."}).
		Define(replaceNullWithDefault())
}

func parseCastSpec(spec []string) (connect.Type, map[string]connect.Type, string) {
	if len(spec) == 0 {
		return "", nil, "Must specify at least one field to cast."
	}
	fields := map[string]connect.Type{}
	var whole connect.Type
	for _, m := range spec {
		parts := strings.Split(m, ":")
		if len(parts) > 2 {
			return "", nil, "Invalid cast mapping: " + m
		}
		t, ok := castable[strings.ToLower(strings.TrimSpace(parts[len(parts)-1]))]
		if !ok {
			return "", nil, "Invalid type found in casting spec: " + strings.TrimSpace(parts[len(parts)-1])
		}
		if len(parts) == 1 {
			if len(spec) > 1 {
				return "", nil, "Cast transformations that specify a type to cast the entire value to may ony specify a single cast in their spec"
			}
			whole = t
			continue
		}
		fields[strings.TrimSpace(parts[0])] = t
	}
	return whole, fields, ""
}

// Configure implements Transformation.
func (t *Cast) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	t.whole, t.fields, _ = parseCastSpec(v.list("spec"))
	t.replaceNull = v.boolean("replace.null.with.default")
	return nil
}

// Apply implements Transformation.
func (t *Cast) Apply(r *Record) (bool, error) {
	schema, value := t.get(r)
	if value == nil {
		return true, nil
	}
	if t.whole != "" {
		out, err := castValue(value, t.whole)
		if err != nil {
			return false, err
		}
		var outSchema *connect.Schema
		if schema != nil {
			outSchema = &connect.Schema{Type: t.whole, Optional: schema.Optional}
		}
		t.set(r, outSchema, out)
		return true, nil
	}
	if schema == nil {
		m, err := requireMap(value, "cast types")
		if err != nil {
			return false, err
		}
		out := copyMap(m, 0)
		for f, typ := range t.fields {
			if v, ok := m[f]; ok {
				if out[f], err = castValue(v, typ); err != nil {
					return false, err
				}
			}
		}
		t.set(r, nil, out)
		return true, nil
	}
	s, err := requireStruct(value, "cast types")
	if err != nil {
		return false, err
	}
	newSchema, err := t.cache.get(schema, func(in *connect.Schema) (*connect.Schema, error) {
		out := in.CopyBasics()
		for _, f := range in.Fields {
			typ, ok := t.fields[f.Name]
			if !ok {
				out.AddField(f.Name, f.Schema)
				continue
			}
			if !castInput(f.Schema.Type) || f.Schema.Name != "" {
				return nil, dataErrorf("Cast transformation does not support casting from %s; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]", strings.ToUpper(string(f.Schema.Type)))
			}
			fs := &connect.Schema{Type: typ, Optional: f.Schema.Optional}
			if f.Schema.Default != nil {
				d, err := castValue(f.Schema.Default, typ)
				if err != nil {
					return nil, err
				}
				fs.Default = d
			}
			out.AddField(f.Name, fs)
		}
		return out, nil
	})
	if err != nil {
		return false, err
	}
	out := connect.NewStruct(newSchema)
	for _, f := range newSchema.Fields {
		v := fieldValue(s, f.Name, t.replaceNull)
		if typ, ok := t.fields[f.Name]; ok && v != nil {
			if v, err = castValue(v, typ); err != nil {
				return false, err
			}
		}
		_, _ = out.Put(f.Name, v)
	}
	t.set(r, newSchema, out)
	return true, nil
}

// intBits is the size of an integer type, 64 for the others.
func intBits(t connect.Type) int {
	switch t {
	case connect.Int8:
		return 8
	case connect.Int16:
		return 16
	case connect.Int32:
		return 32
	}
	return 64
}

func castInput(t connect.Type) bool {
	switch t {
	case connect.Int8, connect.Int16, connect.Int32, connect.Int64, connect.Float32, connect.Float64,
		connect.Boolean, connect.String, connect.Bytes:
		return true
	}
	return false
}

// castValue converts a value to a primitive type as Kafka's Cast does: numbers truncate,
// booleans are 1 or 0, strings are parsed, and anything becomes its text for STRING.
func castValue(v any, to connect.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	if to == connect.String {
		switch x := v.(type) {
		case []byte:
			return base64.StdEncoding.EncodeToString(x), nil
		case time.Time:
			return connect.ValueString(connect.TimestampSchema(false), x), nil
		}
		return connect.ValueString(nil, v), nil
	}
	var f float64
	var i int64
	isInt := false
	switch x := v.(type) {
	case bool:
		if x {
			i = 1
		}
		isInt = true
	case int8:
		i, isInt = int64(x), true
	case int16:
		i, isInt = int64(x), true
	case int32:
		i, isInt = int64(x), true
	case int64:
		i, isInt = x, true
	case int:
		i, isInt = int64(x), true
	case float32:
		f = float64(x)
	case float64:
		f = x
	case *big.Float:
		f, _ = x.Float64()
	case string:
		if to == connect.Boolean {
			return strings.EqualFold(strings.TrimSpace(x), "true"), nil
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, intBits(to)); err == nil {
			// Java's Byte.parseByte and the like refuse a number out of the type's range.
			i, isInt = n, true
		} else if g, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil && to != connect.Int8 && to != connect.Int16 && to != connect.Int32 && to != connect.Int64 {
			f = g
		} else {
			return nil, dataErrorf("Value (%s) was out of range for requested data type", x)
		}
	default:
		return nil, dataErrorf("Unexpected type in Cast transformation: %s", className(v))
	}
	if !isInt {
		if to == connect.Boolean {
			return f != 0, nil
		}
		if to == connect.Float32 {
			return float32(f), nil
		}
		if to == connect.Float64 {
			return f, nil
		}
		i = int64(math.Trunc(f))
	}
	switch to {
	case connect.Int8:
		return int8(i), nil
	case connect.Int16:
		return int16(i), nil
	case connect.Int32:
		return int32(i), nil
	case connect.Int64:
		return i, nil
	case connect.Float32:
		return float32(i), nil
	case connect.Float64:
		return float64(i), nil
	case connect.Boolean:
		return i != 0, nil
	}
	return nil, dataErrorf("Unexpected type in Cast transformation: %s", to)
}
