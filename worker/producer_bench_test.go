package worker

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/kafka"
)

// The two reference producers of the file -> topic row of scripts/bench.sh: each sends
// BENCH_RECORDS 100-byte records (99-byte values, no key) to the broker at BENCH_BROKER with the
// source tasks' guarantees (idempotent, acks=all, one request in flight per broker) and their
// linger of 5 ms, and reports records/s from the first send to the last acknowledgement.

// BenchmarkSaramaAsyncProducer is a bare sarama AsyncProducer, the client connectd's own
// producer is built on.
func BenchmarkSaramaAsyncProducer(b *testing.B) {
	broker, records, value := referenceProducerSettings(b)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		conf, err := asyncProducerConfig()
		if err != nil {
			b.Fatal(err)
		}
		producer, err := sarama.NewAsyncProducer([]string{broker}, conf)
		if err != nil {
			b.Fatal(err)
		}
		topic := "sarama-" + strconv.Itoa(i) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		start := time.Now()
		done := make(chan error, 1)
		go func() {
			for acked := 0; acked < records; {
				select {
				case <-producer.Successes():
					acked++
				case err := <-producer.Errors():
					done <- err
					return
				}
			}
			done <- nil
		}()
		for n := 0; n < records; n++ {
			producer.Input() <- &sarama.ProducerMessage{Topic: topic, Partition: anyPartition, Value: sarama.ByteEncoder(value)}
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		_ = producer.Close()
	}
	b.ReportMetric(float64(records*b.N)/total.Seconds(), "records/s")
}

func asyncProducerConfig() (*sarama.Config, error) {
	conf, err := kafka.ProducerConfig("bench", nil)
	if err != nil {
		return nil, err
	}
	conf.Producer.Idempotent = true
	conf.Producer.RequiredAcks = sarama.WaitForAll
	conf.Producer.Return.Successes = true
	conf.Producer.Flush.Frequency = 5 * time.Millisecond
	conf.Producer.Flush.Bytes = 1 << 20
	conf.Net.MaxOpenRequests = 1
	return conf, nil
}

// BenchmarkKgoProducer is franz-go's kgo producer, the fastest Go client, with its defaults
// otherwise (idempotent and acks=all are kgo's defaults; batches up to 1 MB).
func BenchmarkKgoProducer(b *testing.B) {
	broker, records, value := referenceProducerSettings(b)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		client, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ClientID("bench"), kgo.AllowAutoTopicCreation(),
			kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(5*time.Millisecond))
		if err != nil {
			b.Fatal(err)
		}
		topic := "kgo-" + strconv.Itoa(i) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		var failed atomic.Pointer[error]
		onAck := func(_ *kgo.Record, err error) {
			if err != nil {
				failed.CompareAndSwap(nil, &err)
			}
		}
		start := time.Now()
		for n := 0; n < records; n++ {
			client.Produce(context.Background(), &kgo.Record{Topic: topic, Value: value}, onAck)
		}
		if err := client.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		client.Close()
		if err := failed.Load(); err != nil {
			b.Fatal(*err)
		}
	}
	b.ReportMetric(float64(records*b.N)/total.Seconds(), "records/s")
}

// referenceProducerSettings reads BENCH_BROKER (the benchmark is skipped without it) and
// BENCH_RECORDS (default 100,000), and makes the records' value.
func referenceProducerSettings(b *testing.B) (broker string, records int, value []byte) {
	broker = os.Getenv("BENCH_BROKER")
	if broker == "" {
		b.Skip("BENCH_BROKER is not set")
	}
	records, _ = strconv.Atoi(os.Getenv("BENCH_RECORDS"))
	if records <= 0 {
		records = 100000
	}
	value = make([]byte, 99)
	for i := range value {
		value[i] = 'x'
	}
	return broker, records, value
}
