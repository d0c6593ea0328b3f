package plugins

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/connectd/connectd/connect"
)

// appendString writes plain text itself and must give the same bytes as encoding/json for all
// text, which the converter wrote with json.Marshal before.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain text 0123", `q"uote`, `back\slash`, "<a>&b", "tab\tnl\n", "\x00\x1f\x7f",
		"é ü 日本", "\u2028\u2029", "bad \xff utf8", "~"} {
		want, _ := json.Marshal(s)
		if got := appendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got[1:], want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a<b")
	f.Add("\xed\xa0\x80")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

// The envelope cache gives each schema its own envelope, also when the cache is smaller than
// the schemas in use, and schemas.cache.size is read as Kafka reads it.
func TestJSONConverterSchemaCache(t *testing.T) {
	hoisted := (&connect.Schema{Type: connect.Struct}).AddField("line", connect.StringSchema)
	named := (&connect.Schema{Type: connect.Struct, Name: "n", Version: 2}).AddField("id", connect.Int64Schema)
	for _, size := range []string{"1000", "1", "0"} {
		c := &JSONConverter{}
		if err := c.Configure(map[string]string{"schemas.cache.size": size}, false); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			a := connect.NewStruct(hoisted)
			a.PutAt(0, "x")
			b := connect.NewStruct(named)
			b.PutAt(0, int64(i))
			for _, tc := range []struct {
				schema *connect.Schema
				value  any
				want   string
			}{
				{hoisted, a, `{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"line"}],"optional":false},"payload":{"line":"x"}}`},
				{named, b, fmt.Sprintf(`{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}],"optional":false,"name":"n","version":2},"payload":{"id":%d}}`, i)},
				{nil, "s", `{"schema":null,"payload":"s"}`},
			} {
				out, err := c.FromConnectData("t", tc.schema, tc.value)
				if err != nil || string(out) != tc.want {
					t.Errorf("size %s: %s %v, want %s", size, out, err, tc.want)
				}
			}
		}
		if n := c.cacheLen(); n > max(c.cacheSize, 0) {
			t.Errorf("size %s: %d envelopes cached", size, n)
		}
	}
	err := (&JSONConverter{}).Configure(map[string]string{"schemas.cache.size": "many"}, false)
	if err == nil || err.Error() != "Invalid value many for configuration schemas.cache.size: Not a number of type INT" {
		t.Errorf("bad size: %v", err)
	}
}

// cacheLen is the number of cached envelopes.
func (c *JSONConverter) cacheLen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.envelopes)
}
