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
			if code, body := do(t, "GET", url+"/connectors/"+name+"/offsets", ""); code != 200 || !strings.Contains(body, want) {
				return fmt.Errorf("offsets %d %s, want %s", code, body, want)
			}
			return nil
		})
	}
	// First, records without the header in the routed topic: the sink's chain must drop them.
	untagged := filepath.Join(dir, "untagged.txt")
	writeLines(t, untagged, 100, 105)
	putConfig(t, url, "src3", `{"connector.class":"FileStreamSource","file":"`+untagged+`","topic":"raw",`+stringConverters+`,
		"transforms":"route","transforms.route.type":"RegexRouter","transforms.route.regex":"raw","transforms.route.replacement":"routed-w"}`)
	committed("src3", untagged)
	// A source whose chain drops every record: nothing of it may reach the topic, and its
	// offsets still advance to the end of its file, as Kafka Connect commits filtered records.
	dropped := filepath.Join(dir, "dropped.txt")
	writeLines(t, dropped, 0, 10)
	putConfig(t, url, "src2", `{"connector.class":"FileStreamSource","file":"`+dropped+`","topic":"raw",`+stringConverters+`,
		"transforms":"tag,route,drop",
		"transforms.tag.type":"InsertHeader","transforms.tag.header":"source","transforms.tag.value.literal":"2",
		"transforms.route.type":"RegexRouter","transforms.route.regex":"raw","transforms.route.replacement":"routed-w",
		"transforms.drop.type":"Filter","transforms.drop.predicate":"routed",
		"predicates":"routed","predicates.routed.type":"TopicNameMatches","predicates.routed.pattern":"routed-.*"}`)
	committed("src2", dropped)

	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	writeLines(t, in, 0, 50)
	putConfig(t, url, "src", `{"connector.class":"FileStreamSource","file":"`+in+`","topic":"raw",
		"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false",
		"key.converter":"org.apache.kafka.connect.storage.StringConverter",
		"transforms":"hoist,insert,route,tag",
		"transforms.hoist.type":"org.apache.kafka.connect.transforms.HoistField$Value","transforms.hoist.field":"line",
		"transforms.insert.type":"org.apache.kafka.connect.transforms.InsertField$Value","transforms.insert.static.field":"origin","transforms.insert.static.value":"file",
		"transforms.route.type":"RegexRouter","transforms.route.regex":"ra(w)","transforms.route.replacement":"routed-$1",
		"transforms.tag.type":"InsertHeader","transforms.tag.header":"source","transforms.tag.value.literal":"42"}`)
	putConfig(t, url, "snk", `{"connector.class":"FileStreamSink","file":"`+out+`","topics":"routed-w",`+stringConverters+`,
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

// putConfig creates a connector, retrying the 409s a loaded cluster answers while it elects a
// leader; PUT, unlike POST, may be repeated.
func putConfig(t *testing.T, url, name, config string) {
	t.Helper()
	testcluster.Eventually(t, 30*time.Second, func() error {
		if code, body := do(t, "PUT", url+"/connectors/"+name+"/config", config); code != 201 && code != 200 {
			return fmt.Errorf("PUT %s: %d %s", name, code, body)
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
	putConfig(t, c.URL(0), "src", `{"connector.class":"FileStreamSource","file":"`+in+`","topic":"t",`+stringConverters+`,
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
