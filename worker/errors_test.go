package worker_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/connectd/connectd/internal/testcluster"
)

// errorsCluster is a 3-node cluster and the address of its broker, to produce raw records.
func errorsCluster(t *testing.T) (*testcluster.Cluster, string) {
	broker := testcluster.StartBroker(t)
	c := testcluster.New(t, 3, testcluster.With("bootstrap.servers", broker),
		testcluster.With("offset.flush.interval.ms", "200"),
		testcluster.With("scheduled.rebalance.max.delay.ms", "0"))
	return c, broker
}

// produceRaw writes values as they are to partition 0 of topic.
func produceRaw(t *testing.T, broker, topic string, values ...string) {
	t.Helper()
	conf := sarama.NewConfig()
	conf.Producer.Return.Successes = true
	conf.Producer.Partitioner = sarama.NewManualPartitioner
	p, err := sarama.NewSyncProducer([]string{broker}, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i, v := range values {
		msg := &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)), Value: sarama.StringEncoder(v),
			Headers: []sarama.RecordHeader{{Key: []byte("origin"), Value: []byte("test")}}}
		if _, _, err := p.SendMessage(msg); err != nil {
			t.Fatal(err)
		}
	}
}

// consumeAll reads topic from the start until it holds n records, in partition order.
func consumeAll(t *testing.T, broker, topic string, n int) []*sarama.ConsumerMessage {
	t.Helper()
	conf := sarama.NewConfig()
	conf.Version = sarama.V2_1_0_0
	c, err := sarama.NewConsumer([]string{broker}, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []*sarama.ConsumerMessage
	testcluster.Eventually(t, 30*time.Second, func() error {
		out = out[:0]
		partitions, err := c.Partitions(topic)
		if err != nil {
			return err
		}
		for _, p := range partitions {
			pc, err := c.ConsumePartition(topic, p, sarama.OffsetOldest)
			if err != nil {
				return err
			}
			for pc.HighWaterMarkOffset() > 0 {
				select {
				case m := <-pc.Messages():
					out = append(out, m)
					if m.Offset+1 < pc.HighWaterMarkOffset() {
						continue
					}
				case <-time.After(time.Second):
				}
				break
			}
			pc.Close()
		}
		if len(out) < n {
			return fmt.Errorf("%d of %d records in %s", len(out), n, topic)
		}
		return nil
	})
	return out
}

func headers(m *sarama.ConsumerMessage) map[string]string {
	out := map[string]string{}
	for _, h := range m.Headers {
		out[string(h.Key)] = string(h.Value)
	}
	return out
}

// putConfig creates or updates a connector; a create that the REST layer retried answers 200.
func putConfig(t *testing.T, url, body string) {
	t.Helper()
	testcluster.Eventually(t, 20*time.Second, func() error {
		if code, resp := testcluster.Do(t, "PUT", url, body); code != 200 && code != 201 {
			return fmt.Errorf("PUT %s: %d %s", url, code, resp)
		}
		return nil
	})
}

// nodesUp checks that every node still answers.
func nodesUp(t *testing.T, c *testcluster.Cluster) {
	t.Helper()
	for i := 0; i < c.Size(); i++ {
		testcluster.MustDo(t, 200, "GET", c.URL(i)+"/", "")
	}
}

// The record: a malformed JsonConverter schema fails the sink task with Kafka Connect's
// message and the cause in its trace; every node and every other task keep running.
func TestMalformedRecordFailsOnlyItsTask(t *testing.T) {
	c, broker := errorsCluster(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	writeLines(t, in, 0, 5)
	putConfig(t, c.URL(0)+"/connectors/other/config", fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"other"}`, in))
	produceRaw(t, broker, "bad", `{"schema":{"type":"struct","fields":[null]},"payload":{}}`)
	putConfig(t, c.URL(1)+"/connectors/sink/config", fmt.Sprintf(`{"connector.class":"FileStreamSink","file":%q,"topics":"bad","key.converter":"org.apache.kafka.connect.storage.StringConverter"}`, filepath.Join(dir, "out.txt")))
	waitTaskFailed(t, c.URL(2), "sink", "Tolerance exceeded in error handler")
	waitTaskFailed(t, c.URL(2), "sink", "Struct schema's field name not specified properly")
	nodesUp(t, c)
	waitState(t, c.URL(0), "other", "RUNNING", 1)
}

// With errors.tolerance=all and a DLQ, bad records are skipped and dead-lettered with their
// original bytes and Kafka Connect's context headers, good ones reach the file, and the
// committed offset passes them all.
func TestToleratedRecordsGoToTheDeadLetterQueue(t *testing.T) {
	c, broker := errorsCluster(t)
	out := filepath.Join(t.TempDir(), "out.txt")
	produceRaw(t, broker, "mixed", `{"n":0}`, `not json`, `{"n":2}`, `{"n":3`, `{"n":4}`)
	putConfig(t, c.URL(0)+"/connectors/tolerant/config", fmt.Sprintf(`{"connector.class":"FileStreamSink","file":%q,"topics":"mixed","key.converter":"org.apache.kafka.connect.storage.StringConverter",
		"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false",
		"errors.tolerance":"all","errors.log.enable":"true","errors.log.include.messages":"true",
		"errors.deadletterqueue.topic.name":"dlq","errors.deadletterqueue.topic.replication.factor":"1",
		"errors.deadletterqueue.context.headers.enable":"true"}`, out))
	dead := consumeAll(t, broker, "dlq", 2)
	slices.SortFunc(dead, func(a, b *sarama.ConsumerMessage) int { return strings.Compare(string(a.Key), string(b.Key)) })
	if string(dead[0].Value) != "not json" || string(dead[1].Value) != `{"n":3` || string(dead[0].Key) != "k1" {
		t.Fatalf("dead letters %q %q (key %q)", dead[0].Value, dead[1].Value, dead[0].Key)
	}
	h := headers(dead[1])
	want := map[string]string{"origin": "test", "__connect.errors.topic": "mixed", "__connect.errors.partition": "0",
		"__connect.errors.offset": "3", "__connect.errors.connector.name": "tolerant", "__connect.errors.task.id": "0",
		"__connect.errors.stage": "VALUE_CONVERTER", "__connect.errors.class.name": "org.apache.kafka.connect.json.JsonConverter",
		"__connect.errors.exception.class.name": "org.apache.kafka.connect.errors.DataException"}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("header %s = %q, want %q", k, h[k], v)
		}
	}
	if !strings.Contains(h["__connect.errors.exception.message"], "Failed to convert value of record mixed-0@3") ||
		!strings.HasPrefix(h["__connect.errors.exception.stacktrace"], "org.apache.kafka.connect.errors.DataException: ") {
		t.Errorf("exception headers %q / %q", h["__connect.errors.exception.message"], h["__connect.errors.exception.stacktrace"])
	}
	testcluster.Eventually(t, 20*time.Second, func() error {
		if got := string(readOut(out)); got != "{n=0}\n{n=2}\n{n=4}\n" && got != "map[n:0]\nmap[n:2]\nmap[n:4]\n" {
			return fmt.Errorf("file holds %q", got)
		}
		if off := sinkOffset(t, c.URL(1), "tolerant", "mixed", 0); off != 5 {
			return fmt.Errorf("committed offset %d, want 5", off)
		}
		return nil
	})
	waitState(t, c.URL(2), "tolerant", "RUNNING", 1)
}

// sinkOffset is a sink connector's committed offset of one partition, or -1.
func sinkOffset(t *testing.T, url, name, topic string, partition int) int64 {
	code, body := testcluster.Do(t, "GET", url+"/connectors/"+name+"/offsets", "")
	if code != 200 {
		return -1
	}
	var offsets struct {
		Offsets []struct {
			Partition map[string]any `json:"partition"`
			Offset    map[string]any `json:"offset"`
		} `json:"offsets"`
	}
	if json.Unmarshal([]byte(body), &offsets) != nil {
		return -1
	}
	for _, o := range offsets.Offsets {
		if o.Partition["kafka_topic"] == topic && o.Partition["kafka_partition"] == float64(partition) {
			return int64(o.Offset["kafka_offset"].(float64))
		}
	}
	return -1
}

// A panic anywhere in plugin code fails that connector or task with the panic in its trace.
func TestPluginPanicsFailOnlyTheirTask(t *testing.T) {
	c, broker := errorsCluster(t)
	produceRaw(t, broker, "p", "x")
	for _, tc := range []struct{ class, where string }{
		{"io.connectd.test.FailingSinkConnector", "put"},
		{"io.connectd.test.FailingSinkConnector", "start"},
		{"io.connectd.test.FailingSourceConnector", "poll"},
	} {
		name := strings.ReplaceAll(tc.class[len("io.connectd.test."):], "Connector", "") + "-" + tc.where
		putConfig(t, c.URL(0)+"/connectors/"+name+"/config", fmt.Sprintf(`{"connector.class":%q,"topics":"p","panic.in":%q,%s}`, tc.class, tc.where, stringConverters))
		waitTaskFailed(t, c.URL(1), name, "injected panic in "+tc.where)
	}
	putConfig(t, c.URL(0)+"/connectors/conn/config", `{"connector.class":"io.connectd.test.FailingSourceConnector","panic.in":"connector.start"}`)
	testcluster.Eventually(t, 20*time.Second, func() error {
		s, err := status(t, c.URL(2), "conn")
		if err != nil || s.Connector.State != "FAILED" || !strings.Contains(s.Connector.Trace, "Connector.Start panicked: injected panic") {
			return fmt.Errorf("%+v %v", s, err)
		}
		return nil
	})
	// A flush that panics is a failed flush, as in Kafka Connect: the task keeps running and
	// commits nothing.
	putConfig(t, c.URL(0)+"/connectors/flush/config", fmt.Sprintf(`{"connector.class":"io.connectd.test.FailingSinkConnector","topics":"p","panic.in":"flush",%s}`, stringConverters))
	waitState(t, c.URL(1), "flush", "RUNNING", 1)
	time.Sleep(time.Second)
	if off := sinkOffset(t, c.URL(1), "flush", "p", 0); off != -1 {
		t.Fatalf("a sink whose flush panics committed offset %d", off)
	}
	waitState(t, c.URL(1), "flush", "RUNNING", 1)
	nodesUp(t, c)
}

// A failed flush rewinds to the committed offsets and redelivers: the task here drops what it
// held when its flush fails, and still every record reaches the file, and the committed offset
// never passes what the file holds.
func TestFailedFlushRedelivers(t *testing.T) {
	c, broker := errorsCluster(t)
	out := filepath.Join(t.TempDir(), "out.txt")
	var values []string
	for i := 0; i < 50; i++ {
		values = append(values, fmt.Sprintf("v%d", i))
	}
	produceRaw(t, broker, "flushy", values...)
	putConfig(t, c.URL(0)+"/connectors/flushy/config", fmt.Sprintf(`{"connector.class":"io.connectd.test.FailingSinkConnector","topics":"flushy","file":%q,"flush.fail.times":"2",%s}`, out, stringConverters))
	testcluster.Eventually(t, 30*time.Second, func() error {
		committed := sinkOffset(t, c.URL(1), "flushy", "flushy", 0)
		lines := strings.Fields(string(readOut(out)))
		for i := int64(0); i < committed; i++ {
			if !slices.Contains(lines, values[i]) {
				t.Fatalf("offset %d committed but %s is not in the file", committed, values[i])
			}
		}
		for _, v := range values {
			if !slices.Contains(lines, v) {
				return fmt.Errorf("%s not delivered (committed %d)", v, committed)
			}
		}
		if committed != 50 {
			return fmt.Errorf("committed %d", committed)
		}
		return nil
	})
	waitState(t, c.URL(2), "flushy", "RUNNING", 1)
}

// A put that fails with a retriable error gets the same records again, and the task keeps running.
func TestRetriablePutRedeliversTheBatch(t *testing.T) {
	c, broker := errorsCluster(t)
	out := filepath.Join(t.TempDir(), "out.txt")
	produceRaw(t, broker, "retry", "a", "b", "c")
	putConfig(t, c.URL(0)+"/connectors/retry/config", fmt.Sprintf(`{"connector.class":"io.connectd.test.FailingSinkConnector","topics":"retry","file":%q,"put.retriable.times":"2","errors.retry.delay.max.ms":"100",%s}`, out, stringConverters))
	testcluster.Eventually(t, 30*time.Second, func() error {
		if got := string(readOut(out)); got != "a\nb\nc\n" {
			return fmt.Errorf("file holds %q", got)
		}
		return nil
	})
	waitState(t, c.URL(1), "retry", "RUNNING", 1)
}

// Records a task reports to its errant record reporter go to the DLQ at stage TASK_PUT; with
// errors.tolerance=none a report fails the task.
func TestErrantRecordReporter(t *testing.T) {
	c, broker := errorsCluster(t)
	out := filepath.Join(t.TempDir(), "out.txt")
	produceRaw(t, broker, "errant", "a", "bad", "c")
	putConfig(t, c.URL(0)+"/connectors/rep/config", fmt.Sprintf(`{"connector.class":"io.connectd.test.FailingSinkConnector","topics":"errant","file":%q,"errant.value":"bad",
		"errors.tolerance":"all","errors.deadletterqueue.topic.name":"errant-dlq","errors.deadletterqueue.topic.replication.factor":"1","errors.deadletterqueue.context.headers.enable":"true",%s}`, out, stringConverters))
	dead := consumeAll(t, broker, "errant-dlq", 1)
	if h := headers(dead[0]); string(dead[0].Value) != "bad" || h["__connect.errors.stage"] != "TASK_PUT" || h["__connect.errors.exception.message"] != "injected errant record" {
		t.Fatalf("dead letter %q %v", dead[0].Value, h)
	}
	testcluster.Eventually(t, 20*time.Second, func() error {
		if got := string(readOut(out)); got != "a\nc\n" {
			return fmt.Errorf("file holds %q", got)
		}
		if off := sinkOffset(t, c.URL(1), "rep", "errant", 0); off != 3 {
			return fmt.Errorf("committed %d", off)
		}
		return nil
	})
	putConfig(t, c.URL(0)+"/connectors/strict/config", fmt.Sprintf(`{"connector.class":"io.connectd.test.FailingSinkConnector","topics":"errant","errant.value":"bad",%s}`, stringConverters))
	waitTaskFailed(t, c.URL(2), "strict", "Tolerance exceeded in error handler: injected errant record")
}

// readOut is a sink's output file, empty until the sink creates it.
func readOut(path string) []byte {
	data, _ := os.ReadFile(path)
	return data
}

// A source record the converter refuses fails the task under errors.tolerance=none; under all it
// is skipped and its offset still committed, so the task moves on.
func TestSourceConversionFailures(t *testing.T) {
	c, _ := errorsCluster(t)
	in := filepath.Join(t.TempDir(), "in.txt")
	writeLines(t, in, 0, 10)
	// ByteArrayConverter refuses the file source's string values.
	const conv = `"value.converter":"org.apache.kafka.connect.converters.ByteArrayConverter"`
	putConfig(t, c.URL(0)+"/connectors/strict/config", fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"s",%s}`, in, conv))
	waitTaskFailed(t, c.URL(1), "strict", "Tolerance exceeded in error handler: Failed to convert value of record for topic s")
	putConfig(t, c.URL(0)+"/connectors/lenient/config", fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"s","errors.tolerance":"all",%s}`, in, conv))
	testcluster.Eventually(t, 20*time.Second, func() error {
		if pos := committedPosition(t, c.URL(2), "lenient"); pos != 70 {
			return fmt.Errorf("committed position %d, want 70", pos)
		}
		return nil
	})
	waitState(t, c.URL(1), "lenient", "RUNNING", 1)
}

// A source record Kafka would refuse for good (over max.request.size) is skipped under
// errors.tolerance=all (KIP-779) and the records after it are produced.
func TestSourceRecordTooLargeIsSkippedWhenTolerated(t *testing.T) {
	c, broker := errorsCluster(t)
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("a\n"+strings.Repeat("x", 200)+"\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	putConfig(t, c.URL(0)+"/connectors/big/config", fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"big","errors.tolerance":"all","producer.override.max.request.size":"100",%s}`, in, stringConverters))
	testcluster.Eventually(t, 20*time.Second, func() error {
		if pos := committedPosition(t, c.URL(1), "big"); pos != 205 {
			return fmt.Errorf("committed position %d, want 205", pos)
		}
		return nil
	})
	got := consumeAll(t, broker, "big", 2)
	var values []string
	for _, m := range got {
		values = append(values, string(m.Value))
	}
	slices.Sort(values)
	if strings.Join(values, ",") != "a,b" {
		t.Fatalf("topic holds %v", values)
	}
	waitState(t, c.URL(2), "big", "RUNNING", 1)
}

