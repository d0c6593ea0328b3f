package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/internal/freeport"
	"github.com/connectd/connectd/kafka"
)

// producerHarness is a batchProducer on a three-broker cluster whose requests a test can
// intercept, with the submitted records it acknowledges.
type producerHarness struct {
	cluster  *kfake.Cluster
	client   sarama.Client
	producer *batchProducer
	records  *submittedRecords
	failed   chan error
	sent     int
}

const testTopic = "t"

func newProducerHarness(t *testing.T, partitions int32) *producerHarness {
	return newProducerHarnessWith(t, partitions, kafka.DefaultProducerSettings)
}

func newProducerHarnessWith(t *testing.T, partitions int32, settings kafka.ProducerSettings) *producerHarness {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(partitions, testTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	return startProducer(t, cluster, newProducerClient(t, cluster.ListenAddrs()), settings, openGate{})
}

func newProducerClient(t *testing.T, addrs []string) sarama.Client {
	t.Helper()
	conf, err := kafka.ProducerConfig("producer-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	conf.Net.ReadTimeout = 500 * time.Millisecond
	client, err := sarama.NewClient(addrs, conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func startProducer(t *testing.T, cluster *kfake.Cluster, client sarama.Client, settings kafka.ProducerSettings, gate gate) *producerHarness {
	h := &producerHarness{cluster: cluster, client: client, records: newSubmittedRecords(), failed: make(chan error, 1)}
	h.producer = newBatchProducer(client, settings, gate, slog.New(slog.DiscardHandler), h.records, func(err error) { h.failed <- err })
	t.Cleanup(h.producer.close)
	return h
}

// openGate lets every request go: these tests are about the producer, not the lease.
type openGate struct{}

func (openGate) await(<-chan struct{}) bool { return true }

var testSourcePartition = map[string]any{"source": "test"}

// send produces the next n records, values "0", "1", ..., each keyed by key(i) when key is set.
func (h *producerHarness) send(n int, key func(i int) []byte) error {
	records := make([]*connect.SourceRecord, n)
	msgs := make([]message, n)
	for i := range records {
		seq := h.sent + i
		records[i] = &connect.SourceRecord{SourcePartition: testSourcePartition, SourceOffset: connect.OffsetMap{"seq": seq}}
		msgs[i] = message{topic: testTopic, partition: anyPartition, value: []byte(strconv.Itoa(seq)), timestamp: time.Now()}
		if key != nil {
			msgs[i].key = key(seq)
		}
	}
	h.sent += n
	acks := h.records.submit(records)
	taken, err := h.producer.send(context.Background(), msgs, acks)
	if err != nil {
		h.records.fail(n - taken)
	}
	return err
}

// drained waits until every record sent is acknowledged or failed, and returns the offset of
// the last record whose predecessors are all acknowledged.
func (h *producerHarness) drained(t *testing.T) any {
	t.Helper()
	done := make(chan struct{})
	timer := time.AfterFunc(30*time.Second, func() { close(done) })
	defer timer.Stop()
	h.records.waitDrained(done)
	select {
	case <-done:
		t.Fatal("records still unacknowledged after 30 s")
	default:
	}
	entries, _ := h.records.committable()
	if len(entries) != 1 {
		return nil
	}
	return entries[0].Offset["seq"]
}

// topicRecords reads every record of the topic: values by partition, in log order, and keys.
func (h *producerHarness) topicRecords(t *testing.T, partitions int32) (values map[int32][]int, keys map[int]string) {
	t.Helper()
	conf, err := kafka.ConsumerConfig("producer-test-reader", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	consumer, err := sarama.NewConsumer(h.cluster.ListenAddrs(), conf)
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	values, keys = map[int32][]int{}, map[int]string{}
	for p := int32(0); p < partitions; p++ {
		end, err := h.client.GetOffset(testTopic, p, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		if end == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(testTopic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		for msg := range pc.Messages() {
			v, _ := strconv.Atoi(string(msg.Value))
			values[p] = append(values[p], v)
			keys[v] = string(msg.Key)
			if msg.Offset == end-1 {
				break
			}
		}
		pc.Close()
	}
	return values, keys
}

// checkExactlyOnce fails unless the topic holds each of n records once, each partition in
// the order they were sent.
func checkExactlyOnce(t *testing.T, values map[int32][]int, n int) {
	t.Helper()
	seen := map[int]bool{}
	for p, vs := range values {
		for i, v := range vs {
			if seen[v] {
				t.Fatalf("record %d is in the topic twice", v)
			}
			seen[v] = true
			if i > 0 && v < vs[i-1] {
				t.Fatalf("partition %d holds record %d after %d", p, v, vs[i-1])
			}
		}
	}
	if len(seen) != n {
		t.Fatalf("the topic holds %d distinct records, %d were sent", len(seen), n)
	}
}

func TestProducerPartitionsKeysAsKafkaAndKeepsOrder(t *testing.T) {
	const partitions, n = 3, 5000
	h := newProducerHarness(t, partitions)
	key := func(i int) []byte { return []byte("key-" + strconv.Itoa(i%97)) }
	if err := h.send(n, key); err != nil {
		t.Fatal(err)
	}
	if last := h.drained(t); last != n-1 {
		t.Fatalf("committable offset %v after every record was acknowledged, want %d", last, n-1)
	}
	values, keys := h.topicRecords(t, partitions)
	checkExactlyOnce(t, values, n)
	// franz-go's default partitioner is Kafka's: murmur2 of the key.
	reference := kgo.StickyKeyPartitioner(nil).ForTopic(testTopic)
	for p, vs := range values {
		for _, v := range vs {
			if want := int32(reference.Partition(&kgo.Record{Key: []byte(keys[v])}, partitions)); want != p {
				t.Fatalf("key %q is in partition %d; Kafka's partitioner puts it in %d", keys[v], p, want)
			}
		}
	}
}

// Records without a key or partition stick to one partition until its batch closes, then to
// another chosen at random, as Kafka's producer does: runs, not one partition or a scatter.
func TestProducerSpreadsRecordsWithoutKeysBatchByBatch(t *testing.T) {
	const partitions, rounds, perRound = 3, 12, 500
	h := newProducerHarness(t, partitions)
	for round := 0; round < rounds; round++ {
		if err := h.send(perRound, nil); err != nil {
			t.Fatal(err)
		}
		// Past the linger: the round's batch goes, and the next records pick a partition again.
		time.Sleep(4 * kafka.DefaultProducerSettings.Linger)
	}
	const n = rounds * perRound
	h.drained(t)
	values, _ := h.topicRecords(t, partitions)
	checkExactlyOnce(t, values, n)
	partitionOf := make([]int32, n)
	for p, vs := range values {
		for _, v := range vs {
			partitionOf[v] = p
		}
	}
	switches := 0
	for v := 1; v < n; v++ {
		if partitionOf[v] != partitionOf[v-1] {
			switches++
		}
	}
	// With 12 batches, all in one partition has a chance of 3^-11.
	if len(values) < 2 || switches >= rounds {
		t.Fatalf("%d partitions used, %d switches between consecutive records; want runs of one partition per batch", len(values), switches)
	}
}

func TestProducerFollowsMovingLeadersWithoutLossOrDuplicates(t *testing.T) {
	const partitions = 3
	h := newProducerHarness(t, partitions)
	n := 0
	for round := 0; round < 6; round++ {
		if err := h.send(2000, nil); err != nil {
			t.Fatal(err)
		}
		n += 2000
		for p := int32(0); p < partitions; p++ {
			leader := h.cluster.LeaderFor(testTopic, p)
			if err := h.cluster.MoveTopicPartition(testTopic, p, (leader+1)%3); err != nil {
				t.Fatal(err)
			}
		}
	}
	if last := h.drained(t); last != n-1 {
		t.Fatalf("committable offset %v, want %d", last, n-1)
	}
	values, _ := h.topicRecords(t, partitions)
	checkExactlyOnce(t, values, n)
}

// A batch whose response is lost is sent again with the same sequence numbers, and the
// broker keeps only one copy: the first request is held until the retry was acknowledged.
func TestProducerRetryOfALostResponseIsNotDuplicated(t *testing.T) {
	h := newProducerHarness(t, 1)
	release := make(chan struct{})
	held := make(chan struct{})
	var first atomic.Bool
	h.cluster.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		if first.Swap(true) {
			// The retry, which kfake hands to the same control function while the first sleeps.
			h.cluster.DropControl()
			return nil, nil, false
		}
		close(held)
		h.cluster.SleepControl(func() { <-release })
		return nil, nil, false
	})
	if err := h.send(100, nil); err != nil {
		t.Fatal(err)
	}
	<-held
	if last := h.drained(t); last != 99 {
		t.Fatalf("committable offset %v, want 99", last)
	}
	close(release)
	// The held request is handled now; a later batch shows that it has been.
	if err := h.send(1, nil); err != nil {
		t.Fatal(err)
	}
	h.drained(t)
	values, _ := h.topicRecords(t, 1)
	checkExactlyOnce(t, values, 101)
}

func TestProducerFailsOnAnErrorKafkaDoesNotRetry(t *testing.T) {
	h := newProducerHarness(t, 1)
	h.cluster.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		resp := req.(*kmsg.ProduceRequest).ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.(*kmsg.ProduceRequest).Topics {
			topic := kmsg.NewProduceResponseTopic()
			topic.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				partition := kmsg.NewProduceResponseTopicPartition()
				partition.Partition = rp.Partition
				partition.ErrorCode = kerr.InvalidRecord.Code
				topic.Partitions = append(topic.Partitions, partition)
			}
			resp.Topics = append(resp.Topics, topic)
		}
		return resp, nil, true
	})
	if err := h.send(10, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-h.failed:
		if !strings.Contains(err.Error(), "t-0") {
			t.Fatalf("error %q does not name the partition", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the producer did not report the refused batch")
	}
	if last := h.drained(t); last != nil {
		t.Fatalf("a refused record's offset became committable: %v", last)
	}
	if err := h.send(1, nil); err == nil {
		t.Fatal("a failed producer took another record")
	}
}

// refuseProduce answers a produce request with code for every partition in it.
func refuseProduce(req kmsg.Request, code int16) kmsg.Response {
	resp := req.(*kmsg.ProduceRequest).ResponseKind().(*kmsg.ProduceResponse)
	for _, rt := range req.(*kmsg.ProduceRequest).Topics {
		topic := kmsg.NewProduceResponseTopic()
		topic.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			partition := kmsg.NewProduceResponseTopicPartition()
			partition.Partition = rp.Partition
			partition.ErrorCode = code
			topic.Partitions = append(topic.Partitions, partition)
		}
		resp.Topics = append(resp.Topics, topic)
	}
	return resp
}

// Under errors.tolerance=all a batch Kafka refuses for good is handed to skipRefused and
// skipped: its offsets commit, the producer goes on, and the batches queued behind it take back
// its sequence numbers, so the broker appends them once each.
func TestProducerSkipsARefusedBatchWhenTolerated(t *testing.T) {
	settings := kafka.DefaultProducerSettings
	settings.BatchBytes = 100
	h := newProducerHarnessWith(t, 1, settings)
	var refused []int
	h.producer.skipRefused = func(topic string, partition int32, records []sarama.Record, err error) {
		if topic != testTopic || partition != 0 || !errors.Is(err, sarama.ErrTopicAuthorizationFailed) {
			t.Errorf("refused %s-%d: %v", topic, partition, err)
		}
		for _, r := range records {
			v, _ := strconv.Atoi(string(r.Value))
			refused = append(refused, v)
		}
	}
	release := make(chan struct{})
	held := make(chan struct{})
	h.cluster.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		close(held)
		// Held until every record is queued, so that sealed batches wait behind the refused one.
		h.cluster.SleepControl(func() { <-release })
		return refuseProduce(req, kerr.TopicAuthorizationFailed.Code), nil, true
	})
	if err := h.send(50, nil); err != nil {
		t.Fatal(err)
	}
	<-held
	close(release)
	if last := h.drained(t); last != 49 {
		t.Fatalf("committable offset %v, want 49", last)
	}
	select {
	case err := <-h.failed:
		t.Fatalf("the producer failed: %v", err)
	default:
	}
	if len(refused) == 0 || len(refused) >= 50 || refused[0] != 0 || refused[len(refused)-1] != len(refused)-1 {
		t.Fatalf("refused records %v, want the first batch", refused)
	}
	values, _ := h.topicRecords(t, 1)
	if got := values[0]; len(got) != 50-len(refused) || got[0] != len(refused) {
		t.Fatalf("the topic holds %v after %d refused records", got, len(refused))
	}
	checkExactlyOnce(t, values, 50-len(refused))
}

// A batch the broker finds too large for the topic is split and sent again, as Kafka's producer
// does, down to batches it accepts: no record is skipped, even under errors.tolerance=all.
func TestProducerSplitsABatchTooLargeForTheTopic(t *testing.T) {
	h := newProducerHarness(t, 1)
	h.producer.skipRefused = func(_ string, _ int32, records []sarama.Record, err error) {
		t.Errorf("%d records skipped: %v", len(records), err)
	}
	const maxRecords = 5
	h.cluster.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		h.cluster.KeepControl()
		for _, rt := range req.(*kmsg.ProduceRequest).Topics {
			for _, rp := range rt.Partitions {
				var batch kmsg.RecordBatch
				if err := batch.ReadFrom(rp.Records); err != nil {
					t.Errorf("reading a produced batch: %v", err)
				}
				if batch.NumRecords > maxRecords {
					return refuseProduce(req, kerr.MessageTooLarge.Code), nil, true
				}
			}
		}
		return nil, nil, false
	})
	if err := h.send(40, nil); err != nil {
		t.Fatal(err)
	}
	if last := h.drained(t); last != 39 {
		t.Fatalf("committable offset %v, want 39", last)
	}
	values, _ := h.topicRecords(t, 1)
	checkExactlyOnce(t, values, 40)
}

