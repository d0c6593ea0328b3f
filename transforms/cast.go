package transforms

import (
	"encoding/base64"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect"
)

// schemaTypes are Kafka's Schema.Type names, which a cast spec names in any case.
var schemaTypes = map[string]connect.Type{
	"INT8": connect.Int8, "INT16": connect.Int16, "INT32": connect.Int32, "INT64": connect.Int64,
	"FLOAT32": connect.Float32, "FLOAT64": connect.Float64, "BOOLEAN": connect.Boolean, "STRING": connect.String,
	"BYTES": connect.Bytes, "ARRAY": connect.Array, "MAP": connect.Map, "STRUCT": connect.Struct,
}

// javaTypeName is a type's Schema.Type name, as Kafka's messages print it.
func javaTypeName(t connect.Type) string {
	for name, typ := range schemaTypes {
		if typ == t {
			return name
		}
	}
	return strings.ToUpper(string(t))
}

// The types Cast reads and writes, in Kafka's order and words.
const (
	castInputs  = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"
	castOutputs = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
)

func castInput(t connect.Type) bool {
	return t != connect.Array && t != connect.Map && t != connect.Struct
}

// Cast casts the whole key or value, or some of its fields, to other primitive types. It reads
// the logical types too: Date, Time and Timestamp as their numbers (days, or milliseconds) or as
// ISO 8601 text, Decimal as a number or its decimal text.
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
			Documentation: "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of " +
				"Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. " +
				"Note that binary fields can only be cast to string."}).
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
		name := strings.TrimSpace(parts[len(parts)-1])
		t, ok := schemaTypes[strings.ToUpper(name)]
		if !ok {
			return "", nil, "Invalid type found in casting spec: " + name
		}
		if t == connect.Bytes || !castInput(t) {
			return "", nil, "Cast transformation does not support casting to " + javaTypeName(t) + "; supported types are " + castOutputs
		}
		if len(parts) == 1 {
			whole = t
			continue
		}
		fields[strings.TrimSpace(parts[0])] = t
	}
	if whole != "" && len(spec) > 1 {
		return "", nil, "Cast transformations that specify a type to cast the entire value to may ony specify a single cast in their spec"
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
	if schema == nil {
		if t.whole != "" {
			out, err := castValue(nil, value, t.whole)
			if err != nil {
				return false, err
			}
			t.set(r, nil, out)
			return true, nil
		}
		m, err := requireMap(value, "cast types")
		if err != nil {
			return false, err
		}
		// As Kafka's, a field the spec names but the map lacks is added as null.
		out := copyMap(m, len(t.fields))
		for f, typ := range t.fields {
			if out[f], err = castValue(nil, m[f], typ); err != nil {
				return false, err
			}
		}
		t.set(r, nil, out)
		return true, nil
	}
	newSchema, err := t.cache.get(schema, t.updatedSchema)
	if err != nil {
		return false, err
	}
	if t.whole != "" {
		out, err := castValue(schema, value, t.whole)
		if err != nil {
			return false, err
		}
		t.set(r, newSchema, out)
		return true, nil
	}
	s, err := requireStruct(value, "cast types")
	if err != nil {
		return false, err
	}
	out := r.newStruct(newSchema)
	for _, f := range schema.Fields {
		v := fieldValue(s, f.Name, t.replaceNull)
		if typ, ok := t.fields[f.Name]; ok {
			if v, err = castValue(f.Schema, v, typ); err != nil {
				return false, err
			}
		}
		_, _ = out.Put(f.Name, v)
	}
	t.set(r, newSchema, out)
	return true, nil
}

func (t *Cast) updatedSchema(in *connect.Schema) (*connect.Schema, error) {
	if t.whole != "" {
		out := &connect.Schema{Type: t.whole, Optional: in.Optional}
		// Kafka copies the name too, which turns a cast Timestamp or Decimal into a STRING or
		// INT64 schema that claims to be one and that no converter can write; a logical name
		// is dropped here.
		if !isLogical(in.Name) {
			out.Name, out.Version, out.Doc, out.Parameters = in.Name, in.Version, in.Doc, in.Parameters
		}
		d, err := castValue(in, in.Default, t.whole)
		out.Default = d
		return out, err
	}
	out := in.CopyBasics()
	for _, f := range in.Fields {
		typ, ok := t.fields[f.Name]
		if !ok {
			out.AddField(f.Name, f.Schema)
			continue
		}
		fs := &connect.Schema{Type: typ, Optional: f.Schema.Optional}
		d, err := castValue(f.Schema, f.Schema.Default, typ)
		if err != nil {
			return nil, err
		}
		fs.Default = d
		out.AddField(f.Name, fs)
	}
	return out, nil
}

