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
	// SourceOffset is where the source continues after this record.
	SourceOffset Offset
	Topic        string
	// Partition is the Kafka partition, or nil to let the producer choose.
	Partition   *int32
	KeySchema   *Schema
	Key         any
	ValueSchema *Schema
	Value       any
	Timestamp   *time.Time
	Headers     []Header
}

// Offset is a source record's offset. The worker asks for its map only for the offsets it
// commits, the newest acknowledged one of each partition per flush, so a task may hand out a
// compact value per record instead of a map: a map per record was the largest part of a file
// source's CPU and garbage.
type Offset interface {
	Map() map[string]any
}

// OffsetMap is an offset given as its map, as Kafka Connect's SourceRecord carries it.
type OffsetMap map[string]any

// Map returns m.
func (m OffsetMap) Map() map[string]any { return m }

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
