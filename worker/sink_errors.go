package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/connect"
)

// sinkTaskContext is a sink task's context: its identity and its errant record reporter.
type sinkTaskContext struct {
	taskContext
	reporter *errantReporter
}

// ErrantRecordReporter implements connect.SinkTaskContext.
func (c sinkTaskContext) ErrantRecordReporter() connect.ErrantRecordReporter { return c.reporter }

// errantReporter is KIP-610's reporter: a reported record goes through the task's error
// handler at stage TASK_PUT, so it is logged, dead-lettered and tolerated or fatal as configured.
type errantReporter struct {
	run *sinkRun

	mu sync.Mutex
	// fatal is the first report that errors.tolerance did not allow; it fails the task even
	// when the task ignores Report's result.
	fatal error
}

// Report implements connect.ErrantRecordReporter.
func (e *errantReporter) Report(record *connect.SinkRecord, cause error) error {
	if record == nil || cause == nil {
		return errors.New("errant record reporter: a record and its error are required")
	}
	r := e.run
	msg := r.original(record)
	err := r.errs.failed(StageTaskPut, r.config["task.class"], failedRecord{consumed: msg}, cause)
	if errors.Is(err, errSkip) {
		return nil
	}
	e.mu.Lock()
	if e.fatal == nil {
		e.fatal = err
	}
	e.mu.Unlock()
	return err
}

// takeFatal returns and clears the failure a report caused, if any.
func (e *errantReporter) takeFatal() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	err := e.fatal
	e.fatal = nil
	return err
}

// original finds the consumed message a record delivered in the current batch came from; for a
// record the task made itself it converts the record back, as Kafka Connect does.
func (r *sinkRun) original(rec *connect.SinkRecord) *sarama.ConsumerMessage {
	for i, cand := range r.batch {
		if cand == rec {
			return r.origin[i]
		}
	}
	msg := &sarama.ConsumerMessage{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset, Timestamp: rec.Timestamp}
	if key, err := r.conv.key.FromConnectData(rec.Topic, rec.KeySchema, rec.Key); err == nil {
		msg.Key = key
	}
	if value, err := r.conv.value.FromConnectData(rec.Topic, rec.ValueSchema, rec.Value); err == nil {
		msg.Value = value
	}
	for _, h := range rec.Headers {
		msg.Headers = append(msg.Headers, &sarama.RecordHeader{Key: []byte(h.Key), Value: []byte(fmt.Sprint(h.Value))})
	}
	return msg
}

