package worker

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/connectd/connectd/connect"
)

// PanicError is a panic in plugin code, turned into the failure of the call that panicked so
// that a bad plugin or a bad record fails its task instead of the node.
type PanicError struct {
	// Call names the plugin call, e.g. "SinkTask.Put".
	Call  string
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("%s panicked: %v\n%s", e.Call, e.Value, e.Stack)
}

// Unwrap returns the panic value when it is an error, so that errors.Is and errors.As see it.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// guard runs f and turns a panic in it into a *PanicError.
func guard(call string, f func() error) (err error) {
	defer recoverAs(call, &err)
	return f()
}

// recoverAs, deferred by a call into plugin code, turns a panic in it into a *PanicError in
// *err. Deferred directly rather than inside a closure: the converters run it twice per record.
func recoverAs(call string, err *error) {
	if v := recover(); v != nil {
		*err = &PanicError{Call: call, Value: v, Stack: debug.Stack()}
	}
}

// guardedConnector runs every call into a connector plugin under guard.
type guardedConnector struct{ c connect.Connector }

func (g guardedConnector) Version() (v string) {
	_ = guard("Connector.Version", func() error { v = g.c.Version(); return nil })
	return v
}

func (g guardedConnector) Start(ctx connect.ConnectorContext, config map[string]string) error {
	return guard("Connector.Start", func() error { return g.c.Start(ctx, config) })
}

func (g guardedConnector) TaskConfigs(maxTasks int) (out []map[string]string, err error) {
	err = guard("Connector.TaskConfigs", func() error {
		out, err = g.c.TaskConfigs(maxTasks)
		return err
	})
	return out, err
}

func (g guardedConnector) Stop() error { return guard("Connector.Stop", g.c.Stop) }

func (g guardedConnector) Config() (def *connect.ConfigDef) {
	_ = guard("Connector.Config", func() error { def = g.c.Config(); return nil })
	return def
}

// guardedSourceTask runs every call into a source task under guard.
type guardedSourceTask struct{ t connect.SourceTask }

func (g guardedSourceTask) Start(ctx connect.SourceTaskContext, config map[string]string) error {
	return guard("SourceTask.Start", func() error { return g.t.Start(ctx, config) })
}

func (g guardedSourceTask) Poll(ctx context.Context) (out []*connect.SourceRecord, err error) {
	err = guard("SourceTask.Poll", func() error {
		out, err = g.t.Poll(ctx)
		return err
	})
	return out, err
}

func (g guardedSourceTask) Commit() error { return guard("SourceTask.Commit", g.t.Commit) }
func (g guardedSourceTask) Stop() error   { return guard("SourceTask.Stop", g.t.Stop) }

// OffsetsCommitted passes committed offsets on to a task that wants them, and does nothing for
// one that does not.
func (g guardedSourceTask) OffsetsCommitted(offsets []connect.Offset) error {
	c, ok := g.t.(connect.SourceOffsetsCommitter)
	if !ok {
		return nil
	}
	return guard("SourceTask.OffsetsCommitted", func() error { return c.OffsetsCommitted(offsets) })
}

// guardedSinkTask runs every call into a sink task under guard. It implements the optional
// hooks too, doing what the runtime does without them when the task lacks them: PreCommit
// flushes and commits everything delivered, as Kafka's SinkTask.preCommit does.
type guardedSinkTask struct{ t connect.SinkTask }

func (g guardedSinkTask) Start(ctx connect.SinkTaskContext, config map[string]string) error {
	return guard("SinkTask.Start", func() error { return g.t.Start(ctx, config) })
}

func (g guardedSinkTask) Put(records []*connect.SinkRecord) error {
	return guard("SinkTask.Put", func() error { return g.t.Put(records) })
}

func (g guardedSinkTask) Flush(offsets map[connect.TopicPartition]int64) error {
	return guard("SinkTask.Flush", func() error { return g.t.Flush(offsets) })
}

func (g guardedSinkTask) Stop() error { return guard("SinkTask.Stop", g.t.Stop) }

func (g guardedSinkTask) Open(partitions []connect.TopicPartition) error {
	pa, ok := g.t.(connect.PartitionAware)
	if !ok {
		return nil
	}
	return guard("SinkTask.Open", func() error { return pa.Open(partitions) })
}

func (g guardedSinkTask) Close(partitions []connect.TopicPartition) error {
	pa, ok := g.t.(connect.PartitionAware)
	if !ok {
		return nil
	}
	return guard("SinkTask.Close", func() error { return pa.Close(partitions) })
}

func (g guardedSinkTask) PreCommit(offsets map[connect.TopicPartition]int64) (out map[connect.TopicPartition]int64, err error) {
	pc, ok := g.t.(connect.PreCommitter)
	if !ok {
		return offsets, g.Flush(offsets)
	}
	err = guard("SinkTask.PreCommit", func() error {
		out, err = pc.PreCommit(offsets)
		return err
	})
	return out, err
}

// guardedConverter runs a converter under guard.
type guardedConverter struct{ c connect.Converter }

func (g guardedConverter) Configure(config map[string]string, isKey bool) error {
	return guard("Converter.Configure", func() error { return g.c.Configure(config, isKey) })
}

func (g guardedConverter) FromConnectData(topic string, schema *connect.Schema, value any) (out []byte, err error) {
	defer recoverAs("Converter.fromConnectData", &err)
	return g.c.FromConnectData(topic, schema, value)
}

func (g guardedConverter) ToConnectData(topic string, data []byte) (s *connect.Schema, v any, err error) {
	defer recoverAs("Converter.toConnectData", &err)
	return g.c.ToConnectData(topic, data)
}
