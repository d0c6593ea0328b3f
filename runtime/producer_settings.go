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
	get := func(key string) (string, bool) {
		if v, ok := connector["producer.override."+key]; ok {
			return v, true
		}
		v, ok := worker["producer."+key]
		return v, ok
	}
	numbers := []struct {
		key, kind string
		max       int64
		set       func(n int64)
	}{
		{"linger.ms", "LONG", math.MaxInt64 / int64(time.Millisecond), func(n int64) { s.linger = time.Duration(n) * time.Millisecond }},
		{"batch.size", "INT", math.MaxInt32, func(n int64) { s.batchBytes = int(n) }},
		{"buffer.memory", "LONG", math.MaxInt64, func(n int64) { s.bufferBytes = int(n) }},
		{"max.request.size", "INT", math.MaxInt32, func(n int64) { s.maxRequestBytes = int(n) }},
	}
	for _, num := range numbers {
		v, ok := get(num.key)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil || n > num.max:
			return s, fmt.Errorf("Invalid value %s for configuration %s: Not a number of type %s", v, num.key, num.kind)
		case n < 0:
			return s, fmt.Errorf("Invalid value %s for configuration %s: Value must be at least 0", v, num.key)
		}
		num.set(n)
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