func isLogical(name string) bool {
	switch name {
	case connect.DateName, connect.TimeName, connect.TimestampName, connect.DecimalName:
		return true
	}
	return false
}

// inferredType is the schema type of a schemaless value (Kafka's ConnectSchema.schemaType).
func inferredType(v any) (connect.Type, bool) {
	switch v.(type) {
	case int8:
		return connect.Int8, true
	case int16:
		return connect.Int16, true
	case int32:
		return connect.Int32, true
	case int64, int:
		return connect.Int64, true
	case float32:
		return connect.Float32, true
	case float64:
		return connect.Float64, true
	case bool:
		return connect.Boolean, true
	case string:
		return connect.String, true
	case []byte:
		return connect.Bytes, true
	case []any:
		return connect.Array, true
	case map[string]any:
		return connect.Map, true
	case *connect.StructValue:
		return connect.Struct, true
	}
	return "", false
}

// castValue casts a value of the given schema (nil when schemaless) as Kafka's
// Cast.castValueToType does.
func castValue(schema *connect.Schema, v any, to connect.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	var in connect.Type
	if schema != nil {
		in = schema.Type
	} else if typ, ok := inferredType(v); ok {
		in = typ
	} else {
		return nil, dataErrorf("Cast transformation was passed a value of type class %s which is not supported by Connect's data API", className(v))
	}
	if !castInput(in) {
		return nil, dataErrorf("Cast transformation does not support casting from %s; supported types are %s", javaTypeName(in), castInputs)
	}
	if to == connect.String {
		return castToString(schema, v), nil
	}
	if schema != nil && schema.Name != "" {
		var err error
		if v, err = encodeLogical(schema.Name, v); err != nil {
			return nil, err
		}
	}
	switch x := v.(type) {
	case bool:
		if x {
			return fromInt(1, to), nil
		}
		return fromInt(0, to), nil
	case int8:
		return fromInt(int64(x), to), nil
	case int16:
		return fromInt(int64(x), to), nil
	case int32:
		return fromInt(int64(x), to), nil
	case int64:
		return fromInt(x, to), nil
	case int:
		return fromInt(int64(x), to), nil
	case float32:
		return fromFloat(float64(x), to), nil
	case float64:
		return fromFloat(x, to), nil
	case *big.Float:
		return fromDecimal(x, to), nil
	case string:
		return fromString(x, to)
	}
	return nil, dataErrorf("Unexpected type in Cast transformation: class %s", className(v))
}

// encodeLogical turns a Date, Time or Timestamp into the number it stands for, as Kafka's
// fromLogical methods do; a Decimal stays a number.
func encodeLogical(name string, v any) (any, error) {
	ts, ok := v.(time.Time)
	if !ok {
		return v, nil
	}
	ms := ts.UnixMilli()
	switch name {
	case connect.DateName:
		if ms%86400000 != 0 {
			return nil, dataErrorf("Kafka Connect Date type should not have any time fields set to non-zero values.")
		}
		return int32(ms / 86400000), nil
	case connect.TimeName:
		if ms < 0 || ms > 86400000 {
			return nil, dataErrorf("Kafka Connect Time type should not have any date fields set to non-zero values.")
		}
		return int32(ms), nil
	case connect.TimestampName:
		return ms, nil
	}
	return v, nil
}

