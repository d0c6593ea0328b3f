package plugins

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/connectd/connectd/connect"
)

func stringConverterDef() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "converter.encoding", Type: connect.TypeString, Default: "UTF8", Importance: connect.High, Documentation: "The name of the Java character set to use for encoding strings as byte arrays."})
}

func jsonConverterDef() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "schemas.enable", Type: connect.TypeBoolean, Default: "true", Importance: connect.High, DisplayName: "Enable Schemas", Documentation: "Include schemas within each of the serialized values and keys."}).
		Define(connect.ConfigKey{Name: "schemas.cache.size", Type: connect.TypeInt, Default: "1000", Importance: connect.High, DisplayName: "Schema Cache Size", Documentation: "The maximum number of schemas that can be cached in this converter instance."}).
		Define(connect.ConfigKey{Name: "decimal.format", Type: connect.TypeString, Default: "BASE64", Validator: connect.OneOfIgnoreCase("BASE64", "NUMERIC"), Importance: connect.Low, DisplayName: "Decimal Format", Documentation: "Controls which format this converter will serialize decimals in."})
}

// StringConverter is Kafka's StringConverter: values as UTF-8 strings.
type StringConverter struct{}

// Configure implements connect.Converter.
func (StringConverter) Configure(map[string]string, bool) error { return nil }

// FromConnectData implements connect.Converter.
func (StringConverter) FromConnectData(_ string, _ *connect.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	s := valueString(value)
	// The string's own bytes, not a copy (a tenth of a source task's time went to copying
	// them): the runtime only reads what a converter returns.
	return unsafe.Slice(unsafe.StringData(s), len(s)), nil
}

// ToConnectData implements connect.Converter.
func (StringConverter) ToConnectData(_ string, data []byte) (*connect.Schema, any, error) {
	if data == nil {
		return connect.OptionalStringSchema, nil, nil
	}
	return connect.OptionalStringSchema, string(data), nil
}

// ByteArrayConverter is Kafka's pass-through converter.
type ByteArrayConverter struct{}

// Configure implements connect.Converter.
func (ByteArrayConverter) Configure(map[string]string, bool) error { return nil }

// FromConnectData implements connect.Converter.
func (ByteArrayConverter) FromConnectData(_ string, schema *connect.Schema, value any) ([]byte, error) {
	if schema != nil && schema.Type != connect.Bytes {
		return nil, fmt.Errorf("Invalid schema type for ByteArrayConverter: %s", schema.Type)
	}
	switch v := value.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	}
	return nil, fmt.Errorf("ByteArrayConverter is not compatible with objects of type %T", value)
}

// ToConnectData implements connect.Converter.
func (ByteArrayConverter) ToConnectData(_ string, data []byte) (*connect.Schema, any, error) {
	if data == nil {
		return connect.OptionalBytesSchema, nil, nil
	}
	return connect.OptionalBytesSchema, data, nil
}

// JSONConverter is Kafka's JsonConverter: with schemas.enable (the default) each value is the
// envelope {"schema":...,"payload":...}; without, plain JSON.
type JSONConverter struct {
	schemas bool
	// numeric writes a Decimal as a JSON number (decimal.format=NUMERIC), not as base64 bytes.
	numeric bool
	// envelopes caches the start of the envelope, {"schema":...,"payload":, of each schema, as
	// Kafka's converter caches the JSON of a schema (schemas.cache.size): writing the schema was
	// most of the converter's cost. Schemas are keyed by pointer, which holds because a schema
	// does not change once a record carries it. A task's converter serves one goroutine at a
	// time, but the lock keeps a shared one correct.
	mu        sync.Mutex
	envelopes map[*connect.Schema][]byte
	cacheSize int
}