// convert turns a consumed message into a transformed sink record under the error handler;
// errSkip means the message failed and was tolerated, errDropped that a transform dropped it.
func (r *sinkRun) convert(ctx context.Context, m *sarama.ConsumerMessage) (*connect.SinkRecord, error) {
	rec := &connect.SinkRecord{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Timestamp: m.Timestamp}
	failed := failedRecord{consumed: m}
	err := r.errs.execute(ctx, StageKeyConverter, r.errs.keyClass, failed, func() (err error) {
		rec.KeySchema, rec.Key, err = r.conv.key.ToConnectData(m.Topic, m.Key)
		if err != nil {
			err = fmt.Errorf("Failed to convert key of record %s-%d@%d: %w", m.Topic, m.Partition, m.Offset, err)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	err = r.errs.execute(ctx, StageValueConverter, r.errs.valueClass, failed, func() (err error) {
		rec.ValueSchema, rec.Value, err = r.conv.value.ToConnectData(m.Topic, m.Value)
		if err != nil {
			err = fmt.Errorf("Failed to convert value of record %s-%d@%d: %w", m.Topic, m.Partition, m.Offset, err)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	err = r.errs.execute(ctx, StageHeaderConverter, r.errs.headerClass, failed, func() (err error) {
		rec.Headers, err = r.conv.sinkHeaders(m)
		return err
	})
	if err != nil {
		return nil, err
	}
	keep := false
	err = r.errs.execute(ctx, StageTransformation, transformationClass, failed, func() (err error) {
		// Transforms keep state (RegexRouter's last rename) and sarama puts from a goroutine per claim.
		r.transformMu.Lock()
		defer r.transformMu.Unlock()
		keep, err = r.conv.transformSink(&r.transformed, rec)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !keep {
		return nil, errDropped
	}
	return rec, nil
}

// errDropped tells put that a transform dropped the record: like a skipped one, it is not
// delivered and its offset is committed with its batch.
var errDropped = errors.New("record dropped by a transform")

// converterClass names a task's key or value converter, for the error context.
func converterClass(ti *taskInstance, config map[string]string, which string) string {
	if c := config[which+".converter"]; c != "" {
		return c
	}
	return ti.w.cfg.WorkerProps[which+".converter"]
}

// putRetrying delivers records to the task, again after a backoff while Put fails with a
// connect.RetriableError, as Kafka Connect redelivers a batch after a RetriableException. It
// holds r.mu only during each Put, so that offsets already delivered keep being committed.
func (r *sinkRun) putRetrying(ctx context.Context, records []*connect.SinkRecord, msgs []*sarama.ConsumerMessage) error {
	for attempt := 0; ; attempt++ {
		r.mu.Lock()
		if r.rewound {
			// A failed flush is rewinding the consumer: this batch comes again.
			r.mu.Unlock()
			return nil
		}
		r.batch, r.origin = records, msgs
		err := r.task.Put(records)
		if err == nil {
			err = r.reporter.takeFatal()
		}
		r.batch, r.origin = nil, nil
		if err == nil {
			for _, m := range msgs {
				r.pending[connect.TopicPartition{Topic: m.Topic, Partition: m.Partition}] = m.Offset + 1
			}
		}
		r.mu.Unlock()
		if err == nil || !connect.IsRetriable(err) {
			return err
		}
		delay := backoff(attempt, r.errs.maxDelay)
		r.ti.logger.Warn("sink task asked for the batch again; redelivering after a backoff", "records", len(records), "delay", delay, "err", err)
		if !r.errs.sleep(ctx, delay) {
			return nil
		}
	}
}

// rewind is what a failed flush or pre-commit does, as in Kafka Connect's WorkerSinkTask: the
// offsets delivered since the last commit are forgotten and the consumer session ends, so that
// the next one resumes from the committed offsets and redelivers everything not yet committed.
// The caller holds r.mu.
func (r *sinkRun) rewind(err error) {
	r.ti.logger.Warn("sink flush failed; rewinding to the last committed offsets to redeliver", "err", err)
	r.pending = map[connect.TopicPartition]int64{}
	r.rewound = true
	if r.endSession != nil {
		r.endSession()
	}
}

// deadLettersAcked waits, within offset.flush.timeout.ms, until the DLQ has acknowledged every
// record up to number through: offsets past a dead-lettered record are committed only then. Not
// yet acknowledged, the commit waits for the next flush; a failed write fails the task. The
// caller does not hold r.mu, so that records keep being delivered meanwhile.
func (r *sinkRun) deadLettersAcked(through uint64) bool {
	if r.errs.dlq == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(r.ti.ctx, r.ti.w.cfg.OffsetFlushTimeout)
	defer cancel()
	err := r.errs.dlq.await(ctx, through)
	switch {
	case err == nil:
		return true
	case ctx.Err() != nil:
		r.ti.logger.Warn("dead letter queue writes not acknowledged yet; offsets not committed", "err", err)
	default:
		select {
		case r.failed <- err:
		default:
		}
		r.mu.Lock()
		r.rewind(err)
		r.mu.Unlock()
	}
	return false
}

// deadLetterMark is the number of the last record the DLQ was given so far, zero without one.
func (r *sinkRun) deadLetterMark() uint64 {
	if r.errs.dlq == nil {
		return 0
	}
	return r.errs.dlq.mark()
}
