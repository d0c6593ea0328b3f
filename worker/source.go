package worker

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/kafka"
	"github.com/connectd/connectd/metrics"
	"github.com/connectd/connectd/transforms"
)

// sourceRun moves records from a source task to Kafka: poll, convert, produce (idempotent,
// acks=all), and commit the offsets of acknowledged records to the replicated state every
// offset.flush.interval.ms and when it stops.
type sourceRun struct {
	ti       *taskInstance
	task     guardedSourceTask
	config   map[string]string
	conv     converters
	producer *batchProducer
	admin    sarama.ClusterAdmin

	submitted *submittedRecords
	topics    map[string]bool
	paused    atomic.Bool
	resume    chan struct{}
	sendErr   chan error
	closeOnce sync.Once
	// releaseClient gives back the producer's connections (closes them when they are the
	// connector's own).
	releaseClient func()
	// msgs is reused by every send while records come: the producer copies what it keeps out
	// of it. It holds the last records' data until the next send or an empty poll.
	msgs []message
	// transformed is the record being transformed and converted, reused for every record.
	transformed transforms.Record
	// errs is the task's error handling (errhandler.go).
	errs *errorHandler
	// m counts the run for metrics; nil when they are off.
	m *metrics.Task
}

func newSourceRun(ti *taskInstance, task guardedSourceTask, config map[string]string, conv converters) (taskRun, error) {
	settings, err := kafka.ProducerSettingsFrom(ti.w.cfg.WorkerProps, config)
	if err != nil {
		return nil, fmt.Errorf("Failed to construct kafka producer: %w", err)
	}
	errs, err := newErrorHandler(ti, config)
	if err != nil {
		return nil, err
	}
	client, release, err := ti.w.connectorProducerClient(fmt.Sprintf("connector-producer-%s", ti.id), config)
	if err != nil {
		return nil, fmt.Errorf("create producer: %w", err)
	}
	if conv.chain.Len() > 0 {
		// The run converts each record before it transforms the next.
		conv.chain.RecycleStructs()
	}
	r := &sourceRun{ti: ti, task: task, config: config, conv: conv, submitted: newSubmittedRecords(),
		topics: map[string]bool{}, resume: make(chan struct{}, 1), sendErr: make(chan error, 1), releaseClient: release, errs: errs, m: ti.metrics}
	r.producer = newBatchProducer(client, settings, ti.permit, ti.logger, r.submitted, r.producerFailed)
	r.producer.metrics, r.producer.node = r.m, ti.w.deps.Metrics
	if errs.tolerateAll {
		r.producer.skipRefused = r.skipRefused
	}
	if ti.w.cfg.TopicCreation && hasTopicCreation(config) {
		conf, err := kafka.AdminConfig(fmt.Sprintf("connector-adminclient-%s", ti.id), kafka.ConnectorClientProps(ti.w.cfg.WorkerProps, config, kafka.Admin))
		if err == nil {
			r.admin, err = sarama.NewClusterAdmin(ti.w.cfg.BootstrapServers, conf)
		}
		if err != nil {
			r.producer.close()
			release()
			return nil, fmt.Errorf("create admin client: %w", err)
		}
	}
	return r, nil
}

// producerFailed fails the task when Kafka refuses a record for good.
func (r *sourceRun) producerFailed(err error) {
	select {
	case r.sendErr <- fmt.Errorf("Unrecoverable exception from producer send callback: %w", err):
	default:
	}
}

func hasTopicCreation(config map[string]string) bool {
	for k := range config {
		if strings.HasPrefix(k, "topic.creation.") {
			return true
		}
	}
	return false
}

func (r *sourceRun) setPaused(paused bool) {
	if !r.paused.Swap(paused) || paused {
		return
	}
	select {
	case r.resume <- struct{}{}:
	default:
	}
}