// Configure implements connect.Converter.
func (c *JSONConverter) Configure(config map[string]string, _ bool) error {
	c.schemas, c.cacheSize = true, 1000
	if v, ok := config["schemas.enable"]; ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
		case "false":
			c.schemas = false
		default:
			return fmt.Errorf("Invalid value %s for configuration schemas.enable: Expected value to be either true or false", v)
		}
	}
	if v, ok := config["schemas.cache.size"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil {
			return fmt.Errorf("Invalid value %s for configuration schemas.cache.size: Not a number of type INT", v)
		}
		c.cacheSize = int(n)
	}
	if v, ok := config["decimal.format"]; ok {
		switch strings.ToUpper(strings.TrimSpace(v)) {
		case "BASE64":
		case "NUMERIC":
			c.numeric = true
		default:
			return fmt.Errorf("Invalid value %s for configuration decimal.format: String must be one of (case insensitive): BASE64, NUMERIC", v)
		}
	}
	return nil
}

// jsonBuffers are scratch buffers for FromConnectData: the result is copied out at its exact
// size, instead of growing a buffer of its own step by step.
var jsonBuffers = sync.Pool{New: func() any { return new([]byte) }}

// FromConnectData implements connect.Converter.
func (c *JSONConverter) FromConnectData(_ string, schema *connect.Schema, value any) ([]byte, error) {
	// As Kafka's: no schema and no value is no data (a record without a key, a tombstone).
	if schema == nil && value == nil {
		return nil, nil
	}
	scratch := jsonBuffers.Get().(*[]byte)
	buf := (*scratch)[:0]
	if c.schemas {
		buf = c.appendEnvelope(buf, schema)
	}
	buf, err := appendValue(buf, schema, value, c.numeric)
	if c.schemas {
		buf = append(buf, '}')
	}
	out := bytes.Clone(buf)
	// A rare huge record does not pin its buffer.
	if cap(buf) <= 1<<16 {
		*scratch = buf
		jsonBuffers.Put(scratch)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// appendEnvelope appends {"schema":<schema>,"payload": from the cache, or writes and caches it.
func (c *JSONConverter) appendEnvelope(buf []byte, schema *connect.Schema) []byte {
	c.mu.Lock()
	env, ok := c.envelopes[schema]
	c.mu.Unlock()
	if ok {
		return append(buf, env...)
	}
	var b bytes.Buffer
	b.WriteString(`{"schema":`)
	writeSchema(&b, schema)
	b.WriteString(`,"payload":`)
	if c.cacheSize > 0 {
		c.mu.Lock()
		if c.envelopes == nil || len(c.envelopes) >= c.cacheSize {
			c.envelopes = map[*connect.Schema][]byte{}
		}
		c.envelopes[schema] = b.Bytes()
		c.mu.Unlock()
	}
	return append(buf, b.Bytes()...)
}

// writeSchema writes a schema as Kafka's JsonConverter.asJsonSchema does, keeping its key order.
func writeSchema(buf *bytes.Buffer, s *connect.Schema) {
	if s == nil {
		buf.WriteString("null")
		return
	}
	fmt.Fprintf(buf, `{"type":%q`, string(s.Type))
	switch s.Type {
	case connect.Struct:
		buf.WriteString(`,"fields":[`)
		for i, f := range s.Fields {
			if i > 0 {
				buf.WriteByte(',')
			}
			if f.Schema == nil {
				fmt.Fprintf(buf, `{"field":%q}`, f.Name)
				continue
			}
			var field bytes.Buffer
			writeSchema(&field, f.Schema)
			b := field.Bytes()
			buf.Write(b[:len(b)-1])
			fmt.Fprintf(buf, `,"field":%q}`, f.Name)
		}
		buf.WriteByte(']')
	case connect.Array:
		buf.WriteString(`,"items":`)
		writeSchema(buf, s.ValueSchema)
	case connect.Map:
		buf.WriteString(`,"keys":`)
		writeSchema(buf, s.KeySchema)
		buf.WriteString(`,"values":`)
		writeSchema(buf, s.ValueSchema)
	}
	fmt.Fprintf(buf, `,"optional":%t`, s.Optional)
	if s.Name != "" {
		fmt.Fprintf(buf, `,"name":%q`, s.Name)
	}
	if s.Version != 0 {
		fmt.Fprintf(buf, `,"version":%d`, s.Version)
	}
	if s.Doc != "" {
		fmt.Fprintf(buf, `,"doc":%q`, s.Doc)
	}
	if len(s.Parameters) > 0 {
		params, _ := json.Marshal(s.Parameters)
		buf.WriteString(`,"parameters":`)
		buf.Write(params)
	}
	buf.WriteByte('}')
}

// appendValue appends a value as JSON; strings, integers and booleans are written directly, as
// encoding/json would write them, and everything else by encoding/json.
func appendValue(buf []byte, schema *connect.Schema, value any, numeric bool) ([]byte, error) {
	if t, ok := value.(time.Time); ok {
		value = logicalNumber(schema, t)
	}
	if d, ok := value.(*big.Float); ok && d != nil {
		if scale, ok := connect.DecimalScale(schema); ok {
			if numeric {
				return append(buf, connect.DecimalString(d, scale)...), nil
			}
			value = connect.DecimalBytes(d, scale)
		}
	}
	switch v := value.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendString(buf, v), nil
	case bool:
		return strconv.AppendBool(buf, v), nil
	case int8:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(buf, v, 10), nil
	case int:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case *connect.StructValue:
		if v == nil || v.Schema == nil {
			return buf, errors.New("Converting Kafka Connect data to byte[] failed: a struct without a schema")
		}
		buf = append(buf, '{')
		for i := range v.Schema.Fields {
			if i > 0 {
				buf = append(buf, ',')
			}
			f := &v.Schema.Fields[i]
			buf = appendString(buf, f.Name)
			buf = append(buf, ':')
			var err error
			if buf, err = appendValue(buf, f.Schema, v.At(i), numeric); err != nil {
				return buf, err
			}
		}
		return append(buf, '}'), nil
	case []byte:
		// Kafka encodes BYTES as base64 text.
		buf = append(buf, '"')
		buf = base64.StdEncoding.AppendEncode(buf, v)
		return append(buf, '"'), nil
	}
	b, err := json.Marshal(value)
	if err != nil {
		return buf, fmt.Errorf("Converting Kafka Connect data to byte[] failed due to serialization error: %w", err)
	}
	return append(buf, b...), nil
}

// appendString appends s as a JSON string. Text of printable ASCII that encoding/json would not
// escape is copied as it is; anything else is left to encoding/json, which escapes HTML
// characters, U+2028 and U+2029 and replaces invalid UTF-8, so the output stays the same.
func appendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
			b, _ := json.Marshal(s)
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// plainJSON marks the bytes encoding/json writes in a string as they are.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// readDecimal reads a Decimal as Kafka's JsonConverter does: base64 of the unscaled bytes, or a
// JSON number (decimal.format=NUMERIC).
func readDecimal(s *connect.Schema, v any) (any, error) {
	scale, ok := connect.DecimalScale(s)
	if !ok {
		return nil, errors.New("Invalid Decimal schema: scale parameter not found.")
	}
	switch x := v.(type) {
	case json.Number:
		d, _, err := big.ParseFloat(x.String(), 10, 128, big.ToNearestEven)
		if err != nil {
			return nil, fmt.Errorf("Invalid type for Decimal, underlying representation should be numeric or bytes but was %s", x)
		}
		return d, nil
	case string:
		b, err := base64.StdEncoding.DecodeString(x)
		if err != nil {
			return nil, err
		}
		return connect.DecimalFromBytes(b, scale), nil
	}
	return nil, errors.New("Invalid type for Decimal, underlying representation should be numeric or bytes")
}

var errEnvelope = errors.New(`JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.`)

// ToConnectData implements connect.Converter.
func (c *JSONConverter) ToConnectData(_ string, data []byte) (*connect.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, nil, fmt.Errorf("Converting byte[] to Kafka Connect data failed due to serialization error: %w", err)
	}
	if !c.schemas {
		return nil, plain(raw), nil
	}
	env, ok := raw.(map[string]any)
	_, hasSchema := env["schema"]
	_, hasPayload := env["payload"]
	if !ok || len(env) != 2 || !hasSchema || !hasPayload {
		return nil, nil, errEnvelope
	}
	schema, err := readSchema(env["schema"])
	if err != nil {
		return nil, nil, err
	}
	value, err := readValue(schema, env["payload"])
	return schema, value, err
}

