package worker_test

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
// records with that header, and checks that every line arrives transformed and nothing else:
// not the untagged records routed there before, nor those a source chain filtered out.
func TestTransformsRunOnSourceAndSink(t *testing.T) {
	c := newCluster(t)
	url := c.URL(0)
	dir := t.TempDir()
	committed := func(name, file string) {
		t.Helper()
		want := fmt.Sprintf(`"position":%d`, fileSize(t, file))
		testcluster.Eventually(t, 60*time.Second, func() error {
			if code, body := testcluster.Do(t, "GET", url+"/connectors/"+name+"/offsets", ""); code != 200 || !strings.Contains(body, want) {
				return fmt.Errorf("offsets %d %s, want %s", code, body, want)
			}
			return nil
		})
	}
	// First, records without the header in the routed topic: the sink's chain must drop them.
	untagged := filepath.Join(dir, "untagged.txt")
	writeLines(t, untagged, 100, 105)
	putConfig(t, url+"/connectors/src3/config", `{"connector.class":"FileStreamSource","file":"`+untagged+`","topic":"raw",`+stringConverters+`,
		"transforms":"route","transforms.route.type":"RegexRouter","transforms.route.regex":"raw","transforms.route.replacement":"routed-w"}`)
	committed("src3", untagged)
	// A source whose chain drops every record: nothing of it may reach the topic, and its
	// offsets still advance to the end of its file, as Kafka Connect commits filtered records.
	dropped := filepath.Join(dir, "dropped.txt")
	writeLines(t, dropped, 0, 10)
	putConfig(t, url+"/connectors/src2/config", `{"connector.class":"FileStreamSource","file":"`+dropped+`","topic":"raw",`+stringConverters+`,
		"transforms":"tag,route,drop",
		"transforms.tag.type":"InsertHeader","transforms.tag.header":"source","transforms.tag.value.literal":"2",
		"transforms.route.type":"RegexRouter","transforms.route.regex":"raw","transforms.route.replacement":"routed-w",
		"transforms.drop.type":"Filter","transforms.drop.predicate":"routed",
		"predicates":"routed","predicates.routed.type":"TopicNameMatches","predicates.routed.pattern":"routed-.*"}`)
	committed("src2", dropped)

	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	writeLines(t, in, 0, 50)
	putConfig(t, url+"/connectors/src/config", `{"connector.class":"FileStreamSource","file":"`+in+`","topic":"raw",
		"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false",
		"key.converter":"org.apache.kafka.connect.storage.StringConverter",
		"transforms":"hoist,insert,route,tag",
		"transforms.hoist.type":"org.apache.kafka.connect.transforms.HoistField$Value","transforms.hoist.field":"line",
		"transforms.insert.type":"org.apache.kafka.connect.transforms.InsertField$Value","transforms.insert.static.field":"origin","transforms.insert.static.value":"file",
		"transforms.route.type":"RegexRouter","transforms.route.regex":"ra(w)","transforms.route.replacement":"routed-$1",
		"transforms.tag.type":"InsertHeader","transforms.tag.header":"source","transforms.tag.value.literal":"42"}`)
	putConfig(t, url+"/connectors/snk/config", `{"connector.class":"FileStreamSink","file":"`+out+`","topics":"routed-w",`+stringConverters+`,
		"transforms":"keep","transforms.keep.type":"Filter","transforms.keep.predicate":"tagged","transforms.keep.negate":"true",
		"predicates":"tagged","predicates.tagged.type":"HasHeaderKey","predicates.tagged.name":"source"}`)

	// Delivery is at least once: a task moved by a rebalance before its first commit repeats
	// records, so every line must arrive, transformed, and nothing else.
	testcluster.Eventually(t, 60*time.Second, func() error {
		b, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			seen[line] = true
		}
		for i := 0; i < 50; i++ {
			want := fmt.Sprintf(`{"line":"line-%d","origin":"file"}`, i)
			if !seen[want] {
				return fmt.Errorf("missing %s", want)
			}
			delete(seen, want)
		}
		for line := range seen {
			t.Fatalf("unexpected line %q", line)
		}
		return nil
	})
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestTransformFailureFailsTheTask: a file source's values are strings, so extracting a field
// fails on the first one, and the task fails with Kafka's message in its trace.
func TestTransformFailureFailsTheTask(t *testing.T) {
	c := newCluster(t)
	in := filepath.Join(t.TempDir(), "in.txt")
	writeLines(t, in, 0, 3)
	putConfig(t, c.URL(0)+"/connectors/src/config", `{"connector.class":"FileStreamSource","file":"`+in+`","topic":"t",`+stringConverters+`,
		"transforms":"x","transforms.x.type":"ExtractField$Value","transforms.x.field":"f"}`)
	testcluster.Eventually(t, 30*time.Second, func() error {
		s, err := status(t, c.URL(0), "src")
		if err != nil {
			return err
		}
		if len(s.Tasks) != 1 || s.Tasks[0].State != "FAILED" || !strings.Contains(s.Tasks[0].Trace, "Only Struct objects supported for [field extraction], found: java.lang.String") {
			return fmt.Errorf("%+v", s)
		}
		return nil
	})
}

