package runtime

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/IBM/sarama"
)

// producerSettings are the parts of Kafka's producer configuration that connectd's producer
// honours, from the worker's producer.* settings and a connector's producer.override.*, which
// win. The producer is always idempotent with acks=all, as Kafka Connect's is by default.
type producerSettings struct {
	// linger lets a batch fill before it goes.
	linger time.Duration
	// batchBytes closes a batch.
	batchBytes int
	// bufferBytes bounds what a task holds unacknowledged; Poll waits for room.
	bufferBytes int
	// maxRequestBytes is the largest record: a larger one fails its task.
	maxRequestBytes int
	codec           sarama.CompressionCodec
}

// defaultProducerSettings: linger as Kafka's producer since 4.0; batches larger than Kafka's
// 16 KiB, since fewer, larger requests cost the broker much less and one batch per partition is
// in flight; a batch still fits the broker's default message.max.bytes of 1 MiB.
var defaultProducerSettings = producerSettings{linger: 5 * time.Millisecond, batchBytes: 960 << 10,
	bufferBytes: 4 << 20, maxRequestBytes: 1 << 20, codec: sarama.CompressionNone}

// batchOverhead is a record batch's header: a batch holds at most a request less this.
const batchOverhead = 61

var codecs = map[string]sarama.CompressionCodec{"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP,
	"snappy": sarama.CompressionSnappy, "lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD}

// producerSettingsFrom reads the settings, with Kafka's messages for values it would refuse.
func producerSettingsFrom(worker, connector map[string]string) (producerSettings, error) {
	s := defaultProducerSettings
	get := clientSetting("producer.", worker, connector)
	err := setNumbers(get, []numberSetting{
		{"linger.ms", kafkaLong, func(n int64) { s.linger = millis(n) }},
		{"batch.size", kafkaInt, func(n int64) { s.batchBytes = int(n) }},
		{"buffer.memory", kafkaLong, func(n int64) { s.bufferBytes = int(n) }},
		{"max.request.size", kafkaInt, func(n int64) { s.maxRequestBytes = int(n) }},
	})
	if err != nil {
		return s, err
	}
	if v, ok := get("compression.type"); ok {
		codec, known := codecs[v]
		if !known {
			return s, fmt.Errorf("Invalid value %s for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd", v)
		}
		s.codec = codec
	}
	s.batchBytes = min(s.batchBytes, max(s.maxRequestBytes-batchOverhead, 0))
	return s, nil
}

// clientSetting reads a Kafka client key for a connector: its <kind>override.<key> wins over
// the worker's <kind><key> (kind is "producer." or "consumer.").
func clientSetting(kind string, worker, connector map[string]string) func(key string) (string, bool) {
	return func(key string) (string, bool) {
		if v, ok := connector[kind+"override."+key]; ok {
			return v, true
		}
		v, ok := worker[kind+key]
		return v, ok
	}
}

// numberKind is a Kafka config type, with the name Kafka's messages give it.
type numberKind struct {
	name string
	max  int64
}

var (
	kafkaInt  = numberKind{"INT", math.MaxInt32}
	kafkaLong = numberKind{"LONG", math.MaxInt64}
)

// millis is n milliseconds, at most the longest duration.
func millis(n int64) time.Duration {
	return time.Duration(min(n, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond
}

// numberSetting is a non-negative numeric client key and what it sets.
type numberSetting struct {
	key  string
	kind numberKind
	set  func(n int64)
}

// setNumbers applies the settings that are given, with Kafka's messages for values it refuses.
func setNumbers(get func(string) (string, bool), settings []numberSetting) error {
	for _, s := range settings {
		v, ok := get(s.key)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil || n > s.kind.max:
			return fmt.Errorf("Invalid value %s for configuration %s: Not a number of type %s", v, s.key, s.kind.name)
		case n < 0:
			return fmt.Errorf("Invalid value %s for configuration %s: Value must be at least 0", v, s.key)
		}
		s.set(n)
	}
	return nil
}
