package kafka

import (
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

func TestProducerSettingsFromWorkerAndConnector(t *testing.T) {
	s, err := ProducerSettingsFrom(map[string]string{"producer.linger.ms": "20", "producer.compression.type": "gzip", "producer.batch.size": "2000000"},
		map[string]string{"producer.override.compression.type": "zstd", "producer.override.buffer.memory": "1048576"})
	if err != nil {
		t.Fatal(err)
	}
	want := ProducerSettings{Linger: 20 * time.Millisecond, Codec: sarama.CompressionZSTD, BufferBytes: 1 << 20,
		MaxRequestBytes: 1 << 20, BatchBytes: 1<<20 - BatchOverhead}
	if s != want {
		t.Fatalf("got %+v, want %+v (the override wins; a batch fits a request)", s, want)
	}
	for _, tc := range []struct {
		connector map[string]string
		want      string
	}{
		{map[string]string{"producer.override.linger.ms": "soon"}, "Invalid value soon for configuration linger.ms: Not a number of type LONG"},
		{map[string]string{"producer.override.batch.size": "-1"}, "Invalid value -1 for configuration batch.size: Value must be at least 0"},
		{map[string]string{"producer.override.max.request.size": "3000000000"}, "Not a number of type INT"},
		{map[string]string{"producer.override.compression.type": "LZ4"}, "String must be one of: none, gzip, snappy, lz4, zstd"},
	} {
		if _, err := ProducerSettingsFrom(nil, tc.connector); err == nil || err.Error() != tc.want && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.connector, err, tc.want)
		}
	}
}
