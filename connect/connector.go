// Package connect is the plugin API a connector author imports: connectors, tasks, records,
// converters, a minimal schema data model and Kafka Connect's ConfigDef. It imports nothing of
// connectd's.
package connect

import "context"

// Connector is a connector instance: it reads its config and splits the work into task configs.
type Connector interface {
	// Version is the plugin version reported by the REST API.
	Version() string
	// Start starts the connector with its config.
	Start(ctx ConnectorContext, config map[string]string) error
	// TaskConfigs returns at most maxTasks task configs.
	TaskConfigs(maxTasks int) ([]map[string]string, error)
	// Stop stops the connector.
	Stop() error
	// Config describes the connector's own keys.
	Config() *ConfigDef
}

// Validator is implemented by connectors that check their config beyond their ConfigDef; the
// returned values replace or add to the ConfigDef's results by name.
type Validator interface {
	Validate(config map[string]string) []ConfigValue
}

// OffsetAlterer is the optional hook Kafka Connect calls before it alters or resets a stopped
// connector's offsets (PATCH and DELETE /connectors/{n}/offsets). It returns true when Connect's
// offsets are all there is, false when the connector also keeps offsets elsewhere that the user
// must change too, as a connector without the hook is assumed to. An error vetoes the change; one
// that wraps errors.ErrUnsupported says the connector does not allow external changes at all.
type OffsetAlterer interface {
	AlterOffsets(config map[string]string, offsets []PartitionOffset) (bool, error)
}

// PartitionOffset is one partition and its offset; a nil Offset resets the partition. Source
// values are JSON primitives, with integers as int64. A sink partition is
// {"kafka_topic": string, "kafka_partition": int32} with offset {"kafka_offset": int64}.
type PartitionOffset struct {
	Partition map[string]any
	Offset    map[string]any
}

// ConnectorContext lets a connector talk to the runtime.
type ConnectorContext interface {
	// RequestTaskReconfiguration asks the runtime to call TaskConfigs again.
	RequestTaskReconfiguration()
	// RaiseError fails the connector.
	RaiseError(err error)
}

// SourceTask reads records from an external system.
type SourceTask interface {
	Start(ctx SourceTaskContext, config map[string]string) error
	// Poll returns the next records; it may return none, and must return when ctx ends. The
	// worker is done with the returned slice and records when it calls Poll again, so a task may
	// reuse them then; what the records' fields refer to (offsets, keys, values) it may keep longer.
	Poll(ctx context.Context) ([]*SourceRecord, error)
	// Commit is called after the offsets of acknowledged records were committed; as in Kafka
	// Connect it runs on another goroutine than Poll.
	Commit() error
	Stop() error
}

// SourceOffsetsCommitter is implemented by source tasks that must learn which offsets are safe:
// after each commit of the task's source offsets, OffsetsCommitted gets the newest committed
// Offset of each source partition, the values the task handed out with its records. Calls come
// one at a time, in commit order, after Kafka acknowledged those records and every earlier one
// of their partitions.
type SourceOffsetsCommitter interface {
	OffsetsCommitted(offsets []Offset) error
}

// SourceTaskContext gives a source task its stored offsets and identity.
type SourceTaskContext interface {
	// Offset returns the committed offset of a source partition, or nil.
	Offset(partition map[string]any) (map[string]any, error)
	// WorkerID is the worker running the task (host:port).
	WorkerID() string
	// TaskID is the task's index within its connector.
	TaskID() int
	// ConnectorName names the task's connector.
	ConnectorName() string
}

// SinkTask writes records to an external system.
type SinkTask interface {
	Start(ctx SinkTaskContext, config map[string]string) error
	// Put delivers records; an error fails the task, except a RetriableError, after which the
	// same records are delivered again after a backoff.
	Put(records []*SinkRecord) error
	// Flush makes everything delivered so far durable; the runtime commits offsets after it.
	Flush(offsets map[TopicPartition]int64) error
	Stop() error
}

// PartitionAware is implemented by sink tasks that keep per-partition resources: Open is called
// with the partitions assigned to the task before records of them are delivered, Close with the
// partitions taken away, after their records were flushed (Kafka Connect's open/close).
type PartitionAware interface {
	Open(partitions []TopicPartition) error
	Close(partitions []TopicPartition) error
}

// PreCommitter is implemented by sink tasks that choose which offsets the runtime commits:
// PreCommit gets the offsets delivered so far and returns those safe to commit (Kafka Connect's
// preCommit). Without it the runtime flushes and commits everything delivered.
type PreCommitter interface {
	PreCommit(offsets map[TopicPartition]int64) (map[TopicPartition]int64, error)
}

// SinkTaskContext gives a sink task its identity and its errant record reporter.
type SinkTaskContext interface {
	WorkerID() string
	TaskID() int
	ConnectorName() string
	// ErrantRecordReporter reports records the task cannot process (KIP-610).
	ErrantRecordReporter() ErrantRecordReporter
}

// TopicPartition names a Kafka partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}
