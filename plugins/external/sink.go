package external

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/conduitio/conduit-commons/opencdc"
	"github.com/conduitio/conduit-connector-protocol/pconnector"

	"github.com/connectd/connectd/connect"
)

// destinationPlugin is a dispensed destination with the stream constructor both protocol
// versions have.
type destinationPlugin interface {
	pconnector.DestinationPlugin
	NewStream() pconnector.DestinationRunStream
}

// sinkTask runs one plugin destination in its own process. Records go down the plugin's Run
// stream; only offsets the destination acknowledged are committed (PreCommit), so a record is
// never committed before the destination has written it. A negative acknowledgement is a record
// failure: it goes to the errant record reporter (errors.tolerance, the dead letter queue) on
// the runtime's goroutine, and holds the partition's commit back until it has.
type sinkTask struct {
	p        *Plugin
	logger   *slog.Logger
	reporter connect.ErrantRecordReporter

	proc      *process
	dst       destinationPlugin
	stream    pconnector.DestinationRunStreamClient
	cancelRun context.CancelFunc

	mu      sync.Mutex
	changed *sync.Cond
	// sent holds, per partition, the records sent and not yet committable, oldest first.
	sent map[connect.TopicPartition][]*sentRecord
	// acked is, per partition, the offset after the newest record acknowledged with all before it.
	acked   map[connect.TopicPartition]int64
	nacks   int // records negatively acknowledged and not yet reported
	last    opencdc.Position
	failure error
}

// sentRecord is a record sent to the destination: done once acknowledged, or once its negative
// acknowledgement (refused) was reported and tolerated.
type sentRecord struct {
	rec     *connect.SinkRecord
	done    bool
	refused error
}

func (t *sinkTask) Start(ctx connect.SinkTaskContext, config map[string]string) error {
	t.logger = t.p.logger(ctx.ConnectorName(), ctx.TaskID())
	t.reporter = ctx.ErrantRecordReporter()
	t.sent, t.acked = map[connect.TopicPartition][]*sentRecord{}, map[connect.TopicPartition]int64{}
	t.changed = sync.NewCond(&t.mu)
	var err error
	if t.proc, err = t.p.host.launch(t.p.Path, connectorID(ctx.ConnectorName(), ctx.TaskID()), t.logger); err != nil {
		return err
	}
	raw, err := t.proc.dispense("destination")
	if err != nil {
		return err
	}
	dst, ok := raw.(destinationPlugin)
	if !ok {
		return fmt.Errorf("plugin %s dispensed %T, not a destination", t.p.Spec.Name, raw)
	}
	t.dst = dst
	call, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if _, err := dst.Configure(call, pconnector.DestinationConfigureRequest{Config: withBatchDefaults(pluginConfig(config), t.p.Spec.DestinationParams)}); err != nil {
		return t.proc.failure(fmt.Errorf("configure: %w", err))
	}
	if _, err := dst.Open(call, pconnector.DestinationOpenRequest{}); err != nil {
		return t.proc.failure(fmt.Errorf("open: %w", err))
	}
	runCtx, cancelRun := context.WithCancel(context.Background())
	stream := dst.NewStream()
	if err := dst.Run(runCtx, stream); err != nil {
		cancelRun()
		return t.proc.failure(fmt.Errorf("run: %w", err))
	}
	t.stream, t.cancelRun = stream.Client(), cancelRun
	go t.receiveAcks()
	return nil
}

// receiveAcks applies the destination's acknowledgements until the stream ends.
func (t *sinkTask) receiveAcks() {
	for {
		resp, err := t.stream.Recv()
		if err != nil {
			t.fail(fmt.Errorf("plugin %s destination stream ended: %w", t.p.Spec.Name, err))
			return
		}
		for _, ack := range resp.Acks {
			t.ack(ack)
		}
	}
}

func (t *sinkTask) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failure == nil {
		t.failure = err
	}
	t.changed.Broadcast()
}

