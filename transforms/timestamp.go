package transforms

import (
	"strings"
	"time"

	"github.com/connectd/connectd/connect"
)

// TimestampConverter converts a timestamp, the whole key or value or one field of it, between
// Unix epoch numbers, formatted strings and the Date, Time and Timestamp logical types.
type TimestampConverter struct {
	side
	field       string
	target      string
	layout      javaLayout
	precision   string
	replaceNull bool
	cache       schemaCache
}

// Config implements Transformation.
func (*TimestampConverter) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "field", Type: connect.TypeString, Default: "", Importance: connect.High,
			Documentation: "The field containing the timestamp, or empty if the entire value is a timestamp"}).
		Define(connect.ConfigKey{Name: "target.type", Type: connect.TypeString, Required: true, Validator: connect.OneOf("string", "unix", "Date", "Time", "Timestamp"),
			Importance: connect.High, Documentation: "The desired timestamp representation: string, unix, Date, Time, or Timestamp"}).
		Define(connect.ConfigKey{Name: "format", Type: connect.TypeString, Default: "", Importance: connect.Medium,
			Documentation: "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string."}).
		Define(connect.ConfigKey{Name: "unix.precision", Type: connect.TypeString, Default: "milliseconds", Validator: connect.OneOf("nanoseconds", "microseconds", "milliseconds", "seconds"),
			Importance: connect.Low, Documentation: "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long."}).
		Define(replaceNullWithDefault())
}

// Configure implements Transformation.
func (t *TimestampConverter) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	t.field, t.target, t.precision = v.str("field"), v.str("target.type"), v.str("unix.precision")
	t.replaceNull = v.boolean("replace.null.with.default")
	format := v.str("format")
	if t.target == "string" && strings.TrimSpace(format) == "" {
		return configErrorf("TimestampConverter requires format option to be specified when using string timestamps")
	}
	if format != "" {
		if t.layout, err = parseJavaLayout(format); err != nil {
			return invalid("format", format, "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: "+format)
		}
	}
	return nil
}

// Apply implements Transformation.
func (t *TimestampConverter) Apply(r *Record) (bool, error) {
	schema, value := t.get(r)
	if t.field == "" {
		if value == nil && schema == nil {
			return true, nil
		}
		out, err := t.convert(schema, value)
		if err != nil {
			return false, err
		}
		var outSchema *connect.Schema
		if schema != nil {
			outSchema = t.targetSchema(schema.Optional)
		}
		t.set(r, outSchema, out)
		return true, nil
	}
	if value == nil {
		return true, nil
	}
	if schema == nil {
		m, err := requireMap(value, "converting timestamp formats")
		if err != nil {
			return false, err
		}
		out := copyMap(m, 0)
		if out[t.field], err = t.convert(nil, m[t.field]); err != nil {
			return false, err
		}
		t.set(r, nil, out)
		return true, nil
	}
	s, err := requireStruct(value, "converting timestamp formats")
	if err != nil {
		return false, err
	}
	newSchema, _ := t.cache.get(schema, func(in *connect.Schema) (*connect.Schema, error) {
		out := in.CopyBasics()
		for _, f := range in.Fields {
			if f.Name == t.field {
				out.AddField(f.Name, t.targetSchema(f.Schema.Optional))
			} else {
				out.AddField(f.Name, f.Schema)
			}
		}
		return out, nil
	})
	out := r.newStruct(newSchema)
	for _, f := range schema.Fields {
		v := fieldValue(s, f.Name, t.replaceNull)
		if f.Name == t.field {
			if v, err = t.convert(f.Schema, v); err != nil {
				return false, err
			}
		}
		_, _ = out.Put(f.Name, v)
	}
	t.set(r, newSchema, out)
	return true, nil
}

func (t *TimestampConverter) targetSchema(optional bool) *connect.Schema {
	switch t.target {
	case "string":
		return connect.PrimitiveSchema(connect.String, optional)
	case "unix":
		return connect.PrimitiveSchema(connect.Int64, optional)
	case "Date":
		return connect.DateSchema(optional)
	case "Time":
		return connect.TimeSchema(optional)
	}
	return connect.TimestampSchema(optional)
}

// convert reads a timestamp in whatever form it has and writes it in the target form.
func (t *TimestampConverter) convert(schema *connect.Schema, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	var ts time.Time
	switch x := v.(type) {
	case time.Time:
		ts = x
	case string:
		if t.layout == "" {
			return nil, dataErrorf("TimestampConverter requires format option to be specified when using string timestamps")
		}
		p, err := t.layout.parse(x)
		if err != nil {
			return nil, dataErrorf("Could not parse timestamp: value (%s) does not match pattern (%s)", x, string(t.layout))
		}
		ts = p
	case int64, int32, int, int16, int8:
		n := toInt64(x)
		switch {
		case schema != nil && schema.Name == connect.DateName:
			ts = time.UnixMilli(n * 86400000)
		case schema != nil && schema.Name == connect.TimeName:
			ts = time.UnixMilli(n)
		default:
			ts = t.fromUnix(n)
		}
	default:
		return nil, dataErrorf("Expected timestamp to be a Long, String, or Date, but found %s", className(v))
	}
	ts = ts.UTC()
	switch t.target {
	case "string":
		return t.layout.format(ts), nil
	case "unix":
		return t.toUnix(ts), nil
	case "Date":
		return time.Date(ts.Year(), ts.Month(), ts.Day(), 0, 0, 0, 0, time.UTC), nil
	case "Time":
		return time.Date(1970, 1, 1, ts.Hour(), ts.Minute(), ts.Second(), ts.Nanosecond()/1e6*1e6, time.UTC), nil
	}
	return ts, nil
}

func (t *TimestampConverter) fromUnix(n int64) time.Time {
	switch t.precision {
	case "seconds":
		return time.Unix(n, 0)
	case "microseconds":
		return time.UnixMicro(n)
	case "nanoseconds":
		return time.Unix(0, n)
	}
	return time.UnixMilli(n)
}

func (t *TimestampConverter) toUnix(ts time.Time) int64 {
	switch t.precision {
	case "seconds":
		return ts.Unix()
	case "microseconds":
		return ts.UnixMicro()
	case "nanoseconds":
		return ts.UnixNano()
	}
	return ts.UnixMilli()
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int8:
		return int64(n)
	case int16:
		return int64(n)
	case int32:
		return int64(n)
	case int64:
		return n
	case int:
		return int64(n)
	}
	return 0
}