func TestProducerRefusesARecordLargerThanARequest(t *testing.T) {
	h := newProducerHarness(t, 1)
	records := []*connect.SourceRecord{{}}
	acks := h.records.submit(records)
	msg := message{topic: testTopic, partition: anyPartition, value: make([]byte, kafka.DefaultProducerSettings.MaxRequestBytes), timestamp: time.Now()}
	if _, err := h.producer.send(context.Background(), []message{msg}, acks); err == nil || !strings.Contains(err.Error(), "max.request.size") {
		t.Fatalf("got %v, want the max.request.size error", err)
	}
	msg.partition = 7
	msg.value = []byte("x")
	if _, err := h.producer.send(context.Background(), []message{msg}, acks); err == nil || !strings.Contains(err.Error(), "Invalid partition") {
		t.Fatalf("got %v, want the invalid partition error", err)
	}
}

// compression.type and batch.size reach the wire: every batch is LZ4-compressed and holds what
// batch.size allows, and the records read back intact.
func TestProducerCompressesAndSizesBatchesAsConfigured(t *testing.T) {
	settings := kafka.DefaultProducerSettings
	settings.Codec, settings.BatchBytes = sarama.CompressionLZ4, 500
	h := newProducerHarnessWith(t, 1, settings)
	var mu sync.Mutex
	var codecs []int16
	var counts []int
	h.cluster.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		h.cluster.KeepControl()
		for _, topic := range req.(*kmsg.ProduceRequest).Topics {
			for _, p := range topic.Partitions {
				var batch kmsg.RecordBatch
				if err := batch.ReadFrom(p.Records); err == nil {
					mu.Lock()
					codecs, counts = append(codecs, batch.Attributes&0x07), append(counts, int(batch.NumRecords))
					mu.Unlock()
				}
			}
		}
		return nil, nil, false
	})
	const n = 200
	if err := h.send(n, nil); err != nil {
		t.Fatal(err)
	}
	h.drained(t)
	values, _ := h.topicRecords(t, 1)
	checkExactlyOnce(t, values, n)
	mu.Lock()
	defer mu.Unlock()
	// Values are "0".."199": at most 3 bytes, plus at most 21 of framing per record.
	for i := range codecs {
		full := i < len(codecs)-1 // the last batch holds what was left
		if codecs[i] != 3 || (full && counts[i] < 500/24) || counts[i] > 500/22+1 {
			t.Fatalf("batch %d: codec %d with %d records; want LZ4 (3) with about %d", i, codecs[i], counts[i], 500/22)
		}
	}
	if len(codecs) < n/(500/22+1) {
		t.Fatalf("%d batches for %d records of at most 24 bytes in 500-byte batches", len(codecs), n)
	}
}