func (t *sinkTask) ack(ack pconnector.DestinationRunResponseAck) {
	tp, offset, err := parseSinkPosition(ack.Position)
	if err != nil {
		t.fail(fmt.Errorf("plugin %s acknowledged an unknown position %q", t.p.Spec.Name, ack.Position))
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	i := slices.IndexFunc(t.sent[tp], func(s *sentRecord) bool { return s.rec.Offset == offset })
	if i < 0 {
		return
	}
	if ack.Error != "" {
		t.sent[tp][i].refused = &RecordError{Plugin: t.p.Spec.Name, Topic: tp.Topic, Partition: tp.Partition, Offset: offset, Message: ack.Error}
		t.nacks++
	} else {
		t.sent[tp][i].done = true
	}
	t.advance(tp)
	t.changed.Broadcast()
}

// advance moves a partition's committable offset past the leading records that are done.
func (t *sinkTask) advance(tp connect.TopicPartition) {
	q := t.sent[tp]
	n := 0
	for n < len(q) && q[n].done {
		n++
	}
	if n > 0 {
		t.acked[tp] = q[n-1].rec.Offset + 1
		t.sent[tp] = q[n:]
	}
}

// RecordError is a destination's negative acknowledgement of one record.
type RecordError struct {
	Plugin, Topic string
	Partition     int32
	Offset        int64
	Message       string
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("plugin %s failed to write record %s-%d@%d: %s", e.Plugin, e.Topic, e.Partition, e.Offset, e.Message)
}

// reportRefused hands every negatively acknowledged record to the errant record reporter; a
// tolerated one is done, one errors.tolerance does not allow fails the task. Called with t.mu
// held, on the runtime's goroutine (the reporter is not safe for others); it releases t.mu while
// reporting.
func (t *sinkTask) reportRefused() error {
	for t.nacks > 0 && t.failure == nil {
		var refused *sentRecord
		var tp connect.TopicPartition
		for p, q := range t.sent {
			if i := slices.IndexFunc(q, func(s *sentRecord) bool { return s.refused != nil && !s.done }); i >= 0 {
				refused, tp = q[i], p
				break
			}
		}
		if refused == nil {
			t.nacks = 0
			break
		}
		t.mu.Unlock()
		err := t.reporter.Report(refused.rec, refused.refused)
		t.mu.Lock()
		t.nacks--
		if err != nil {
			t.failure = err
			break
		}
		refused.done = true
		t.advance(tp)
	}
	return t.failure
}

func (t *sinkTask) Put(records []*connect.SinkRecord) error {
	if len(records) == 0 {
		return nil
	}
	batch := make([]opencdc.Record, len(records))
	for i, r := range records {
		rec, err := sinkRecord(r)
		if err != nil {
			return err
		}
		batch[i] = rec
	}
	t.mu.Lock()
	if err := t.reportRefused(); err != nil {
		t.mu.Unlock()
		return t.proc.failure(err)
	}
	for _, r := range records {
		tp := connect.TopicPartition{Topic: r.Topic, Partition: r.Partition}
		t.sent[tp] = append(t.sent[tp], &sentRecord{rec: r})
	}
	t.last = batch[len(batch)-1].Position
	t.mu.Unlock()
	if err := t.stream.Send(pconnector.DestinationRunRequest{Records: batch}); err != nil {
		return t.proc.failure(fmt.Errorf("plugin %s destination stream: %w", t.p.Spec.Name, err))
	}
	return nil
}

// PreCommit implements connect.PreCommitter: the offsets the destination acknowledged.
func (t *sinkTask) PreCommit(map[connect.TopicPartition]int64) (map[connect.TopicPartition]int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.reportRefused()
	out := make(map[connect.TopicPartition]int64, len(t.acked))
	for tp, o := range t.acked {
		out[tp] = o
	}
	return out, err
}

// Flush waits until the destination acknowledged the given offsets or failed.
func (t *sinkTask) Flush(offsets map[connect.TopicPartition]int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.reportRefused() == nil {
		done := true
		for tp, o := range offsets {
			if t.acked[tp] < o {
				done = false
			}
		}
		if done {
			return nil
		}
		t.changed.Wait()
	}
	return t.failure
}

// Stop lets the destination finish what it was sent (it stops after the last position),
// closes the stream, tears it down and ends the process.
func (t *sinkTask) Stop() error {
	if t.proc == nil {
		return nil
	}
	defer t.proc.kill()
	if t.dst == nil || t.stream == nil || t.proc.exited() {
		return nil
	}
	t.mu.Lock()
	last := t.last
	t.mu.Unlock()
	call, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_, stopErr := t.dst.Stop(call, pconnector.DestinationStopRequest{LastPosition: last})
	t.cancelRun()
	_, err := t.dst.Teardown(call, pconnector.DestinationTeardownRequest{})
	return errors.Join(stopErr, err)
}
