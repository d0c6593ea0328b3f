package plugins

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/connectd/connectd/connect"
)

func TestSimpleHeaderConverterRoundTrip(t *testing.T) {
	c, err := New().NewHeaderConverter("", nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	tests := []struct {
		schema     *connect.Schema
		value      any
		text       string
		wantSchema *connect.Schema
		want       any
	}{
		{nil, "hello", "hello", connect.StringSchema, "hello"},
		{nil, "", "", connect.StringSchema, ""},
		{connect.BooleanSchema, true, "true", connect.BooleanSchema, true},
		{connect.Int32Schema, int32(42), "42", connect.Int8Schema, int8(42)},
		{nil, int64(100000), "100000", connect.Int32Schema, int32(100000)},
		{nil, int64(1) << 40, "1099511627776", connect.Int64Schema, int64(1) << 40},
		{connect.Float64Schema, 1.5, "1.5", connect.Float32Schema, float32(1.5)},
		{connect.Float64Schema, 2.0, "2.0", connect.Float32Schema, float32(2)},
		{connect.TimestampSchema(false), ts, "2024-05-06T07:08:09.123Z", connect.TimestampSchema(false), ts},
		{connect.DateSchema(false), time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC), "2024-05-06", connect.DateSchema(false), time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)},
		{nil, []any{int64(1), int64(2)}, "[1,2]", &connect.Schema{Type: connect.Array, ValueSchema: connect.Int8Schema}, []any{int8(1), int8(2)}},
		{nil, map[string]any{"a": "x"}, `{"a":"x"}`, &connect.Schema{Type: connect.Map, KeySchema: connect.StringSchema, ValueSchema: connect.StringSchema}, map[string]any{"a": "x"}},
	}
	for _, tt := range tests {
		b, err := c.FromConnectHeader("t", "h", tt.schema, tt.value)
		if err != nil || string(b) != tt.text {
			t.Errorf("%v: %q %v, want %q", tt.value, b, err, tt.text)
			continue
		}
		schema, v, err := c.ToConnectHeader("t", "h", b)
		if err != nil || !reflect.DeepEqual(schema, tt.wantSchema) || !reflect.DeepEqual(v, tt.want) {
			t.Errorf("%q: %+v %#v %v, want %+v %#v", b, schema, v, err, tt.wantSchema, tt.want)
		}
	}
	if b, _ := c.FromConnectHeader("t", "h", nil, nil); b != nil {
		t.Errorf("null header: %q", b)
	}
	if s, v, _ := c.ToConnectHeader("t", "h", nil); s != nil || v != nil {
		t.Errorf("null header read: %v %v", s, v)
	}
}

func TestConvertersServeAsHeaderConverters(t *testing.T) {
	r := New()
	bc, err := r.NewHeaderConverter("ByteArrayConverter", nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := bc.FromConnectHeader("t", "h", nil, []byte{1, 2, 3}); err != nil || !bytes.Equal(b, []byte{1, 2, 3}) {
		t.Errorf("bytes header: %v %v", b, err)
	}
	sc, err := r.NewHeaderConverter("org.apache.kafka.connect.storage.StringConverter", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, v, _ := sc.ToConnectHeader("t", "h", []byte("42")); v != "42" {
		t.Errorf("string header read as %#v", v)
	}
	if _, err := r.NewHeaderConverter("FileStreamSource", nil); err == nil || err.Error() != "Class FileStreamSource could not be found." {
		t.Errorf("not a header converter: %v", err)
	}
}

func TestPrimitiveConverters(t *testing.T) {
	r := New()
	tests := []struct {
		class string
		value any
		bytes []byte
		back  any
	}{
		{"org.apache.kafka.connect.converters.BooleanConverter", true, []byte{1}, true},
		{"BooleanConverter", false, []byte{0}, false},
		{"ShortConverter", int16(-2), []byte{0xff, 0xfe}, int16(-2)},
		{"IntegerConverter", int64(258), []byte{0, 0, 1, 2}, int32(258)},
		{"LongConverter", int64(-1), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, int64(-1)},
		{"FloatConverter", float32(1.5), []byte{0x3f, 0xc0, 0, 0}, float32(1.5)},
		{"DoubleConverter", 1.5, []byte{0x3f, 0xf8, 0, 0, 0, 0, 0, 0}, 1.5},
	}
	for _, tt := range tests {
		c, err := r.NewConverter(tt.class, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.FromConnectData("t", nil, tt.value)
		if err != nil || !bytes.Equal(b, tt.bytes) {
			t.Errorf("%s: %x %v, want %x", tt.class, b, err, tt.bytes)
		}
		schema, v, err := c.ToConnectData("t", tt.bytes)
		if err != nil || v != tt.back || !schema.Optional {
			t.Errorf("%s: %v %#v %v", tt.class, schema, v, err)
		}
		if b, _ := c.FromConnectData("t", nil, nil); b != nil {
			t.Errorf("%s: null is %x", tt.class, b)
		}
	}
	c, _ := r.NewConverter("ShortConverter", nil, true)
	if _, _, err := c.ToConnectData("t", []byte{1}); err == nil || err.Error() != "Failed to deserialize short: Size of data received by ShortDeserializer is not 2" {
		t.Errorf("short data: %v", err)
	}
	if _, err := c.FromConnectData("t", nil, "x"); err == nil || err.Error() != "Failed to serialize to short (was class java.lang.String): " {
		t.Errorf("wrong type: %v", err)
	}
	if _, err := c.FromConnectData("t", nil, int64(1<<20)); err == nil {
		t.Error("an int64 beyond a short must not be truncated")
	}
	b, _ := r.NewConverter("BooleanConverter", nil, false)
	if _, _, err := b.ToConnectData("t", []byte{2}); err == nil || err.Error() != "Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: 2" {
		t.Errorf("boolean byte: %v", err)
	}
}

func FuzzPrimitiveConverters(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4})
	f.Add([]byte{})
	r := New()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, class := range []string{"BooleanConverter", "ShortConverter", "IntegerConverter", "LongConverter", "FloatConverter", "DoubleConverter"} {
			c, _ := r.NewConverter(class, nil, false)
			if _, v, err := c.ToConnectData("t", data); err == nil {
				if b, err := c.FromConnectData("t", nil, v); err != nil || !bytes.Equal(b, data) {
					t.Fatalf("%s: %x read as %v written as %x %v", class, data, v, b, err)
				}
			}
		}
	})
}

func FuzzSimpleHeaderConverter(f *testing.F) {
	for _, s := range []string{"42", "1.5", "true", "[1,2]", `{"a":1}`, "2024-05-06", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var c SimpleHeaderConverter
		schema, v, err := c.ToConnectHeader("t", "h", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.FromConnectHeader("t", "h", schema, v); err != nil {
			t.Fatal(err)
		}
	})
}

func TestJSONConverterWritesLogicalTimesAsKafkaDoes(t *testing.T) {
	c := &JSONConverter{}
	_ = c.Configure(map[string]string{"schemas.enable": "false"}, false)
	at := time.Date(1970, 1, 3, 0, 0, 1, 5e6, time.UTC)
	for _, tt := range []struct {
		schema *connect.Schema
		want   string
	}{
		{connect.TimestampSchema(false), "172801005"},
		{connect.DateSchema(false), "2"},
		{connect.TimeSchema(false), "1005"},
	} {
		if b, err := c.FromConnectData("t", tt.schema, at); err != nil || string(b) != tt.want {
			t.Errorf("%s: %s %v, want %s", tt.schema.Name, b, err, tt.want)
		}
	}
}