func TestMurmur2MatchesKafka(t *testing.T) {
	reference := kgo.StickyKeyPartitioner(nil).ForTopic(testTopic)
	for i := 0; i < 1000; i++ {
		key := []byte(fmt.Sprintf("%0*d", i%13, i))
		if got, want := int(positive(murmur2(key))%1009), reference.Partition(&kgo.Record{Key: key}, 1009); got != want {
			t.Fatalf("key %q: partition %d, Kafka's %d", key, got, want)
		}
	}
}

// The worker's connections outlive a broker restart; a task started after one must still
// get a producer id and deliver (it failed with "run out of available brokers: EOF").
func TestProducerStartsOnConnectionsFromBeforeABrokerRestart(t *testing.T) {
	port := freeport.Take(t, 1)[0]
	first, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(1, testTopic))
	if err != nil {
		t.Fatal(err)
	}
	addr := first.ListenAddrs()[0]
	client := newProducerClient(t, []string{addr})
	// An earlier task's producer, which leaves a connection to the broker open.
	earlier := startProducer(t, first, client, kafka.DefaultProducerSettings, openGate{})
	if err := earlier.send(1, nil); err != nil {
		t.Fatal(err)
	}
	earlier.drained(t)
	earlier.producer.close()
	first.Close()
	second, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(1, testTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(second.Close)
	h := startProducer(t, second, client, kafka.DefaultProducerSettings, openGate{})
	if err := h.send(100, nil); err != nil {
		t.Fatal(err)
	}
	if last := h.drained(t); last != 99 {
		t.Fatalf("committable offset %v, want 99", last)
	}
	values, _ := h.topicRecords(t, 1)
	checkExactlyOnce(t, values, 100)
}
