package api

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"testing"
)

// FuzzRequestBodies decodes arbitrary bodies into every REST request type: a body either decodes
// or is refused with a 400 in Kafka Connect's error shape, never a panic or another error.
func FuzzRequestBodies(f *testing.F) {
	f.Add([]byte(`{"name":"a","config":{"connector.class":"FileStreamSource","tasks.max":2,"x":true,"y":null},"initial_state":"PAUSED"}`))
	f.Add([]byte(`{"offsets":[{"partition":{"kafka_topic":"t","kafka_partition":0},"offset":{"kafka_offset":5}}]}`))
	f.Add([]byte(`{"level":"DEBUG"}`))
	f.Add([]byte(`{"config":{"a":[1]}}`))
	f.Add([]byte(`{"a":"b"} trailing`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{new(CreateConnectorRequest), new(ConfigMap), new(ConnectorOffsets), new(map[string]*string)} {
			r := httptest.NewRequest("POST", "/connectors", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			err := readJSON(r, v)
			var apiErr *Error
			if err != nil && (!errors.As(err, &apiErr) || apiErr.Code != 400 || apiErr.Message == "") {
				t.Fatalf("%T from %q: %v", v, body, err)
			}
		}
	})
}
