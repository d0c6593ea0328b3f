package external

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	cconfig "github.com/conduitio/conduit-commons/config"
	"github.com/conduitio/conduit-commons/opencdc"
	"github.com/conduitio/conduit-connector-protocol/pconnector"

	"github.com/connectd/connectd/connect"
)

// callTimeout bounds each control call (configure, open, stop, teardown) to a plugin.
const callTimeout = 30 * time.Second

// sourcePlugin is a dispensed source with the stream constructor both protocol versions have.
type sourcePlugin interface {
	pconnector.SourcePlugin
	NewStream() pconnector.SourceRunStream
}

// sourceTask runs one plugin source in its own process. Records come from the plugin's Run
// stream; their positions are acknowledged back to it, in order, only once connectd has
// committed them as the task's source offset, so the plugin never forgets what is not safe.
type sourceTask struct {
	p   *Plugin
	ctx connect.SourceTaskContext

	proc      *process
	src       sourcePlugin
	stream    pconnector.SourceRunStreamClient
	cancelRun context.CancelFunc
	topic     string
	partition map[string]any

	batches chan []opencdc.Record
	recvErr chan error

	ackMu   sync.Mutex
	seq     uint64
	pending []*sourcePosition // sent to Kafka, not yet acknowledged to the plugin, in order
}

// sourcePosition is a record's source offset: its position and its place in the task's order.
type sourcePosition struct {
	seq uint64
	pos opencdc.Position
}

// Map implements connect.Offset.
func (p *sourcePosition) Map() map[string]any { return positionOffset(p.pos) }

func (t *sourceTask) Start(ctx connect.SourceTaskContext, config map[string]string) error {
	t.ctx = ctx
	t.topic = config["topic"]
	t.partition = map[string]any{"source": t.p.Spec.Name}
	committed, err := ctx.Offset(t.partition)
	if err != nil {
		return err
	}
	pos, err := positionFromOffset(committed)
	if err != nil {
		return err
	}
	if t.proc, err = t.p.host.launch(t.p.Path, connectorID(ctx.ConnectorName(), ctx.TaskID()), t.p.logger(ctx.ConnectorName(), ctx.TaskID())); err != nil {
		return err
	}
	raw, err := t.proc.dispense("source")
	if err != nil {
		return err
	}
	src, ok := raw.(sourcePlugin)
	if !ok {
		return fmt.Errorf("plugin %s dispensed %T, not a source", t.p.Spec.Name, raw)
	}
	t.src = src
	call, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if _, err := src.Configure(call, pconnector.SourceConfigureRequest{Config: withSourceDefaults(withBatchDefaults(pluginConfig(config), t.p.Spec.SourceParams), t.p.Spec.SourceParams)}); err != nil {
		return t.proc.failure(fmt.Errorf("configure: %w", err))
	}
	if _, err := src.Open(call, pconnector.SourceOpenRequest{Position: pos}); err != nil {
		return t.proc.failure(fmt.Errorf("open: %w", err))
	}
	runCtx, cancelRun := context.WithCancel(context.Background())
	stream := src.NewStream()
	if err := src.Run(runCtx, stream); err != nil {
		cancelRun()
		return t.proc.failure(fmt.Errorf("run: %w", err))
	}
	t.stream, t.cancelRun = stream.Client(), cancelRun
	t.batches, t.recvErr = make(chan []opencdc.Record, 4), make(chan error, 1)
	go t.receive(runCtx)
	return nil
}

// receive moves batches from the plugin's stream to Poll until the stream ends.
func (t *sourceTask) receive(ctx context.Context) {
	for {
		resp, err := t.stream.Recv()
		if err != nil {
			t.recvErr <- err
			return
		}
		select {
		case t.batches <- resp.Records:
		case <-ctx.Done():
			return
		}
	}
}