// TestTransformFailureIsToleratedWhenAsked: with errors.tolerance=all the same failing transform
// skips each record instead (stage TRANSFORMATION), the task keeps running, and the skipped
// records' offsets are committed; without it, the trace names the error handler.
func TestTransformFailureIsToleratedWhenAsked(t *testing.T) {
	c := newCluster(t)
	in := filepath.Join(t.TempDir(), "in.txt")
	writeLines(t, in, 0, 3)
	extract := `"transforms":"x","transforms.x.type":"ExtractField$Value","transforms.x.field":"f"`
	putConfig(t, c.URL(0)+"/connectors/strict/config", `{"connector.class":"FileStreamSource","file":"`+in+`","topic":"t",`+stringConverters+`,`+extract+`}`)
	putConfig(t, c.URL(0)+"/connectors/tolerant/config", `{"connector.class":"FileStreamSource","file":"`+in+`","topic":"t",`+stringConverters+`,`+extract+`,"errors.tolerance":"all"}`)
	testcluster.Eventually(t, 30*time.Second, func() error {
		s, err := status(t, c.URL(0), "strict")
		if err != nil {
			return err
		}
		if len(s.Tasks) != 1 || s.Tasks[0].State != "FAILED" || !strings.Contains(s.Tasks[0].Trace, "Tolerance exceeded in error handler") {
			return fmt.Errorf("strict: %+v", s)
		}
		return nil
	})
	testcluster.Eventually(t, 30*time.Second, func() error {
		s, err := status(t, c.URL(0), "tolerant")
		if err != nil {
			return err
		}
		if len(s.Tasks) != 1 || s.Tasks[0].State != "RUNNING" {
			return fmt.Errorf("tolerant: %+v", s)
		}
		_, body := testcluster.Do(t, "GET", c.URL(0)+"/connectors/tolerant/offsets", "")
		if !strings.Contains(body, `"position":21`) {
			return fmt.Errorf("offsets of the skipped records not committed: %s", body)
		}
		return nil
	})
}

// TestNestedPathAndDecimalCastOnSink reads a JsonConverter record with a nested struct holding
// a Decimal: one sink extracts the Decimal by a V2 path and casts it to its text, another casts
// it to a double in place, as the examples of docs/transforms.md do.
func TestNestedPathAndDecimalCastOnSink(t *testing.T) {
	c, broker := errorsCluster(t)
	url := c.URL(0)
	dir := t.TempDir()
	produceRaw(t, broker, "orders", `{"schema":{"type":"struct","fields":[{"field":"order.id","type":"int64"},{"field":"item","type":"struct","fields":[`+
		`{"field":"name","type":"string"},{"field":"price","type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}]}]},`+
		`"payload":{"order.id":7,"item":{"name":"tea","price":"BNI="}}}`)
	json := `"key.converter":"org.apache.kafka.connect.storage.StringConverter","value.converter":"org.apache.kafka.connect.json.JsonConverter"`
	price, item := filepath.Join(dir, "price.txt"), filepath.Join(dir, "item.txt")
	putConfig(t, url+"/connectors/price/config", `{"connector.class":"FileStreamSink","file":"`+price+`","topics":"orders",`+json+`,
		"transforms":"e,c","transforms.e.type":"ExtractField$Value","transforms.e.field":"item.price","transforms.e.field.syntax.version":"V2",
		"transforms.c.type":"Cast$Value","transforms.c.spec":"string"}`)
	putConfig(t, url+"/connectors/item/config", `{"connector.class":"FileStreamSink","file":"`+item+`","topics":"orders",`+json+`,
		"transforms":"e,c","transforms.e.type":"ExtractField$Value","transforms.e.field":"item","transforms.c.type":"Cast$Value","transforms.c.spec":"price:float64"}`)
	for file, want := range map[string]string{price: "12.34\n", item: "Struct{name=tea,price=12.34}\n"} {
		testcluster.Eventually(t, 60*time.Second, func() error {
			if b, err := os.ReadFile(file); err != nil || string(b) != want {
				return fmt.Errorf("%s: %q %v, want %q", filepath.Base(file), b, err, want)
			}
			return nil
		})
	}
}
