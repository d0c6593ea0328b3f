package plugins

import (
	"math/big"
	"testing"

	"github.com/connectd/connectd/connect"
)

// As Kafka's JsonConverterTest: a Decimal of scale 2 holding 1.56 is the base64 of its unscaled
// bytes, or the number with decimal.format=NUMERIC; the schema keeps its scale parameter.
func TestJSONConverterDecimal(t *testing.T) {
	schema := `{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}`
	for format, payload := range map[string]string{"BASE64": `"AJw="`, "NUMERIC": `1.56`} {
		c := &JSONConverter{}
		if err := c.Configure(map[string]string{"decimal.format": format}, false); err != nil {
			t.Fatal(err)
		}
		s, v, err := c.ToConnectData("t", []byte(`{"schema":`+schema+`,"payload":`+payload+`}`))
		if err != nil {
			t.Fatal(err)
		}
		if scale, ok := connect.DecimalScale(s); !ok || scale != 2 {
			t.Fatalf("%s: schema %+v", format, s)
		}
		d, ok := v.(*big.Float)
		if !ok || connect.DecimalString(d, 2) != "1.56" {
			t.Fatalf("%s: value %T %v", format, v, v)
		}
		out, err := c.FromConnectData("t", s, d)
		if want := `{"schema":` + schema + `,"payload":` + payload + `}`; err != nil || string(out) != want {
			t.Errorf("%s: %s %v\nwant %s", format, out, err, want)
		}
	}
	c := &JSONConverter{}
	_ = c.Configure(nil, false)
	_, _, err := c.ToConnectData("t", []byte(`{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal"},"payload":"AJw="}`))
	if err == nil || err.Error() != "Invalid Decimal schema: scale parameter not found." {
		t.Errorf("no scale: %v", err)
	}
	if err := c.Configure(map[string]string{"decimal.format": "HEX"}, false); err == nil {
		t.Error("decimal.format HEX accepted")
	}
}
