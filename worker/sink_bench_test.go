package worker_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/internal/testcluster"
)

// BenchmarkFileSink runs the topic -> file row of scripts/bench.sh in one process, so that the
// sink path can be profiled: BENCH_RECORDS 100-byte records are produced to the embedded broker
// (or the one at BENCH_BROKER), then a FileStreamSink drains them until its file holds them all.
// It runs with metrics.enable on and off, side by side, each run in a consumer group of its own.
// Run: go test ./worker -run '^$' -bench FileSink -benchtime 1x -count 8 -cpuprofile cpu.out
func BenchmarkFileSink(b *testing.B) {
	records, broker := benchSettings(b)
	topic := fmt.Sprintf("sink-bench-%d", time.Now().UnixNano())
	produce(b, broker, topic, records)
	size := int64(records * 100)
	benchMetricsOnOff(b, broker, func(b *testing.B, c *testcluster.Cluster, name string) {
		out := filepath.Join(b.TempDir(), "out.txt")
		testcluster.MustDo(b, 201, "PUT", fmt.Sprintf("%s/connectors/%s/config", c.URL(0), name), fmt.Sprintf(`{"connector.class":"FileStreamSink","file":%q,"topics":%q,%s}`, out, topic, stringConverters))
		testcluster.Eventually(b, 5*time.Minute, func() error {
			if fi, err := os.Stat(out); err != nil || fi.Size() < size {
				return fmt.Errorf("%s not complete yet", out)
			}
			return nil
		})
	}, records)
}

// produce writes records 100-byte lines (99 bytes without the newline the sink adds) to topic.
func produce(b *testing.B, broker, topic string, records int) {
	conf := sarama.NewConfig()
	admin, err := sarama.NewClusterAdmin([]string{broker}, conf)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		b.Fatal(err)
	}
	conf.Producer.Return.Successes = true
	conf.Producer.RequiredAcks = sarama.WaitForAll
	conf.Producer.Flush.Frequency = 10 * time.Millisecond
	producer, err := sarama.NewSyncProducer([]string{broker}, conf)
	if err != nil {
		b.Fatal(err)
	}
	defer producer.Close()
	value := sarama.StringEncoder(strings.Repeat("x", 99))
	const batch = 10000
	msgs := make([]*sarama.ProducerMessage, 0, batch)
	for n := 0; n < records; n += batch {
		msgs = msgs[:0]
		for range min(batch, records-n) {
			msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Value: value})
		}
		if err := producer.SendMessages(msgs); err != nil {
			b.Fatal(err)
		}
	}
}
