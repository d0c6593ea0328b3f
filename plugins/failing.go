package plugins

import (
	"context"
	"errors"
	"maps"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/connectd/connectd/connect"
)

// FailingConnector injects failures and hangs so that FAILED states, traces and stuck plugins
// can be exercised: the connector or its tasks fail at start or after a delay, or block in a
// chosen method. It is registered as a source and as a sink.
type FailingConnector struct {
	config map[string]string
}

const defaultFailMessage = "Injected failure"

// Version implements connect.Connector.
func (c *FailingConnector) Version() string { return KafkaVersion }

// Config implements connect.Connector.
func (c *FailingConnector) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "connector.fail.on.start", Type: connect.TypeBoolean, Default: "false", Documentation: "Fail the connector when it starts"}).
		Define(connect.ConfigKey{Name: "task.fail.on.start", Type: connect.TypeBoolean, Default: "false", Documentation: "Fail every task when it starts"}).
		Define(connect.ConfigKey{Name: "task.fail.on.open", Type: connect.TypeBoolean, Default: "false", Documentation: "Fail a sink task when partitions are opened for it"}).
		Define(connect.ConfigKey{Name: "fail.after.ms", Type: connect.TypeLong, Default: "0", Validator: connect.AtLeast(0), Documentation: "Fail every task this long after it starts; 0 never"}).
		Define(connect.ConfigKey{Name: "fail.message", Type: connect.TypeString, Default: defaultFailMessage, Documentation: "Message of the injected failure"}).
		Define(connect.ConfigKey{Name: "block.in", Type: connect.TypeString, Default: "none", Validator: connect.OneOf("none", "connector.start", "start", "poll", "put", "stop"), Documentation: "Method to block in (connector.start, or a task's start, poll, put or stop)"}).
		Define(connect.ConfigKey{Name: "block.ms", Type: connect.TypeLong, Default: "600000", Validator: connect.AtLeast(0), Documentation: "How long a blocked method blocks"}).
		Define(connect.ConfigKey{Name: "panic.in", Type: connect.TypeString, Default: "none", Validator: connect.OneOf("none", "connector.start", "taskconfigs", "start", "poll", "put", "flush"), Documentation: "Method to panic in"}).
		Define(connect.ConfigKey{Name: "file", Type: connect.TypeString, Default: "", Documentation: "A sink task appends each record's value to this file when it flushes"}).
		Define(connect.ConfigKey{Name: "flush.fail.times", Type: connect.TypeInt, Default: "0", Validator: connect.AtLeast(0), Documentation: "A sink task's first flushes fail, dropping what they hold"}).
		Define(connect.ConfigKey{Name: "put.retriable.times", Type: connect.TypeInt, Default: "0", Validator: connect.AtLeast(0), Documentation: "A sink task's first puts fail with a retriable error"}).
		Define(connect.ConfigKey{Name: "starts.file", Type: connect.TypeString, Default: "", Documentation: "Every task appends a line to this file each time it starts, to count its starts across nodes"}).
		Define(connect.ConfigKey{Name: "connector.starts.file", Type: connect.TypeString, Default: "", Documentation: "The connector appends a line to this file each time it starts, to count its starts across nodes"}).
		Define(connect.ConfigKey{Name: "errant.value", Type: connect.TypeString, Default: "", Documentation: "A sink task reports records with this value to its errant record reporter"})
}

func (c *FailingConnector) failure() error {
	msg := c.config["fail.message"]
	if msg == "" {
		msg = defaultFailMessage
	}
	return errors.New(msg)
}

// Start implements connect.Connector.
func (c *FailingConnector) Start(_ connect.ConnectorContext, config map[string]string) error {
	c.config = config
	if path := config["connector.starts.file"]; path != "" {
		if err := appendLine(path, "started"); err != nil {
			return err
		}
	}
	block(config, "connector.start")
	panicIn(config, "connector.start")
	if config["connector.fail.on.start"] == "true" {
		return c.failure()
	}
	return nil
}

