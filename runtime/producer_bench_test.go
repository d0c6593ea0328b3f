package runtime

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/kafka"
)

// BenchmarkSaramaAsyncProducer is a reference for the file -> topic row of scripts/bench.sh: a bare
// sarama AsyncProducer with the source tasks' guarantees (idempotent, acks=all), sending
// BENCH_RECORDS 100-byte records to the broker at BENCH_BROKER.
func BenchmarkSaramaAsyncProducer(b *testing.B) {
	broker := os.Getenv("BENCH_BROKER")
	if broker == "" {
		b.Skip("BENCH_BROKER is not set")
	}
	records, _ := strconv.Atoi(os.Getenv("BENCH_RECORDS"))
	if records <= 0 {
		records = 100000
	}
	value := make([]byte, 99)
	for i := range value {
		value[i] = 'x'
	}
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
