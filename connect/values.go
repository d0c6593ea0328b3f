package connect

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Formats of the logical time types as text, Kafka's Values: ISO 8601 in UTC.
const (
	isoTimestamp = "2006-01-02T15:04:05.000Z"
	isoDate      = "2006-01-02"
	isoTime      = "15:04:05.000Z"
)

// ValueString renders a value as Kafka Connect's Values.convertToString does: numbers and
// booleans as Java prints them, times in ISO 8601, arrays and maps as JSON-like text.
func ValueString(schema *Schema, value any) string {
	var b strings.Builder
	appendValue(&b, schema, value, false)
	return b.String()
}

func appendValue(b *strings.Builder, schema *Schema, value any, embedded bool) {
	switch v := value.(type) {
	case nil:
		b.WriteString("null")
	case string:
		if embedded {
			q, _ := json.Marshal(v)
			b.Write(q)
		} else {
			b.WriteString(v)
		}
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case float32:
		b.WriteString(javaFloat(float64(v), 32))
	case float64:
		b.WriteString(javaFloat(v, 64))
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		fmt.Fprint(b, v)
	case *big.Float:
		b.WriteString(v.Text('f', -1))
	case []byte:
		b.WriteString(base64.StdEncoding.EncodeToString(v))
	case time.Time:
		name := ""
		if schema != nil {
			name = schema.Name
		}
		switch name {
		case DateName:
			b.WriteString(v.UTC().Format(isoDate))
		case TimeName:
			b.WriteString(v.UTC().Format(isoTime))
		default:
			b.WriteString(v.UTC().Format(isoTimestamp))
		}
	case []any:
		var elem *Schema
		if schema != nil {
			elem = schema.ValueSchema
		}
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			appendValue(b, elem, e, true)
		}
		b.WriteByte(']')
	case map[string]any:
		var elem *Schema
		if schema != nil {
			elem = schema.ValueSchema
		}
		b.WriteByte('{')
		for i, k := range sortedKeys(v) {
			if i > 0 {
				b.WriteByte(',')
			}
			appendValue(b, nil, k, true)
			b.WriteByte(':')
			appendValue(b, elem, v[k], true)
		}
		b.WriteByte('}')
	case *StructValue:
		b.WriteByte('{')
		for i, f := range v.Schema.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			appendValue(b, nil, f.Name, true)
			b.WriteByte(':')
			appendValue(b, f.Schema, v.At(i), true)
		}
		b.WriteByte('}')
	default:
		fmt.Fprint(b, v)
	}
}

// javaFloat prints a float as Java's Float/Double.toString does for ordinary magnitudes: an
// integral value keeps its ".0".
func javaFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	a := math.Abs(f)
	if a != 0 && (a < 1e-3 || a >= 1e7) {
		s := strconv.FormatFloat(f, 'E', -1, bits)
		mant, exp, _ := strings.Cut(s, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		e, _ := strconv.Atoi(exp)
		return mant + "E" + strconv.Itoa(e)
	}
	s := strconv.FormatFloat(f, 'f', -1, bits)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// ParseString infers a schema and value from text as Kafka Connect's Values.parseString does:
// booleans, the smallest integer type that holds a whole number, FLOAT32 or FLOAT64 for a
// decimal, ISO 8601 timestamps, dates and times, JSON-like arrays and maps of one element
// type, and otherwise the string itself. The empty string is a STRING.
func ParseString(s string) (*Schema, any) {
	if s == "" {
		return StringSchema, s
	}
	if schema, v, ok := parsePrimitive(s); ok {
		return schema, v
	}
	t := strings.TrimSpace(s)
	if (strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]")) || (strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}")) {
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		var raw any
		if err := dec.Decode(&raw); err == nil && !dec.More() {
			if schema, v, ok := fromJSON(raw); ok {
				return schema, v
			}
		}
	}
	return StringSchema, s
}

func parsePrimitive(s string) (*Schema, any, bool) {
	switch strings.ToLower(s) {
	case "true":
		return BooleanSchema, true, true
	case "false":
		return BooleanSchema, false, true
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n >= math.MinInt8 && n <= math.MaxInt8:
			return Int8Schema, int8(n), true
		case n >= math.MinInt16 && n <= math.MaxInt16:
			return Int16Schema, int16(n), true
		case n >= math.MinInt32 && n <= math.MaxInt32:
			return Int32Schema, int32(n), true
		}
		return Int64Schema, n, true
	}
	if looksNumeric(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			if f32 := float32(f); !math.IsInf(float64(f32), 0) {
				return Float32Schema, f32, true
			}
			return Float64Schema, f, true
		}
	}
	if t, err := time.Parse(isoTimestamp, s); err == nil {
		return TimestampSchema(false), t, true
	}
	if t, err := time.Parse(isoDate, s); err == nil {
		return DateSchema(false), t, true
	}
	if t, err := time.Parse(isoTime, s); err == nil {
		return TimeSchema(false), t, true
	}
	return nil, nil, false
}

// looksNumeric keeps Go's float syntax (hex, "Inf", "NaN", underscores) out of the inference.
func looksNumeric(s string) bool {
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9', r == '.':
		case (r == '-' || r == '+') && (i == 0 || s[i-1] == 'e' || s[i-1] == 'E'):
		case (r == 'e' || r == 'E') && i > 0:
		default:
			return false
		}
	}
	return true
}

// fromJSON types decoded JSON: an array or map whose elements share one primitive schema.
func fromJSON(raw any) (*Schema, any, bool) {
	switch x := raw.(type) {
	case []any:
		out := make([]any, len(x))
		var elem *Schema
		for i, e := range x {
			s, v, ok := fromJSON(e)
			if !ok || (elem != nil && !sameType(elem, s)) {
				return nil, nil, false
			}
			elem, out[i] = s, v
		}
		if elem == nil {
			return nil, nil, false
		}
		return &Schema{Type: Array, ValueSchema: elem}, out, true
	case map[string]any:
		out := make(map[string]any, len(x))
		var elem *Schema
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s, v, ok := fromJSON(x[k])
			if !ok || (elem != nil && !sameType(elem, s)) {
				return nil, nil, false
			}
			elem, out[k] = s, v
		}
		if elem == nil {
			return nil, nil, false
		}
		return &Schema{Type: Map, KeySchema: StringSchema, ValueSchema: elem}, out, true
	case json.Number:
		s, v, ok := parsePrimitive(x.String())
		return s, v, ok
	case string:
		return StringSchema, x, true
	case bool:
		return BooleanSchema, x, true
	}
	return nil, nil, false
}

func sameType(a, b *Schema) bool { return a.Type == b.Type && a.Name == b.Name }