// TaskConfigs implements connect.Connector.
func (c *FailingConnector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	panicIn(c.config, "taskconfigs")
	out := make([]map[string]string, maxTasks)
	for i := range out {
		out[i] = maps.Clone(c.config)
	}
	return out, nil
}

// Stop implements connect.Connector.
func (c *FailingConnector) Stop() error { return nil }

// block blocks, ignoring cancellation on purpose, when the config asks for it in method.
func block(config map[string]string, method string) {
	if config["block.in"] != method {
		return
	}
	ms, _ := strconv.ParseInt(config["block.ms"], 10, 64)
	if config["block.ms"] == "" {
		ms = 600000
	}
	time.Sleep(time.Duration(ms) * time.Millisecond)
}

// failingTask holds the behaviour common to the failing source and sink tasks.
// The runtime may call Stop from another goroutine while Start is still blocked, so the
// settings are guarded.
type failingTask struct {
	mu      sync.Mutex
	config  map[string]string
	failAt  time.Time
	message string
}

func (t *failingTask) start(config map[string]string) error {
	message := config["fail.message"]
	if message == "" {
		message = defaultFailMessage
	}
	t.mu.Lock()
	t.config, t.message = config, message
	t.mu.Unlock()
	if path := config["starts.file"]; path != "" {
		if err := appendLine(path, "started"); err != nil {
			return err
		}
	}
	block(config, "start")
	panicIn(config, "start")
	if config["task.fail.on.start"] == "true" {
		return errors.New(message)
	}
	if ms, _ := strconv.ParseInt(config["fail.after.ms"], 10, 64); ms > 0 {
		t.mu.Lock()
		t.failAt = time.Now().Add(time.Duration(ms) * time.Millisecond)
		t.mu.Unlock()
	}
	return nil
}

func (t *failingTask) settings() map[string]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.config
}

func (t *failingTask) due() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.failAt.IsZero() && time.Now().After(t.failAt) {
		return errors.New(t.message)
	}
	return nil
}

// idle is how long a poll that produces nothing waits: until the injected failure is due, and at
// most a second, so that thousands of idle tasks cost little.
func (t *failingTask) idle() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.failAt.IsZero() {
		return min(time.Until(t.failAt)+time.Millisecond, time.Second)
	}
	return time.Second
}

func (t *failingTask) Stop() error {
	block(t.settings(), "stop")
	return nil
}

type failingSourceTask struct{ failingTask }

func (t *failingSourceTask) Start(_ connect.SourceTaskContext, config map[string]string) error {
	return t.start(config)
}

func (t *failingSourceTask) Poll(ctx context.Context) ([]*connect.SourceRecord, error) {
	block(t.settings(), "poll")
	panicIn(t.settings(), "poll")
	if err := t.due(); err != nil {
		return nil, err
	}
	sleep(ctx, t.idle())
	return nil, nil
}

func (t *failingSourceTask) Commit() error { return nil }

type failingSinkTask struct {
	failingTask
	output failingOutput
}

func (t *failingSinkTask) Start(ctx connect.SinkTaskContext, config map[string]string) error {
	if err := t.start(config); err != nil {
		return err
	}
	return t.output.start(ctx, config)
}

func (t *failingSinkTask) Put(records []*connect.SinkRecord) error {
	block(t.settings(), "put")
	panicIn(t.settings(), "put")
	if err := t.due(); err != nil {
		return err
	}
	return t.output.put(records)
}

func (t *failingSinkTask) Flush(map[connect.TopicPartition]int64) error {
	panicIn(t.settings(), "flush")
	return t.output.flush()
}

// Open implements connect.PartitionAware.
func (t *failingSinkTask) Open([]connect.TopicPartition) error {
	if t.settings()["task.fail.on.open"] == "true" {
		t.mu.Lock()
		defer t.mu.Unlock()
		return errors.New(t.message)
	}
	return nil
}

// Close implements connect.PartitionAware.
func (t *failingSinkTask) Close([]connect.TopicPartition) error { return nil }

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