// A source record the broker refuses (here: not authorized for its topic) is skipped under
// errors.tolerance=all, counted in the task's error metrics, and its offset committed
// (KIP-779); under none it fails the task with the producer's error.
func TestSourceRecordsKafkaRefusesAreSkippedWhenTolerated(t *testing.T) {
	broker, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.SeedTopics(1, "denied"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	broker.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		produce := req.(*kmsg.ProduceRequest)
		resp := produce.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range produce.Topics {
			if rt.Topic != "denied" {
				return nil, nil, false
			}
			topic := kmsg.NewProduceResponseTopic()
			topic.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				partition := kmsg.NewProduceResponseTopicPartition()
				partition.Partition = rp.Partition
				partition.ErrorCode = kerr.TopicAuthorizationFailed.Code
				topic.Partitions = append(topic.Partitions, partition)
			}
			resp.Topics = append(resp.Topics, topic)
		}
		broker.KeepControl()
		return resp, nil, true
	})
	c := testcluster.New(t, 3, testcluster.With("bootstrap.servers", broker.ListenAddrs()[0]),
		testcluster.With("offset.flush.interval.ms", "200"), testcluster.With("scheduled.rebalance.max.delay.ms", "0"))
	in := filepath.Join(t.TempDir(), "in.txt")
	writeLines(t, in, 0, 10)
	putConfig(t, c.URL(0)+"/connectors/lenient/config", fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"denied","errors.tolerance":"all","errors.log.enable":"true",%s}`, in, stringConverters))
	testcluster.Eventually(t, 20*time.Second, func() error {
		if pos := committedPosition(t, c.URL(2), "lenient"); pos != 70 {
			return fmt.Errorf("committed position %d, want 70", pos)
		}
		return nil
	})
	waitState(t, c.URL(1), "lenient", "RUNNING", 1)
	const skipped = `kafka_connect_task_error_metrics_total_records_skipped{connector="lenient",task="0"} 10`
	testcluster.Eventually(t, 10*time.Second, func() error {
		for i := 0; i < c.Size(); i++ {
			if _, body := testcluster.Do(t, "GET", c.URL(i)+"/metrics", ""); strings.Contains(body, skipped) {
				return nil
			}
		}
		return fmt.Errorf("no node reports %s", skipped)
	})
	putConfig(t, c.URL(0)+"/connectors/strict/config", fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"denied",%s}`, in, stringConverters))
	waitTaskFailed(t, c.URL(2), "strict", "Unrecoverable exception from producer send callback: denied-0: kafka server: The client is not authorized to access this topic")
	if pos := committedPosition(t, c.URL(2), "strict"); pos != 0 {
		t.Fatalf("the strict task committed position %d past records Kafka refused", pos)
	}
}