// castToString is Kafka's castToString: dates in ISO 8601 by what they hold, bytes in base64,
// a Decimal as BigDecimal.toString prints it at its schema's scale, anything else as Java prints it.
func castToString(schema *connect.Schema, v any) string {
	switch x := v.(type) {
	case *big.Float:
		if scale, ok := connect.DecimalScale(schema); ok {
			return connect.DecimalString(x, scale)
		}
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		// Values.dateFormatFor: a time of day before the first day's end, a date at midnight,
		// a timestamp otherwise.
		ms := x.UnixMilli()
		var s *connect.Schema
		switch {
		case ms < 86400000:
			s = connect.TimeSchema(false)
		case ms%86400000 == 0:
			s = connect.DateSchema(false)
		default:
			s = connect.TimestampSchema(false)
		}
		return connect.ValueString(s, x)
	}
	return connect.ValueString(nil, v)
}

// fromInt narrows or widens an integer as Java's Number methods do: integers wrap.
func fromInt(i int64, to connect.Type) any {
	switch to {
	case connect.Int8:
		return int8(i)
	case connect.Int16:
		return int16(i)
	case connect.Int32:
		return int32(i)
	case connect.Int64:
		return i
	case connect.Float32:
		return float32(i)
	case connect.Float64:
		return float64(i)
	}
	return i != 0
}

// fromFloat converts a float as Java's narrowing does: to int or long with saturation (NaN is
// 0), then to byte or short by wrapping the int.
func fromFloat(f float64, to connect.Type) any {
	switch to {
	case connect.Float32:
		return float32(f)
	case connect.Float64:
		return f
	case connect.Int64:
		return saturate(f, math.MinInt64, math.MaxInt64)
	case connect.Boolean:
		return saturate(f, math.MinInt64, math.MaxInt64) != 0
	}
	return fromInt(saturate(f, math.MinInt32, math.MaxInt32), to)
}

func saturate(f float64, lo, hi int64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f <= float64(lo):
		return lo
	case f >= float64(hi):
		return hi
	}
	return int64(f)
}

// fromDecimal converts a Decimal as BigDecimal's Number methods do: integers take the low-order
// bits of the integer part, floats the nearest value.
func fromDecimal(d *big.Float, to connect.Type) any {
	switch to {
	case connect.Float32:
		f, _ := d.Float32()
		return f
	case connect.Float64:
		f, _ := d.Float64()
		return f
	}
	if d.IsInf() {
		f, _ := d.Float64()
		return fromFloat(f, to)
	}
	n, _ := d.Int(nil)
	low := new(big.Int).And(n, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
	return fromInt(int64(low), to)
}

// fromString parses text as Java's parseByte, parseInt, parseFloat, parseBoolean and the like
// do; text that is not a number of the type is out of range, in Kafka's words.
func fromString(s string, to connect.Type) (any, error) {
	switch to {
	case connect.Boolean:
		return strings.EqualFold(s, "true"), nil
	case connect.Float32, connect.Float64:
		bits := 64
		if to == connect.Float32 {
			bits = 32
		}
		f, ok := parseJavaFloat(s, bits)
		if !ok {
			return nil, dataErrorf("Value (%s) was out of range for requested data type", s)
		}
		if bits == 32 {
			return float32(f), nil
		}
		return f, nil
	}
	n, err := strconv.ParseInt(s, 10, intBits(to))
	if err != nil {
		return nil, dataErrorf("Value (%s) was out of range for requested data type", s)
	}
	return fromInt(n, to), nil
}

// parseJavaFloat reads a float as Java's Float.parseFloat and Double.parseDouble do: surrounding
// blanks ignored, an optional f or d suffix, NaN and Infinity spelled as Java spells them, and
// a number too large for the type read as infinity.
func parseJavaFloat(s string, bits int) (float64, bool) {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	unsigned := strings.TrimLeft(s, "+-")
	if len(s)-len(unsigned) > 1 {
		return 0, false
	}
	switch unsigned {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		if strings.HasPrefix(s, "-") {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	if unsigned == "" || !(unsigned[0] == '.' || (unsigned[0] >= '0' && unsigned[0] <= '9')) || strings.ContainsRune(s, '_') {
		return 0, false
	}
	if n := len(s); strings.ContainsRune("fFdD", rune(s[n-1])) && !strings.HasPrefix(strings.ToLower(unsigned), "0x") {
		s = s[:n-1]
	}
	f, err := strconv.ParseFloat(s, bits)
	return f, err == nil || errors.Is(err, strconv.ErrRange)
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