func (r *sourceRun) run(ctx context.Context) error {
	if err := r.task.Start(taskContext{r.ti}, r.config); err != nil {
		return err
	}
	stopCommits := r.commitEvery(ctx, r.ti.w.cfg.OffsetFlushInterval)
	var err error
	for ctx.Err() == nil && err == nil {
		select {
		case err = <-r.sendErr:
			continue
		default:
		}
		if r.paused.Load() {
			select {
			case <-ctx.Done():
			case <-r.resume:
			case err = <-r.sendErr:
			}
			continue
		}
		// Checked before the poll and again before the send: a poll can span a freeze.
		if !r.ti.permit.await(ctx.Done()) {
			continue
		}
		var records []*connect.SourceRecord
		polled := time.Now()
		records, err = r.task.Poll(ctx)
		r.m.Polled(len(records), time.Since(polled))
		if err == nil && r.ti.permit.await(ctx.Done()) {
			err = r.send(ctx, records)
		}
	}
	stopCommits()
	if !r.ti.permit.allows(time.Now()) {
		// Fenced: the leader may already have given the task to another worker, this one may be
		// cut off from it, and any commit would be refused; stop at once instead.
		return nil
	}
	// Stopping: wait (bounded) for outstanding acknowledgements, then commit what they allow.
	timeout, cancel := context.WithTimeout(context.Background(), r.ti.w.cfg.OffsetFlushTimeout)
	r.submitted.waitDrained(timeout.Done())
	cancel()
	commitCtx, cancel := context.WithTimeout(context.Background(), r.ti.w.cfg.OffsetFlushTimeout)
	r.commitOffsets(commitCtx)
	cancel()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// commitEvery commits offsets every interval, apart from the poll loop, as Kafka Connect's
// offset committer does, so that a Poll that waits for data does not hold back the commit of
// records already acknowledged. A timer rather than a goroutine: an idle task costs no stack.
// The returned func stops it and waits for a commit under way.
func (r *sourceRun) commitEvery(ctx context.Context, interval time.Duration) (stop func()) {
	var mu sync.Mutex
	stopped := false
	var timer *time.Timer
	mu.Lock()
	defer mu.Unlock()
	timer = time.AfterFunc(interval, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped || ctx.Err() != nil {
			return
		}
		r.commitOffsets(ctx)
		timer.Reset(interval)
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		timer.Stop()
	}
}

func (r *sourceRun) send(ctx context.Context, records []*connect.SourceRecord) error {
	if len(records) == 0 {
		// Idle: an idle task holds no buffer.
		r.msgs = nil
		r.submitted.idle()
		return nil
	}
	now := time.Now()
	msgs := r.msgs[:0]
	// Not cleared after the send (that showed in the profile): the next send overwrites it.
	defer func() { r.msgs = msgs[:0] }()
	// Records go to the producer in runs between dropped ones, so that a dropped record's offset
	// is submitted in its place in the order.
	start := 0
	var err error
	for i, rec := range records {
		msgs = append(msgs, message{})
		msg := &msgs[len(msgs)-1]
		var keep bool
		if keep, err = r.message(ctx, msg, rec, now); err == nil && keep {
			err = r.track(ctx, msg.topic)
		}
		if err != nil || !keep {
			msgs = msgs[:len(msgs)-1]
		}
		if err != nil {
			break
		}
		if !keep {
			if sendErr := r.produce(ctx, records[start:i], msgs); sendErr != nil || ctx.Err() != nil {
				return sendErr
			}
			msgs = msgs[:0]
			r.submitted.dropped(rec)
			start = i + 1
		}
	}
	if err != nil {
		r.m.Failed()
	}
	if sendErr := r.produce(ctx, records[start:start+len(msgs)], msgs); sendErr != nil {
		return sendErr
	}
	return err
}

// produce hands records and their messages to the producer.
func (r *sourceRun) produce(ctx context.Context, records []*connect.SourceRecord, msgs []message) error {
	if len(msgs) == 0 {
		return nil
	}
	acks := r.submitted.submit(records)
	r.m.Submitted(len(msgs))
	sent, sendErr := r.producer.send(ctx, msgs, acks)
	if sendErr != nil {
		r.submitted.fail(len(msgs) - sent)
		r.m.Unsent(len(msgs) - sent)
		if ctx.Err() != nil {
			return nil
		}
		// A refused record was reported already, in Kafka Connect's words; that is the task's error.
		select {
		case reported := <-r.sendErr:
			return reported
		default:
			return sendErr
		}
	}
	return nil
}

// message transforms rec and converts it into msg, in place: a message is large, and copying it
// showed in the profile. false means the record is not written: a transform dropped it, or it
// failed and the error handler tolerated that (errors.tolerance=all); its offset still commits.
func (r *sourceRun) message(ctx context.Context, msg *message, rec *connect.SourceRecord, now time.Time) (bool, error) {
	tr := &r.transformed
	failed := failedRecord{source: rec}
	keep := false
	transform := func() (err error) {
		keep, err = r.conv.transformSource(tr, rec)
		return err
	}
	// A direct call, as in convert: the handler sees only a failure.
	err := transform()
	if err != nil {
		err = r.errs.handle(ctx, StageTransformation, transformationClass, failed, err, transform)
	}
	if !keep || err != nil {
		return false, tolerated(err)
	}
	key, value, headers, err := r.convert(ctx, tr, failed)
	if err != nil {
		return false, tolerated(err)
	}
	msg.topic, msg.partition, msg.key, msg.value, msg.headers = tr.Topic, tr.Partition, key, value, headers
	msg.timestamp = timestampOr(tr.Timestamp, now)
	if err := r.producible(ctx, msg, rec); err != nil {
		return false, tolerated(err)
	}
	return true, nil
}

// track creates the topic on first use when the connector asks for topic creation, and records
// it as an active topic of the connector.
func (r *sourceRun) track(ctx context.Context, topic string) error {
	if r.topics[topic] {
		return nil
	}
	if r.admin != nil {
		if err := kafka.EnsureTopic(r.admin, topic, r.config); err != nil {
			return err
		}
	}
	r.topics[topic] = true
	r.ti.w.recordTopic(ctx, r.ti.id.Connector, topic)
	return nil
}

func (r *sourceRun) commitOffsets(ctx context.Context) {
	if !r.ti.permit.allows(time.Now()) {
		// The replicated state would refuse a commit from a worker that no longer owns the task;
		// one that still does commits once the worker loop has authorized it again.
		return
	}
	entries, values := r.submitted.committable()
	if len(entries) == 0 {
		return
	}
	began := time.Now()
	res, err := r.ti.w.deps.Apply(ctx, &fsm.SourceOffsets{Connector: r.ti.id.Connector, Task: r.ti.id.Task, Offsets: entries, Fence: r.ti.w.fence()})
	if err == nil && res.Err != nil {
		err = res.Err
	}
	r.m.Committed(time.Since(began), err)
	if err != nil {
		r.ti.logger.Warn("committing source offsets failed; will retry", "err", err)
		r.submitted.restore(entries)
		return
	}
	if err := r.task.OffsetsCommitted(values); err != nil {
		r.ti.logger.Warn("passing committed offsets to the task failed", "err", err)
	}
	if err := r.task.Commit(); err != nil {
		r.ti.logger.Warn("task commit failed", "err", err)
	}
}

// close stops the plugin and closes the producer; after it returns the task cannot produce.
func (r *sourceRun) close() {
	r.closeOnce.Do(func() {
		r.ti.bounded("task stop", func() error { return r.task.Stop() })
		// Bounded too: a producer cut off from Kafka, or whose connections a fenced worker
		// closed, can wait for a response for as long as the network timeouts allow, and the
		// worker waits for this close.
		r.ti.bounded("producer close", func() error {
			r.producer.close()
			return nil
		})
		r.releaseClient()
		if r.admin != nil {
			_ = r.admin.Close()
		}
	})
}

// anyPartition marks a message whose partition the producer chooses.
const anyPartition = -1
