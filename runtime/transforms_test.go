package runtime_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// TestTransformsRunOnSourceAndSink sends a file through a source chain (hoist each line into a
// map, add a static field, route the topic, add a header) into a sink whose chain keeps only
// records with that header, and checks every line arrives transformed in the routed topic.
func TestTransformsRunOnSourceAndSink(t *testing.T) {
	c := newCluster(t)
	url := c.Nodes[0].URL()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	writeLines(t, in, 0, 50)
	mustDo(t, 201, "POST", url+"/connectors", `{"name":"src","config":{"connector.class":"FileStreamSource","file":"`+in+`","topic":"raw",
		"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false",
		"key.converter":"org.apache.kafka.connect.storage.StringConverter",
		"transforms":"hoist,insert,route,tag",
		"transforms.hoist.type":"org.apache.kafka.connect.transforms.HoistField$Value","transforms.hoist.field":"line",
		"transforms.insert.type":"org.apache.kafka.connect.transforms.InsertField$Value","transforms.insert.static.field":"origin","transforms.insert.static.value":"file",
		"transforms.route.type":"RegexRouter","transforms.route.regex":"ra(w)","transforms.route.replacement":"routed-$1",
		"transforms.tag.type":"InsertHeader","transforms.tag.header":"source","transforms.tag.value.literal":"42"}}`)
	mustDo(t, 201, "POST", url+"/connectors", `{"name":"snk","config":{"connector.class":"FileStreamSink","file":"`+out+`","topics":"routed-w",`+stringConverters+`,
		"transforms":"keep","transforms.keep.type":"Filter","transforms.keep.predicate":"tagged","transforms.keep.negate":"true",
		"predicates":"tagged","predicates.tagged.type":"HasHeaderKey","predicates.tagged.name":"source"}}`)
	testcluster.Eventually(t, 60*time.Second, func() error {
		if n := countLines(out); n != 50 {
			return fmt.Errorf("%d of 50 lines", n)
		}
		return nil
	})
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if want := fmt.Sprintf(`{"line":"line-%d","origin":"file"}`, i); line != want {
			t.Fatalf("line %d: %s, want %s", i, line, want)
		}
	}
}