func (t *sourceTask) Poll(ctx context.Context) ([]*connect.SourceRecord, error) {
	var batch []opencdc.Record
	select {
	case <-ctx.Done():
		return nil, nil
	case batch = <-t.batches:
	case err := <-t.recvErr:
		if ctx.Err() != nil {
			return nil, nil
		}
		// The process may be gone: wait for it so its last stderr lines are read.
		t.proc.kill()
		return nil, t.proc.failure(fmt.Errorf("plugin %s source stream ended: %w", t.p.Spec.Name, err))
	}
	out := make([]*connect.SourceRecord, 0, len(batch))
	offsets := make([]sourcePosition, len(batch))
	t.ackMu.Lock()
	for i := range batch {
		t.seq++
		offsets[i] = sourcePosition{seq: t.seq, pos: batch[i].Position}
		t.pending = append(t.pending, &offsets[i])
	}
	t.ackMu.Unlock()
	for i := range batch {
		rec, err := t.record(&batch[i], &offsets[i])
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// record maps one OpenCDC record; data the SDK encoded with a registered schema is decoded
// first, so that the converter sees structured data.
func (t *sourceTask) record(rec *opencdc.Record, offset *sourcePosition) (*connect.SourceRecord, error) {
	if err := t.decode(rec, &rec.Key, opencdc.MetadataKeySchemaSubject, opencdc.MetadataKeySchemaVersion); err != nil {
		return nil, err
	}
	if err := t.decode(rec, &rec.Payload.After, opencdc.MetadataPayloadSchemaSubject, opencdc.MetadataPayloadSchemaVersion); err != nil {
		return nil, err
	}
	out := &connect.SourceRecord{SourcePartition: t.partition, SourceOffset: offset,
		Topic: topicFor(t.topic, t.ctx.ConnectorName(), rec), Key: toConnectData(rec.Key), Headers: headersOf(rec), Timestamp: createdAt(rec)}
	if rec.Operation != opencdc.OperationDelete {
		out.Value = toConnectData(rec.Payload.After)
	}
	return out, nil
}

func (t *sourceTask) decode(rec *opencdc.Record, data *opencdc.Data, subjectKey, versionKey string) error {
	subject, ok := rec.Metadata[subjectKey]
	raw, isRaw := (*data).(opencdc.RawData)
	if !ok || !isRaw || raw == nil {
		return nil
	}
	var version int
	if _, err := fmt.Sscan(rec.Metadata[versionKey], &version); err != nil {
		return fmt.Errorf("record metadata %s: %w", versionKey, err)
	}
	sch, err := t.p.host.schemas.get(subject, version)
	if err != nil {
		return err
	}
	var decoded opencdc.StructuredData
	if err := sch.Unmarshal(raw, &decoded); err != nil {
		return err
	}
	*data = decoded
	// The data is plain now: a consumer must not decode it again.
	delete(rec.Metadata, subjectKey)
	delete(rec.Metadata, versionKey)
	return nil
}

// OffsetsCommitted implements connect.SourceOffsetsCommitter: every position up to the
// committed one is acknowledged to the plugin, oldest first.
func (t *sourceTask) OffsetsCommitted(offsets []connect.Offset) error {
	var upTo uint64
	for _, o := range offsets {
		if p, ok := o.(*sourcePosition); ok && p.seq > upTo {
			upTo = p.seq
		}
	}
	t.ackMu.Lock()
	defer t.ackMu.Unlock()
	n := 0
	for n < len(t.pending) && t.pending[n].seq <= upTo {
		n++
	}
	if n == 0 {
		return nil
	}
	acks := make([]opencdc.Position, n)
	for i, p := range t.pending[:n] {
		acks[i] = p.pos
	}
	t.pending = append(t.pending[:0:0], t.pending[n:]...)
	return t.stream.Send(pconnector.SourceRunRequest{AckPositions: acks})
}

func (t *sourceTask) Commit() error { return nil }

// Stop asks the plugin to stop reading, closes the stream, tears the plugin down and ends its
// process; each step is bounded, and the process is killed whatever happened before.
func (t *sourceTask) Stop() error {
	if t.proc == nil {
		return nil
	}
	defer t.proc.kill()
	if t.src == nil || t.stream == nil || t.proc.exited() {
		return nil
	}
	call, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_, stopErr := t.src.Stop(call, pconnector.SourceStopRequest{})
	t.cancelRun()
	_, err := t.src.Teardown(call, pconnector.SourceTeardownRequest{})
	return errors.Join(stopErr, err)
}

// withBatchDefaults sets the SDK's batching, when the plugin has it and the user did not set
// it, so that records cross the process boundary in batches rather than one by one. Both or
// neither: a batch size without a delay waits for a full batch, however long that takes; and
// neither when the plugin's own rules refuse the values (SDK v0.13 refuses any delay but 0).
func withBatchDefaults(c cconfig.Config, params cconfig.Parameters) cconfig.Config {
	size, hasSize := params["sdk.batch.size"]
	delay, hasDelay := params["sdk.batch.delay"]
	_, setSize := c["sdk.batch.size"]
	_, setDelay := c["sdk.batch.delay"]
	if hasSize && hasDelay && !setSize && !setDelay &&
		paramValidator(size)(defaultBatchSize) == "" && paramValidator(delay)(defaultBatchDelay) == "" {
		c["sdk.batch.size"] = defaultBatchSize
		c["sdk.batch.delay"] = defaultBatchDelay
	}
	return c
}

// withSourceDefaults turns the SDK's schema encoding of keys and payloads off unless the user
// set it: connectd hands structured data to its converters, so encoding it to Avro in the plugin
// only for the host to decode it again costs twice and fails on some connectors' records (a
// PostgreSQL delete's before image with nulls).
func withSourceDefaults(c cconfig.Config, params cconfig.Parameters) cconfig.Config {
	for _, k := range []string{"sdk.schema.extract.key.enabled", "sdk.schema.extract.payload.enabled"} {
		if _, ok := params[k]; ok {
			if _, set := c[k]; !set {
				c[k] = "false"
			}
		}
	}
	return c
}

// Batching defaults for plugins (see withBatchDefaults).
const (
	defaultBatchSize  = "10000"
	defaultBatchDelay = "10ms"
)
