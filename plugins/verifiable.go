package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/connectd/connectd/connect"
)

// VerifiableSource emits per-task sequence numbers, so that an audit of the topic can count gaps
// (lost records) and duplicates. It resumes after the last committed sequence number.
type VerifiableSource struct {
	config map[string]string
}

// Version implements connect.Connector.
func (c *VerifiableSource) Version() string { return KafkaVersion }

// Start implements connect.Connector.
func (c *VerifiableSource) Start(_ connect.ConnectorContext, config map[string]string) error {
	c.config = config
	return nil
}

// TaskConfigs implements connect.Connector: tasks.max tasks, each told its id.
func (c *VerifiableSource) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks)
	for i := range out {
		out[i] = maps.Clone(c.config)
		out[i]["id"] = strconv.Itoa(i)
	}
	return out, nil
}

// Stop implements connect.Connector.
func (c *VerifiableSource) Stop() error { return nil }

// Config implements connect.Connector.
func (c *VerifiableSource) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "topic", Type: connect.TypeString, Required: true, Validator: connect.NonEmptyString, Importance: connect.High, Documentation: "The topic to write sequence numbers to"}).
		Define(connect.ConfigKey{Name: "throughput", Type: connect.TypeLong, Default: "-1", Importance: connect.High, Documentation: "Records per second per task; -1 for as fast as possible"})
}

// VerifiableRecord is one record of the verifiable source, as JSON.
type VerifiableRecord struct {
	Task   int    `json:"task"`
	Seqno  int64  `json:"seqno"`
	Node   string `json:"node"`
	TimeMs int64  `json:"time_ms"`
	ID     string `json:"id"`
	// Kafka coordinates, added by the verifiable sink.
	Topic     string `json:"topic,omitempty"`
	Partition *int32 `json:"partition,omitempty"`
	Offset    *int64 `json:"offset,omitempty"`
	SinkTask  *int   `json:"sink_task,omitempty"`
}

type verifiableSourceTask struct {
	ctx        connect.SourceTaskContext
	topic      string
	task       int
	throughput int64
	next       int64
	started    time.Time
	sent       int64
}

func (t *verifiableSourceTask) Start(ctx connect.SourceTaskContext, config map[string]string) error {
	t.ctx, t.topic, t.task = ctx, config["topic"], ctx.TaskID()
	t.throughput = -1
	if v := config["throughput"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("Invalid value %s for configuration throughput: Not a number of type LONG", v)
		}
		t.throughput = n
	}
	offset, err := ctx.Offset(t.partition())
	if err != nil {
		return err
	}
	if offset != nil {
		last, ok := asInt64(offset["seqno"])
		if !ok {
			return errors.New("Offset seqno is the incorrect type")
		}
		t.next = last + 1
	}
	t.started = time.Now()
	return nil
}

func (t *verifiableSourceTask) partition() map[string]any {
	return map[string]any{"id": t.ctx.ConnectorName(), "task": t.task}
}

// Poll emits the records due by now at the configured throughput (a batch when unthrottled).
func (t *verifiableSourceTask) Poll(ctx context.Context) ([]*connect.SourceRecord, error) {
	n := int64(100)
	if t.throughput > 0 {
		due := int64(time.Since(t.started).Seconds()*float64(t.throughput)) - t.sent
		if due <= 0 {
			sleep(ctx, time.Second/time.Duration(t.throughput)+time.Millisecond)
			return nil, nil
		}
		n = min(due, 1000)
	}
	out := make([]*connect.SourceRecord, 0, n)
	for i := int64(0); i < n; i++ {
		now := time.Now()
		v, _ := json.Marshal(VerifiableRecord{Task: t.task, Seqno: t.next, Node: t.ctx.WorkerID(), TimeMs: now.UnixMilli(), ID: t.ctx.ConnectorName()})
		out = append(out, &connect.SourceRecord{
			SourcePartition: t.partition(), SourceOffset: connect.OffsetMap{"seqno": t.next},
			Topic: t.topic, KeySchema: connect.Int32Schema, Key: int32(t.task),
			ValueSchema: connect.StringSchema, Value: string(v), Timestamp: &now,
		})
		t.next++
	}
	t.sent += n
	return out, nil
}

func (t *verifiableSourceTask) Commit() error { return nil }
func (t *verifiableSourceTask) Stop() error   { return nil }

// VerifiableSink appends every record it receives to a file, one JSON line each, so that an
// audit can count gaps and duplicates.
type VerifiableSink struct {
	config map[string]string
}

// Version implements connect.Connector.
func (c *VerifiableSink) Version() string { return KafkaVersion }

// Start implements connect.Connector.
func (c *VerifiableSink) Start(_ connect.ConnectorContext, config map[string]string) error {
	c.config = config
	return nil
}

// TaskConfigs implements connect.Connector.
func (c *VerifiableSink) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks)
	for i := range out {
		out[i] = maps.Clone(c.config)
	}
	return out, nil
}

// Stop implements connect.Connector.
func (c *VerifiableSink) Stop() error { return nil }

// Config implements connect.Connector.
func (c *VerifiableSink) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "file", Type: connect.TypeString, Required: true, Validator: connect.NonEmptyString, Importance: connect.High, Documentation: "File every received record is appended to, one JSON line each"})
}

type verifiableSinkTask struct {
	task int
	out  *lineAppender
}

func (t *verifiableSinkTask) Start(ctx connect.SinkTaskContext, config map[string]string) error {
	out, err := openLineAppender(config["file"])
	if err != nil {
		return fmt.Errorf("Couldn't find or create file '%s' for VerifiableSinkTask: %w", config["file"], err)
	}
	t.task, t.out = ctx.TaskID(), out
	return nil
}

func (t *verifiableSinkTask) Put(records []*connect.SinkRecord) error {
	for _, r := range records {
		var rec VerifiableRecord
		if s, ok := r.Value.(string); ok {
			_ = json.Unmarshal([]byte(s), &rec)
		}
		partition, offset, task := r.Partition, r.Offset, t.task
		rec.Topic, rec.Partition, rec.Offset, rec.SinkTask = r.Topic, &partition, &offset, &task
		line, _ := json.Marshal(rec)
		if err := t.out.add(line); err != nil {
			return err
		}
	}
	return nil
}

// Flush writes and fsyncs what was delivered, so that offsets are committed only for records
// that are on disk.
func (t *verifiableSinkTask) Flush(map[connect.TopicPartition]int64) error { return t.out.flush(true) }

func (t *verifiableSinkTask) Stop() error {
	return errors.Join(t.out.flush(true), t.out.close())
}
