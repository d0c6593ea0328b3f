package plugins

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/connectd/connectd/connect"
)

// FuzzJSONConverter reads arbitrary bytes with and without schemas, and writes back whatever it
// read: neither direction may panic, and what it writes must read again.
func FuzzJSONConverter(f *testing.F) {
	f.Add([]byte(`{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}]},"payload":{"id":7}}`), true)
	f.Add([]byte(`{"schema":{"type":"struct","fields":[null]},"payload":{}}`), true)
	f.Add([]byte(`{"schema":{"type":"array","items":{"type":"bytes"}},"payload":["AAE="]}`), true)
	f.Add([]byte(`{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}},"payload":{"a":1}}`), true)
	f.Add([]byte(`{"a":[1,2.5,"x",null,true]}`), false)
	f.Fuzz(func(t *testing.T, data []byte, schemas bool) {
		c := &JSONConverter{}
		if err := c.Configure(map[string]string{"schemas.enable": map[bool]string{true: "true", false: "false"}[schemas]}, false); err != nil {
			t.Fatal(err)
		}
		schema, value, err := c.ToConnectData("t", data)
		if err != nil {
			return
		}
		out, err := c.FromConnectData("t", schema, value)
		if err != nil {
			return
		}
		if out != nil && !json.Valid(out) {
			t.Fatalf("%q read as %v and wrote invalid JSON %q", data, value, out)
		}
		if _, _, err := c.ToConnectData("t", out); err != nil && schema != nil && schemaComplete(schema) {
			t.Fatalf("%q wrote %q which does not read back: %v", data, out, err)
		}
	})
}

// schemaComplete tells whether every nested schema is present: a schema with a missing part is
// written out as it is and need not read back.
func schemaComplete(s *connect.Schema) bool {
	if s == nil {
		return false
	}
	for _, f := range s.Fields {
		if !schemaComplete(f.Schema) {
			return false
		}
	}
	switch s.Type {
	case connect.Array:
		return schemaComplete(s.ValueSchema)
	case connect.Map:
		return schemaComplete(s.KeySchema) && schemaComplete(s.ValueSchema)
	}
	return true
}

// FuzzStringAndByteArrayConverters: bytes survive a round trip through either converter.
func FuzzStringAndByteArrayConverters(f *testing.F) {
	f.Add([]byte("hello"))
	f.Add([]byte{0xff, 0x00, 0xfe})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range []connect.Converter{StringConverter{}, ByteArrayConverter{}} {
			schema, value, err := c.ToConnectData("t", data)
			if err != nil {
				t.Fatalf("%T read %q: %v", c, data, err)
			}
			out, err := c.FromConnectData("t", schema, value)
			if err != nil || !bytes.Equal(out, data) {
				t.Fatalf("%T round trip of %q gave %q, %v", c, data, out, err)
			}
		}
	})
}

// FuzzValidate validates arbitrary connector configs, as POST /connectors and
// PUT /connector-plugins/{p}/config/validate bodies carry them: an error or a result, never a panic.
func FuzzValidate(f *testing.F) {
	f.Add(`{"connector.class":"FileStreamSource","file":"/tmp/x","topic":"t","tasks.max":"2"}`)
	f.Add(`{"connector.class":"FileStreamSink","topics":"a,b","topics.regex":"(","errors.deadletterqueue.topic.name":"a"}`)
	f.Add(`{"connector.class":"io.connectd.test.FailingSinkConnector","topics":"t","errors.tolerance":"ALL","errors.retry.timeout":"x","transforms":"a,a"}`)
	f.Add(`{"connector.class":"VerifiableSource","tasks.max":null,"key.converter":"nope"}`)
	r := New()
	r.AddTestPlugins()
	f.Fuzz(func(t *testing.T, body string) {
		var raw map[string]*string
		if json.Unmarshal([]byte(body), &raw) != nil {
			return
		}
		_, _ = r.Validate(raw, ValidationContext{TopicCreationEnable: true, OverridePolicy: "All"})
	})
}