// plain turns decoded JSON into Connect's schemaless values: integral numbers become int64.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = plain(e)
		}
	case []any:
		for i, e := range x {
			x[i] = plain(e)
		}
	}
	return v
}

func readSchema(v any) (*connect.Schema, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("Schema must be a JSON object")
	}
	t, ok := m["type"].(string)
	if !ok {
		return nil, errors.New("Schema must contain 'type' field")
	}
	s := &connect.Schema{Type: connect.Type(t)}
	s.Optional, _ = m["optional"].(bool)
	s.Name, _ = m["name"].(string)
	s.Doc, _ = m["doc"].(string)
	if n, ok := m["version"].(json.Number); ok {
		i, _ := n.Int64()
		s.Version = int(i)
	}
	if params, ok := m["parameters"].(map[string]any); ok {
		s.Parameters = make(map[string]string, len(params))
		for k, v := range params {
			str, ok := v.(string)
			if !ok {
				return nil, errors.New("Schema parameters must have string values.")
			}
			s.Parameters[k] = str
		}
	}
	switch s.Type {
	case connect.Struct:
		fields, ok := m["fields"].([]any)
		if !ok {
			return nil, errors.New(`Struct schema's "fields" argument is not an array.`)
		}
		for i, f := range fields {
			// A field is a schema object with its name; anything else (null, a number) is
			// malformed, and once panicked here and took the node down.
			fm, ok := f.(map[string]any)
			name, named := fm["field"].(string)
			if !ok || !named {
				return nil, errors.New("Struct schema's field name not specified properly")
			}
			fs, err := readSchema(fm)
			if err != nil {
				return nil, err
			}
			s.Fields = append(s.Fields, connect.Field{Name: name, Index: i, Schema: fs})
		}
	case connect.Array:
		items, err := readSchema(m["items"])
		if err != nil {
			return nil, err
		}
		s.ValueSchema = items
	case connect.Map:
		var err error
		if s.KeySchema, err = readSchema(m["keys"]); err != nil {
			return nil, err
		}
		if s.ValueSchema, err = readSchema(m["values"]); err != nil {
			return nil, err
		}
	case connect.Int8, connect.Int16, connect.Int32, connect.Int64, connect.Float32, connect.Float64,
		connect.Boolean, connect.String, connect.Bytes:
	default:
		return nil, fmt.Errorf("Unknown schema type: %s", t)
	}
	return s, nil
}

