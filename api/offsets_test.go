package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/internal/testcluster"
)

const (
	alteredMessage = `{"message":"The offsets for this connector have been altered successfully"}`
	resetMessage   = `{"message":"The offsets for this connector have been reset successfully"}`
)

func notStopped(name string) string {
	return errorBody(400, "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/"+name+"/stop' endpoint")
}

func mustCall(t *testing.T, wantCode int, method, url, body string) string {
	t.Helper()
	contentType := ""
	if body != "" {
		contentType = jsonType
	}
	code, resp, _ := call(t, method, url, contentType, body)
	if code != wantCode {
		t.Fatalf("%s %s: %d %s (want %d)", method, url, code, resp, wantCode)
	}
	return strings.TrimSpace(resp)
}

// groupMember joins a consumer group and stays in it until the test ends, as a sink task that
// has not stopped would.
func groupMember(t *testing.T, bootstrap, group, topic string) {
	t.Helper()
	conf := sarama.NewConfig()
	conf.Version = sarama.V2_1_0_0
	cg, err := sarama.NewConsumerGroup([]string{bootstrap}, group, conf)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	joined := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			_ = cg.Consume(ctx, []string{topic}, memberHandler{joined: joined})
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		cg.Close()
	})
	select {
	case <-joined:
	case <-time.After(20 * time.Second):
		t.Fatal("the consumer did not join its group")
	}
}

type memberHandler struct{ joined chan struct{} }

func (h memberHandler) Setup(sarama.ConsumerGroupSession) error {
	select {
	case <-h.joined:
	default:
		close(h.joined)
	}
	return nil
}

