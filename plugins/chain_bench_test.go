package plugins

import (
	"strings"
	"testing"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/transforms"
)

// BenchmarkChainConvert is the CPU of the bench script's transform row without the broker: a
// FileStreamSource's 99-byte line through HoistField$Value, InsertField$Value (static field) and
// RegexRouter, then JsonConverter, against the same line converted without the chain; the row
// runs with schemas.enable=false, and true is here too. The ratio of the two is what the row's
// ratio would be if the worker did nothing else.
// Run: go test ./plugins -run '^$' -bench ChainConvert -count 5 -cpuprofile cpu.out
func BenchmarkChainConvert(b *testing.B) {
	chain, err := transforms.NewChain(map[string]string{
		"transforms":                     "hoist,insert,route",
		"transforms.hoist.type":          "org.apache.kafka.connect.transforms.HoistField$Value",
		"transforms.hoist.field":         "line",
		"transforms.insert.type":         "org.apache.kafka.connect.transforms.InsertField$Value",
		"transforms.insert.static.field": "origin",
		"transforms.insert.static.value": "file",
		"transforms.route.type":          "RegexRouter",
		"transforms.route.regex":         "srct-(.*)",
		"transforms.route.replacement":   "routed-$1",
	})
	if err != nil {
		b.Fatal(err)
	}
	// As a source task's chain: each record is converted before the next is transformed.
	chain.RecycleStructs()
	// One string holds a poll's lines, as the file source hands them out.
	text := strings.Repeat(strings.Repeat("x", 99), 1024)
	for _, schemas := range []string{"false", "true"} {
		conv := &JSONConverter{}
		if err := conv.Configure(map[string]string{"schemas.enable": schemas}, false); err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			chain *transforms.Chain
		}{{"transforms=0", nil}, {"transforms=3", chain}} {
			b.Run("schemas="+schemas+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				var r transforms.Record
				var size int
				for i := 0; i < b.N; i++ {
					at := i % 1024 * 99
					r = transforms.Record{Topic: "srct-1", ValueSchema: connect.StringSchema, Value: text[at : at+99]}
					if c.chain != nil {
						if _, err := c.chain.Apply(&r); err != nil {
							b.Fatal(err)
						}
					}
					out, err := conv.FromConnectData(r.Topic, r.ValueSchema, r.Value)
					if err != nil {
						b.Fatal(err)
					}
					size += len(out)
				}
				b.ReportMetric(float64(size)/float64(b.N), "bytes/record")
			})
		}
	}
}