func readValue(s *connect.Schema, v any) (any, error) {
	if v == nil || s == nil {
		return plain(v), nil
	}
	switch s.Type {
	case connect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errors.New("Structs must be JSON objects")
		}
		out := connect.NewStruct(s)
		for i, f := range s.Fields {
			fv, err := readValue(f.Schema, m[f.Name])
			if err != nil {
				return nil, err
			}
			out.PutAt(i, fv)
		}
		return out, nil
	case connect.Int8, connect.Int16, connect.Int32, connect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("Expected %s but got %T", s.Type, v)
		}
		i, err := n.Int64()
		return i, err
	case connect.Float32, connect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("Expected %s but got %T", s.Type, v)
		}
		return n.Float64()
	case connect.Bytes:
		if s.Name == connect.DecimalName {
			return readDecimal(s, v)
		}
		str, ok := v.(string)
		if !ok {
			return nil, errors.New("Invalid bytes field")
		}
		return base64.StdEncoding.DecodeString(str)
	case connect.Array:
		items, ok := v.([]any)
		if !ok {
			return nil, errors.New("Arrays must be JSON arrays")
		}
		out := make([]any, len(items))
		for i, item := range items {
			var err error
			if out[i], err = readValue(s.ValueSchema, item); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return plain(v), nil
}