func (memberHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (memberHandler) ConsumeClaim(s sarama.ConsumerGroupSession, _ sarama.ConsumerGroupClaim) error {
	<-s.Context().Done()
	return nil
}

func createTopic(t *testing.T, bootstrap, topic string) {
	t.Helper()
	conf := sarama.NewConfig()
	conf.Version = sarama.V2_1_0_0
	admin, err := sarama.NewClusterAdmin([]string{bootstrap}, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}
}

// TestOffsetsContract walks every check of GET, PATCH and DELETE /connectors/{n}/offsets in the
// spec's order, with exact status codes and messages; rows run in order and build on each other.
// A read follows a write on the same node, which has applied it by then.
func TestOffsetsContract(t *testing.T) {
	bootstrap := testcluster.StartBroker(t)
	c := testcluster.New(t, 3, testcluster.With("bootstrap.servers", bootstrap))
	createTopic(t, bootstrap, "t")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	for _, body := range []string{
		fmt.Sprintf(`{"name":"run-src","config":{"connector.class":"FileStreamSource","file":%q,"topic":"t"}}`, filepath.Join(dir, "missing.txt")),
		fmt.Sprintf(`{"name":"src","config":{"connector.class":"FileStreamSource","file":%q,"topic":"t"},"initial_state":"STOPPED"}`, in),
		`{"name":"stdin-src","config":{"connector.class":"FileStreamSource","topic":"t"},"initial_state":"STOPPED"}`,
		`{"name":"vsrc","config":{"connector.class":"VerifiableSource","topic":"t"},"initial_state":"STOPPED"}`,
		fmt.Sprintf(`{"name":"sink","config":{"connector.class":"FileStreamSink","topics":"t","file":%q},"initial_state":"STOPPED"}`, filepath.Join(dir, "out.txt")),
		`{"name":"busy","config":{"connector.class":"FileStreamSink","topics":"t"},"initial_state":"STOPPED"}`,
	} {
		mustCall(t, 201, "POST", c.URL(0)+"/connectors", body)
	}
	groupMember(t, bootstrap, "connect-busy", "t")

	entry := func(partition, offset string) string {
		return fmt.Sprintf(`{"offsets":[{"partition":%s,"offset":%s}]}`, partition, offset)
	}
	inPartition := fmt.Sprintf(`{"filename":%q}`, in)
	frameworkManaged := func(verb string) string {
		return fmt.Sprintf(`{"message":"The Connect framework-managed offsets for this connector have been %s successfully. However, if this connector manages offsets externally, they will need to be manually %s in the system that the connector uses."}`, verb, verb)
	}
	busy := func(verb string) string {
		return errorBody(500, fmt.Sprintf("Failed to %s consumer group offsets for connector busy either because its tasks haven't stopped completely yet or the connector was resumed before the request to %s its offsets could be successfully completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't eventually succeed, the Connect cluster may need to be restarted to get rid of the zombie sink tasks.", verb, verb))
	}
	primitives := func(field, kind string) string {
		return errorBody(500, fmt.Sprintf("Offsets may only contain primitive types as values, but field %s contains %s", field, kind))
	}

	tests := []struct {
		name        string
		node        int
		method      string
		connector   string
		contentType string
		body        string
		wantCode    int
		wantBody    string
		wantContain string
	}{
		{name: "patch without offsets", method: "PATCH", connector: "src", body: `{}`, wantCode: 400, wantBody: errorBody(400, "Partitions / offsets need to be provided for an alter offsets request")},
		{name: "patch with empty offsets", method: "PATCH", connector: "src", body: `{"offsets":[]}`, wantCode: 400, wantBody: errorBody(400, "Partitions / offsets need to be provided for an alter offsets request")},
		{name: "empty offsets checked before existence", method: "PATCH", connector: "nope", body: `{"offsets":null}`, wantCode: 400, wantBody: errorBody(400, "Partitions / offsets need to be provided for an alter offsets request")},
		{name: "patch wrong content type", method: "PATCH", connector: "src", contentType: "text/plain", body: entry(inPartition, `null`), wantCode: 415, wantBody: errorBody(415, "HTTP 415 Unsupported Media Type")},
		{name: "patch malformed JSON", method: "PATCH", connector: "src", body: `{"offsets":[`, wantCode: 400, wantContain: "Malformed JSON"},
		{name: "patch offsets not an array", method: "PATCH", connector: "src", body: `{"offsets":{}}`, wantCode: 400, wantContain: "Malformed JSON"},
		{name: "patch unknown connector", node: 1, method: "PATCH", connector: "nope", body: entry(inPartition, `null`), wantCode: 404, wantBody: errorBody(404, "Connector nope not found")},
		{name: "patch running connector", method: "PATCH", connector: "run-src", body: entry(inPartition, `null`), wantCode: 400, wantBody: notStopped("run-src")},

		{name: "sink partition null", method: "PATCH", connector: "sink", body: entry(`null`, `null`), wantCode: 400, wantBody: errorBody(400, "The partition for a sink connector offset cannot be null or missing")},
		{name: "sink partition missing", method: "PATCH", connector: "sink", body: `{"offsets":[{"offset":{"kafka_offset":1}}]}`, wantCode: 400, wantBody: errorBody(400, "The partition for a sink connector offset cannot be null or missing")},
		{name: "sink partition without keys", method: "PATCH", connector: "sink", body: entry(`{"kafka_topic":"t"}`, `null`), wantCode: 400, wantBody: errorBody(400, "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'")},
		{name: "sink topic null", method: "PATCH", connector: "sink", body: entry(`{"kafka_topic":null,"kafka_partition":0}`, `null`), wantCode: 400, wantBody: errorBody(400, "Kafka topic names must be valid strings and may not be null")},
		{name: "sink partition value null", method: "PATCH", connector: "sink", body: entry(`{"kafka_topic":"t","kafka_partition":null}`, `null`), wantCode: 400, wantBody: errorBody(400, "Kafka partitions must be valid numbers and may not be null")},
		{name: "sink partition not an integer", method: "PATCH", connector: "sink", body: entry(`{"kafka_topic":"t","kafka_partition":"a"}`, `null`), wantCode: 400, wantBody: errorBody(400, "Failed to parse the following Kafka partition value in the provided offsets: 'a'. Partition values for sink connectors need to be integers.")},
		{name: "sink partition a float", method: "PATCH", connector: "sink", body: entry(`{"kafka_topic":"t","kafka_partition":1.5}`, `null`), wantCode: 400, wantBody: errorBody(400, "Failed to parse the following Kafka partition value in the provided offsets: '1.5'. Partition values for sink connectors need to be integers.")},
		{name: "sink offset without key", method: "PATCH", connector: "sink", body: entry(`{"kafka_topic":"t","kafka_partition":0}`, `{"offset":1}`), wantCode: 400, wantBody: errorBody(400, "The offset for a sink connector should either be null or contain the key 'kafka_offset'")},
		{name: "sink offset not an integer", method: "PATCH", connector: "sink", body: entry(`{"kafka_topic":"t","kafka_partition":0}`, `{"kafka_offset":"x"}`), wantCode: 400, wantBody: errorBody(400, "Failed to parse the following Kafka offset value in the provided offsets: 'x'. Offset values for sink connectors need to be integers.")},
		{name: "sink offset null value", method: "PATCH", connector: "sink", body: entry(`{"kafka_topic":"t","kafka_partition":0}`, `{"kafka_offset":null}`), wantCode: 400, wantBody: errorBody(400, "Failed to parse the following Kafka offset value in the provided offsets: 'null'. Offset values for sink connectors need to be integers.")},
		{name: "sink alter with numeric strings", node: 2, method: "PATCH", connector: "sink", body: entry(`{"kafka_topic":"t","kafka_partition":"0"}`, `{"kafka_offset":"10"}`), wantCode: 200, wantBody: alteredMessage},
		{name: "sink offsets", node: 1, method: "GET", connector: "sink", wantCode: 200, wantBody: `{"offsets":[{"partition":{"kafka_partition":0,"kafka_topic":"t"},"offset":{"kafka_offset":10}}]}`},
		{name: "sink partition reset", method: "PATCH", connector: "sink", body: entry(`{"kafka_topic":"t","kafka_partition":0}`, `null`), wantCode: 200, wantBody: alteredMessage},
		{name: "sink offsets after partition reset", method: "GET", connector: "sink", wantCode: 200, wantBody: `{"offsets":[]}`},
		{name: "sink alter with live group members", method: "PATCH", connector: "busy", body: entry(`{"kafka_topic":"t","kafka_partition":0}`, `{"kafka_offset":1}`), wantCode: 500, wantBody: busy("alter")},

		{name: "source partition with an object", method: "PATCH", connector: "src", body: entry(`{"filename":{"a":1}}`, `{"position":1}`), wantCode: 500, wantBody: primitives("filename", "MAP")},
		{name: "source offset with an array", method: "PATCH", connector: "src", body: entry(inPartition, `{"position":[1]}`), wantCode: 500, wantBody: primitives("position", "ARRAY")},
		{name: "source on stdin", method: "PATCH", connector: "stdin-src", body: entry(`{"filename":"x"}`, `{"position":1}`), wantCode: 500, wantBody: errorBody(500, "Offsets cannot be modified if the 'file' configuration is unspecified. This is because stdin is used for input and offsets are not tracked.")},
		{name: "source offset without position", method: "PATCH", connector: "src", body: entry(inPartition, `{"pos":1}`), wantCode: 500, wantBody: errorBody(500, "Offset objects should either be null or contain the key 'position'")},
		{name: "source position a string", method: "PATCH", connector: "src", body: entry(inPartition, `{"position":"1"}`), wantCode: 500, wantBody: errorBody(500, "The value for the 'position' key in the offset is expected to be a Long value")},
		{name: "source position a fraction", method: "PATCH", connector: "src", body: entry(inPartition, `{"position":1.5}`), wantCode: 500, wantBody: errorBody(500, "The value for the 'position' key in the offset is expected to be a Long value")},
		{name: "source position negative", method: "PATCH", connector: "src", body: entry(inPartition, `{"position":-1}`), wantCode: 500, wantBody: errorBody(500, "The value for the 'position' key in the offset should be a non-negative value")},
		{name: "source partition null", method: "PATCH", connector: "src", body: entry(`null`, `{"position":1}`), wantCode: 500, wantBody: errorBody(500, "Partition objects cannot be null")},
		{name: "source partition without filename", method: "PATCH", connector: "src", body: entry(`{"file":"x"}`, `{"position":1}`), wantCode: 500, wantBody: errorBody(500, "Partition objects should contain the key 'filename'")},
		{name: "source alter", node: 1, method: "PATCH", connector: "src", body: entry(inPartition, `{"position":30}`), wantCode: 200, wantBody: alteredMessage},
		{name: "source offsets", node: 1, method: "GET", connector: "src", wantCode: 200, wantBody: fmt.Sprintf(`{"offsets":[{"partition":%s,"offset":{"position":30}}]}`, inPartition)},
		{name: "source tombstone", method: "PATCH", connector: "src", body: entry(`{"filename":"other"}`, `null`), wantCode: 200, wantBody: alteredMessage},
		{name: "source without the hook", method: "PATCH", connector: "vsrc", body: entry(`{"task":0}`, `{"seqno":5}`), wantCode: 200, wantBody: frameworkManaged("altered")},

		{name: "delete unknown connector", method: "DELETE", connector: "nope", wantCode: 404, wantBody: errorBody(404, "Connector nope not found")},
		{name: "delete running connector", method: "DELETE", connector: "run-src", wantCode: 400, wantBody: notStopped("run-src")},
		{name: "delete on stdin", method: "DELETE", connector: "stdin-src", wantCode: 500, wantBody: errorBody(500, "Offsets cannot be modified if the 'file' configuration is unspecified. This is because stdin is used for input and offsets are not tracked.")},
		{name: "delete source", node: 2, method: "DELETE", connector: "src", wantCode: 200, wantBody: resetMessage},
		{name: "source offsets after reset", node: 2, method: "GET", connector: "src", wantCode: 200, wantBody: `{"offsets":[]}`},
		{name: "delete source without the hook", method: "DELETE", connector: "vsrc", wantCode: 200, wantBody: frameworkManaged("reset")},
		{name: "delete sink", node: 1, method: "DELETE", connector: "sink", wantCode: 200, wantBody: resetMessage},
		{name: "delete sink without a group", method: "DELETE", connector: "sink", wantCode: 200, wantBody: resetMessage},
		{name: "delete sink with live group members", method: "DELETE", connector: "busy", wantCode: 500, wantBody: busy("reset")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contentType := tt.contentType
			if contentType == "" && tt.body != "" {
				contentType = jsonType
			}
			code, body, _ := call(t, tt.method, c.URL(tt.node)+"/connectors/"+tt.connector+"/offsets", contentType, tt.body)
			body = strings.TrimSpace(body)
			if code != tt.wantCode {
				t.Fatalf("status %d, want %d; body %s", code, tt.wantCode, body)
			}
			if tt.wantBody != "" && body != tt.wantBody {
				t.Fatalf("body\n got %s\nwant %s", body, tt.wantBody)
			}
			if tt.wantContain != "" && !strings.Contains(body, tt.wantContain) {
				t.Fatalf("body %s does not contain %s", body, tt.wantContain)
			}
		})
	}
}

func fileLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// waitLines waits until the file holds exactly want lines.
func waitLines(t *testing.T, path string, want int) []string {
	t.Helper()
	var lines []string
	testcluster.Eventually(t, 30*time.Second, func() error {
		if lines = fileLines(path); len(lines) != want {
			return fmt.Errorf("%d lines, want %d", len(lines), want)
		}
		return nil
	})
	return lines
}

func count(lines []string, line string) int {
	n := 0
	for _, l := range lines {
		if l == line {
			n++
		}
	}
	return n
}

// TestOffsetsStopAlterResume runs a file source into a topic and a file sink out of it, and
// checks that stopping a connector, changing its offsets and resuming it continues from the
// new offsets, and that DELETE makes both start over.
func TestOffsetsStopAlterResume(t *testing.T) {
	c := testcluster.New(t, 3,
		testcluster.With("bootstrap.servers", testcluster.StartBroker(t)),
		testcluster.With("offset.flush.interval.ms", "100"),
		testcluster.With("scheduled.rebalance.max.delay.ms", "0"))
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	var text strings.Builder
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&text, "line-%d\n", i) // 7 bytes a line: line-5 starts at byte 35
	}
	if err := os.WriteFile(in, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	converters := `"key.converter":"org.apache.kafka.connect.storage.StringConverter","value.converter":"org.apache.kafka.connect.storage.StringConverter"`
	mustCall(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"src","config":{"connector.class":"FileStreamSource","file":%q,"topic":"lines",%s}}`, in, converters))
	mustCall(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"sink","config":{"connector.class":"FileStreamSink","file":%q,"topics":"lines",%s}}`, out, converters))
	waitLines(t, out, 10)
	inPartition := fmt.Sprintf(`{"filename":%q}`, in)
	testcluster.Eventually(t, 10*time.Second, func() error {
		want := fmt.Sprintf(`{"offsets":[{"partition":%s,"offset":{"position":70}}]}`, inPartition)
		if body := mustCall(t, 200, "GET", c.URL(1)+"/connectors/src/offsets", ""); body != want {
			return fmt.Errorf("source offsets %s", body)
		}
		return nil
	})

	// Source: back to the start of line-5, from a follower.
	mustCall(t, 204, "PUT", c.URL(1)+"/connectors/src/stop", "")
	mustCall(t, 200, "PATCH", c.URL(2)+"/connectors/src/offsets", fmt.Sprintf(`{"offsets":[{"partition":%s,"offset":{"position":35}}]}`, inPartition))
	mustCall(t, 202, "PUT", c.URL(0)+"/connectors/src/resume", "")
	lines := waitLines(t, out, 15)
	for i := 0; i < 10; i++ {
		want := 1
		if i >= 5 {
			want = 2
		}
		if got := count(lines, fmt.Sprintf("line-%d", i)); got != want {
			t.Fatalf("line-%d delivered %d times, want %d: %v", i, got, want, lines)
		}
	}

	// Sink: every partition re-read from the start, by offset 0 for one and a reset for the others.
	mustCall(t, 204, "PUT", c.URL(0)+"/connectors/sink/stop", "")
	var committed struct {
		Offsets []struct {
			Partition map[string]any `json:"partition"`
			Offset    map[string]any `json:"offset"`
		} `json:"offsets"`
	}
	// The stopping task commits what it delivered.
	testcluster.Eventually(t, 10*time.Second, func() error {
		if err := json.Unmarshal([]byte(mustCall(t, 200, "GET", c.URL(1)+"/connectors/sink/offsets", "")), &committed); err != nil {
			return err
		}
		total := 0.0
		for _, o := range committed.Offsets {
			total += o.Offset["kafka_offset"].(float64)
		}
		if total != 15 {
			return fmt.Errorf("the sink committed %v records, want 15: %+v", total, committed)
		}
		return nil
	})
	var patch []string
	for i, o := range committed.Offsets {
		partition, _ := json.Marshal(o.Partition)
		offset := `null`
		if i == 0 {
			offset = `{"kafka_offset":0}`
		}
		patch = append(patch, fmt.Sprintf(`{"partition":%s,"offset":%s}`, partition, offset))
	}
	mustCall(t, 200, "PATCH", c.URL(1)+"/connectors/sink/offsets", `{"offsets":[`+strings.Join(patch, ",")+`]}`)
	mustCall(t, 202, "PUT", c.URL(2)+"/connectors/sink/resume", "")
	waitLines(t, out, 30)

	// DELETE: the source re-reads the whole file and the sink the whole topic (25 records).
	mustCall(t, 204, "PUT", c.URL(0)+"/connectors/src/stop", "")
	mustCall(t, 204, "PUT", c.URL(0)+"/connectors/sink/stop", "")
	mustCall(t, 200, "DELETE", c.URL(1)+"/connectors/src/offsets", "")
	mustCall(t, 200, "DELETE", c.URL(2)+"/connectors/sink/offsets", "")
	if body := mustCall(t, 200, "GET", c.URL(0)+"/connectors/src/offsets", ""); body != `{"offsets":[]}` {
		t.Fatalf("source offsets after reset: %s", body)
	}
	if body := mustCall(t, 200, "GET", c.URL(0)+"/connectors/sink/offsets", ""); body != `{"offsets":[]}` {
		t.Fatalf("sink offsets after reset: %s", body)
	}
	mustCall(t, 202, "PUT", c.URL(0)+"/connectors/src/resume", "")
	mustCall(t, 202, "PUT", c.URL(0)+"/connectors/sink/resume", "")
	lines = waitLines(t, out, 55)
	for i := 0; i < 10; i++ {
		// The topic holds the file once, again from line-5, and again in full.
		want := 2
		if i >= 5 {
			want = 3
		}
		if got := count(lines[30:], fmt.Sprintf("line-%d", i)); got != want {
			t.Fatalf("after the reset line-%d delivered %d times, want %d: %v", i, got, want, lines[30:])
		}
	}
}
