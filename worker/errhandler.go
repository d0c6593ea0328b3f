package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/metrics"
)

// Stage is the step of a record's processing that failed; the names are Kafka Connect's, as
// they appear in logs and in the dead-letter queue's __connect.errors.stage header.
type Stage string

// The stages of Kafka Connect's error handling.
const (
	StageKeyConverter    Stage = "KEY_CONVERTER"
	StageValueConverter  Stage = "VALUE_CONVERTER"
	StageHeaderConverter Stage = "HEADER_CONVERTER"
	StageTransformation  Stage = "TRANSFORMATION"
	StageTaskPut         Stage = "TASK_PUT"
	StageTaskPoll        Stage = "TASK_POLL"
	StageKafkaProduce    Stage = "KAFKA_PRODUCE"
	StageKafkaConsume    Stage = "KAFKA_CONSUME"
)

// ErrToleranceExceeded is the failure of a task whose error handler may not skip a failed
// record (errors.tolerance=none); the record's own failure is wrapped with it.
var ErrToleranceExceeded = errors.New("Tolerance exceeded in error handler")

// retryDelayMin is the first backoff of a retried operation, as in Kafka Connect.
const retryDelayMin = 300 * time.Millisecond

// failedRecord is the record an operation failed on: a consumed one for sinks, a polled one
// for sources, or a converted one that Kafka refused.
type failedRecord struct {
	consumed *sarama.ConsumerMessage
	source   *connect.SourceRecord
	refused  *refusedRecord
}

// refusedRecord is a source record as the producer sent it to a partition that refused it.
type refusedRecord struct {
	topic     string
	partition int32
	record    *sarama.Record
}

// errorHandler is a task's error handling, Kafka Connect's RetryWithToleranceOperator: an
// operation on a record is retried while it fails with a retriable error and
// errors.retry.timeout allows, then its failure is logged (errors.log.*), written to the
// dead-letter queue, and either tolerated (errors.tolerance=all: the record is skipped) or
// made the task's failure.
type errorHandler struct {
	connector string
	task      int
	// keyClass, valueClass and headerClass name the task's converters, for the error context.
	keyClass, valueClass, headerClass string
	tolerateAll                       bool
	retryTimeout                      time.Duration // negative: forever
	maxDelay                          time.Duration
	logErrors                         bool
	logMessages                       bool
	logger                            *slog.Logger
	dlq                               *deadLetterQueue
	// sleep waits between retries; it returns false when ctx ended first.
	sleep func(ctx context.Context, d time.Duration) bool
	// skipped counts the records skipped under errors.tolerance=all.
	skipped atomic.Int64
	// metrics is the task's task-error-metrics; nil when metrics are off.
	metrics *metrics.Task
}

// newErrorHandler reads a task's errors.* keys; the DLQ, when any, is attached by the sink.
func newErrorHandler(ti *taskInstance, config map[string]string) (*errorHandler, error) {
	h := &errorHandler{connector: ti.id.Connector, task: ti.id.Task, logger: ti.logger, sleep: sleepOrDone, metrics: ti.metrics,
		keyClass: converterClass(ti, config, "key"), valueClass: converterClass(ti, config, "value"),
		headerClass: cmp.Or(converterClass(ti, config, "header"), "org.apache.kafka.connect.storage.SimpleHeaderConverter")}
	switch t := strings.ToLower(strings.TrimSpace(config["errors.tolerance"])); t {
	case "", "none":
	case "all":
		h.tolerateAll = true
	default:
		return nil, fmt.Errorf("Invalid value %s for configuration errors.tolerance: String must be one of (case insensitive): NONE, ALL", config["errors.tolerance"])
	}
	millis := func(key string, def int64) (int64, error) {
		v := strings.TrimSpace(config[key])
		if v == "" {
			return def, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("Invalid value %s for configuration %s: Not a number of type LONG", config[key], key)
		}
		return n, nil
	}
	timeout, err := millis("errors.retry.timeout", 0)
	if err != nil {
		return nil, err
	}
	h.retryTimeout = time.Duration(timeout) * time.Millisecond
	if timeout < 0 {
		h.retryTimeout = -1
	}
	delay, err := millis("errors.retry.delay.max.ms", 60000)
	if err != nil {
		return nil, err
	}
	h.maxDelay = time.Duration(max(delay, 0)) * time.Millisecond
	h.logErrors = strings.EqualFold(strings.TrimSpace(config["errors.log.enable"]), "true")
	h.logMessages = strings.EqualFold(strings.TrimSpace(config["errors.log.include.messages"]), "true")
	return h, nil
}

