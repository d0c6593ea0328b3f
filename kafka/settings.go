package kafka

import (
	"fmt"
	"math"
	"time"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/connect"
)

// ProducerSettings are the parts of Kafka's producer configuration that connectd's producer
// honours, from the worker's producer.* settings and a connector's producer.override.*, which
// win. The producer is always idempotent with acks=all, as Kafka Connect's is by default.
type ProducerSettings struct {
	// Linger lets a batch fill before it goes.
	Linger time.Duration
	// BatchBytes closes a batch.
	BatchBytes int
	// BufferBytes bounds what a task holds unacknowledged; Poll waits for room.
	BufferBytes int
	// MaxRequestBytes is the largest record: a larger one fails its task.
	MaxRequestBytes int
	Codec           sarama.CompressionCodec
}

// DefaultProducerSettings: linger as Kafka's producer since 4.0; batches larger than Kafka's
// 16 KiB, since fewer, larger requests cost the broker much less and one batch per partition is
// in flight; a batch still fits the broker's default message.max.bytes of 1 MiB.
var DefaultProducerSettings = ProducerSettings{Linger: 5 * time.Millisecond, BatchBytes: 960 << 10,
	BufferBytes: 4 << 20, MaxRequestBytes: 1 << 20, Codec: sarama.CompressionNone}

// BatchOverhead is a record batch's header: a batch holds at most a request less this.
const BatchOverhead = 61

var codecs = map[string]sarama.CompressionCodec{"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP,
	"snappy": sarama.CompressionSnappy, "lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD}

// ProducerSettingsFrom reads the settings, with Kafka's messages for values it would refuse.
func ProducerSettingsFrom(worker, connector map[string]string) (ProducerSettings, error) {
	s := DefaultProducerSettings
	get := clientSetting(Producer, worker, connector)
	err := setNumbers(get, []numberSetting{
		{"linger.ms", kafkaLong, func(n int64) { s.Linger = millis(n) }},
		{"batch.size", kafkaInt, func(n int64) { s.BatchBytes = int(n) }},
		{"buffer.memory", kafkaLong, func(n int64) { s.BufferBytes = int(n) }},
		{"max.request.size", kafkaInt, func(n int64) { s.MaxRequestBytes = int(n) }},
	})
	if err != nil {
		return s, err
	}
	if v, ok := get("compression.type"); ok {
		codec, known := codecs[v]
		if !known {
			return s, fmt.Errorf("Invalid value %s for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd", v)
		}
		s.Codec = codec
	}
	s.BatchBytes = min(s.BatchBytes, max(s.MaxRequestBytes-BatchOverhead, 0))
	return s, nil
}

// clientSetting reads a Kafka client key for a connector: its <kind>override.<key> wins over
// the worker's <kind><key> (kind is Producer or Consumer).
func clientSetting(kind string, worker, connector map[string]string) func(key string) (string, bool) {
	return func(key string) (string, bool) {
		if v, ok := connector[kind+"override."+key]; ok {
			return v, true
		}
		v, ok := worker[kind+key]
		return v, ok
	}
}

// The Kafka config types of the numeric client keys.
const (
	kafkaInt  = connect.TypeInt
	kafkaLong = connect.TypeLong
)

// millis is n milliseconds, at most the longest duration.
func millis(n int64) time.Duration {
	return time.Duration(min(n, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond
}

// numberSetting is a non-negative numeric client key and what it sets.
type numberSetting struct {
	key  string
	kind connect.ConfigType
	set  func(n int64)
}

// setNumbers applies the settings that are given, with Kafka's messages for values it refuses.
func setNumbers(get func(string) (string, bool), settings []numberSetting) error {
	for _, s := range settings {
		v, ok := get(s.key)
		if !ok {
			continue
		}
		parsed, reason := connect.ParseValue(s.kind, v)
		if reason == "" {
			reason = connect.AtLeast(0)(parsed)
		}
		if reason != "" {
			return fmt.Errorf("Invalid value %s for configuration %s: %s", v, s.key, reason)
		}
		n, isLong := parsed.(int64)
		if !isLong {
			n = int64(parsed.(int))
		}
		s.set(n)
	}
	return nil
}
