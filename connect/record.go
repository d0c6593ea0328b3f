package connect

import "time"

// Header is a record header.
type Header struct {
	Key    string
	Schema *Schema
	Value  any
}

// SourceRecord is a record a source task produced, with where it came from.
type SourceRecord struct {
	SourcePartition map[string]any
	SourceOffset    map[string]any
	Topic           string
	// Partition is the Kafka partition, or nil to let the producer choose.
	Partition   *int32
	KeySchema   *Schema
	Key         any
	ValueSchema *Schema
	Value       any
	Timestamp   *time.Time
	Headers     []Header
}

// SinkRecord is a record consumed from Kafka for a sink task.
type SinkRecord struct {
	Topic       string
	Partition   int32
	Offset      int64
	KeySchema   *Schema
	Key         any
	ValueSchema *Schema
	Value       any
	Timestamp   time.Time
	Headers     []Header
}

// Converter turns connector data into bytes for Kafka and back.
type Converter interface {
	Configure(config map[string]string, isKey bool) error
	// FromConnectData's result is only read, never modified, so it may share the value's memory.
	FromConnectData(topic string, schema *Schema, value any) ([]byte, error)
	ToConnectData(topic string, data []byte) (*Schema, any, error)
}