func sleepOrDone(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// execute runs op, a step of stage on rec done by class (the converter's or transform's class
// name, for the error context). It returns nil when op succeeded, errSkip when op failed and the
// failure was tolerated (the caller drops the record), and otherwise the error that fails the task.
// The first attempt is a plain call: on the clean path a record's step costs the step alone.
func (h *errorHandler) execute(ctx context.Context, stage Stage, class string, rec failedRecord, op func() error) error {
	if err := op(); err != nil {
		return h.handle(ctx, stage, class, rec, err, op)
	}
	return nil
}

// handle takes over after op's first attempt failed with err: it retries what is retriable,
// then decides the record's fate.
func (h *errorHandler) handle(ctx context.Context, stage Stage, class string, rec failedRecord, err error, op func() error) error {
	if err = h.retry(ctx, err, op); err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return h.failed(stage, class, rec, err)
}

// errSkip tells the caller of execute to drop the record whose failure was tolerated.
var errSkip = errors.New("record skipped by the error handler")

// retry runs op again after it failed with err, until it succeeds, fails with an error that is
// not retriable, or errors.retry.timeout has passed, with exponential backoff between attempts.
func (h *errorHandler) retry(ctx context.Context, err error, op func() error) error {
	var deadline time.Time
	for attempt := 0; err != nil && connect.IsRetriable(err) && h.retryTimeout != 0; attempt++ {
		now := time.Now()
		if attempt == 0 {
			deadline = now.Add(h.retryTimeout)
		}
		if h.retryTimeout > 0 && !now.Before(deadline) {
			return err
		}
		delay := backoff(attempt, h.maxDelay)
		if h.retryTimeout > 0 {
			delay = min(delay, deadline.Sub(now))
		}
		h.logger.Debug("retrying failed operation", "attempt", attempt+1, "delay", delay, "err", err)
		h.metrics.Retried()
		if !h.sleep(ctx, delay) {
			return err
		}
		err = op()
	}
	return err
}

// backoff is the delay before retry attempt+1: retryDelayMin doubled per attempt, and past
// maxDelay a random delay below it, as Kafka Connect spreads its retries.
func backoff(attempt int, maxDelay time.Duration) time.Duration {
	delay := retryDelayMin << min(attempt, 30)
	if delay > maxDelay || delay <= 0 {
		if maxDelay <= 0 {
			return 0
		}
		delay = rand.N(maxDelay) + 1
	}
	return delay
}

// failed reports a failure that retries did not cure and decides the record's fate.
func (h *errorHandler) failed(stage Stage, class string, rec failedRecord, err error) error {
	if h.logErrors {
		h.log(stage, class, rec, err)
		h.metrics.ErrorLogged()
	}
	if h.dlq != nil && rec.consumed != nil {
		h.dlq.report(h.errorContext(stage, class, rec.consumed, err))
	}
	if !h.tolerateAll {
		return fmt.Errorf("%w: %w", ErrToleranceExceeded, err)
	}
	h.skipped.Add(1)
	h.metrics.Skipped()
	return errSkip
}

// log writes one failure with Kafka Connect's LogReporter's content as structured keys.
func (h *errorHandler) log(stage Stage, class string, rec failedRecord, err error) {
	// The task's logger names its connector and task already.
	attrs := []any{"stage", string(stage), "class", class, "err", err}
	switch {
	case rec.consumed != nil:
		m := rec.consumed
		attrs = append(attrs, "topic", m.Topic, "partition", m.Partition, "offset", m.Offset)
		if h.logMessages {
			attrs = append(attrs, "record", fmt.Sprintf("ConsumerRecord(topic = %s, partition = %d, offset = %d, timestamp = %d, key = %q, value = %q)",
				m.Topic, m.Partition, m.Offset, m.Timestamp.UnixMilli(), m.Key, m.Value))
		}
	case rec.source != nil:
		attrs = append(attrs, "topic", rec.source.Topic)
		if h.logMessages {
			attrs = append(attrs, "record", fmt.Sprintf("SourceRecord{sourcePartition=%v, sourceOffset=%v} ConnectRecord{topic='%s', key=%v, value=%v}",
				rec.source.SourcePartition, offsetMap(rec.source.SourceOffset), rec.source.Topic, rec.source.Key, rec.source.Value))
		}
	case rec.refused != nil:
		attrs = append(attrs, "topic", rec.refused.topic, "partition", rec.refused.partition)
		if h.logMessages {
			attrs = append(attrs, "record", fmt.Sprintf("ProducerRecord(topic=%s, partition=%d, key=%q, value=%q)",
				rec.refused.topic, rec.refused.partition, rec.refused.record.Key, rec.refused.record.Value))
		}
	}
	h.logger.Error(fmt.Sprintf("Error encountered in task %s-%d. Executing stage '%s' with class '%s'.", h.connector, h.task, stage, class), attrs...)
}

func offsetMap(o connect.Offset) map[string]any {
	if o == nil {
		return nil
	}
	return o.Map()
}

// errorContext is what the dead-letter queue needs of one failure.
func (h *errorHandler) errorContext(stage Stage, class string, m *sarama.ConsumerMessage, err error) deadLetter {
	return deadLetter{msg: m, connector: h.connector, task: h.task, stage: stage, class: class, err: err}
}

// exceptionClass names an error as Kafka Connect's exception classes would, for traces and
// the DLQ's exception header.
func exceptionClass(stage Stage, err error) string {
	switch {
	case connect.IsRetriable(err):
		return "org.apache.kafka.connect.errors.RetriableException"
	case stage == StageKeyConverter || stage == StageValueConverter || stage == StageHeaderConverter:
		return "org.apache.kafka.connect.errors.DataException"
	}
	return "org.apache.kafka.connect.errors.ConnectException"
}

// stackTrace is the failure's trace: the panic's stack when it was one, else its first line.
func stackTrace(stage Stage, err error) string {
	var p *PanicError
	if errors.As(err, &p) {
		return fmt.Sprintf("%s: %v\n%s", exceptionClass(stage, err), p.Value, p.Stack)
	}
	return fmt.Sprintf("%s: %v", exceptionClass(stage, err), err)
}
