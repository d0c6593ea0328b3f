package runtime

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/fsm"
)

// sourceRun moves records from a source task to Kafka: poll, convert, produce (idempotent,
// acks=all), and commit the offsets of acknowledged records to the replicated state every
// offset.flush.interval.ms and when it stops.
type sourceRun struct {
	ti       *taskInstance
	task     connect.SourceTask
	config   map[string]string
	conv     converters
	producer sarama.AsyncProducer
	admin    sarama.ClusterAdmin

	submitted *submittedRecords
	topics    map[string]bool
	paused    atomic.Bool
	resume    chan struct{}
	sendErr   chan error
	closeOnce sync.Once
	acksDone  chan struct{}
}

func newSourceRun(ti *taskInstance, task connect.SourceTask, config map[string]string, conv converters) (taskRun, error) {
	client, err := ti.w.producerClient()
	if err != nil {
		return nil, fmt.Errorf("create producer: %w", err)
	}
	producer, err := sarama.NewAsyncProducerFromClient(client)
	if err != nil {
		return nil, fmt.Errorf("create producer: %w", err)
	}
	r := &sourceRun{ti: ti, task: task, config: config, conv: conv, producer: producer, submitted: newSubmittedRecords(),
		topics: map[string]bool{}, resume: make(chan struct{}, 1), sendErr: make(chan error, 1), acksDone: make(chan struct{})}
	if ti.w.cfg.TopicCreation && hasTopicCreation(config) {
		if r.admin, err = sarama.NewClusterAdmin(ti.w.cfg.BootstrapServers, baseConfig(fmt.Sprintf("connector-adminclient-%s", ti.id))); err != nil {
			producer.Close()
			return nil, fmt.Errorf("create admin client: %w", err)
		}
	}
	go r.collectAcks()
	return r, nil
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

// collectAcks advances offsets as Kafka acknowledges records; a refused record fails the task.
func (r *sourceRun) collectAcks() {
	defer close(r.acksDone)
	successes, errs := r.producer.Successes(), r.producer.Errors()
	for successes != nil || errs != nil {
		select {
		case msg, ok := <-successes:
			if !ok {
				successes = nil
				continue
			}
			r.submitted.ack(msg.Metadata.(*submitted))
		case perr, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			r.submitted.fail()
			select {
			case r.sendErr <- fmt.Errorf("Unrecoverable exception from producer send callback: %w", perr.Err):
			default:
			}
		}
	}
}

func (r *sourceRun) run(ctx context.Context) error {
	if err := r.task.Start(taskContext{r.ti}, r.config); err != nil {
		return err
	}
	flush := time.NewTicker(r.ti.w.cfg.OffsetFlushInterval)
	defer flush.Stop()
	var err error
	for ctx.Err() == nil && err == nil {
		select {
		case err = <-r.sendErr:
			continue
		case <-flush.C:
			r.commitOffsets(ctx)
		default:
		}
		if r.paused.Load() {
			select {
			case <-ctx.Done():
			case <-r.resume:
			case <-flush.C:
				r.commitOffsets(ctx)
			}
			continue
		}
		var records []*connect.SourceRecord
		records, err = r.task.Poll(ctx)
		if err == nil && r.ti.w.lease.await(ctx) {
			err = r.send(ctx, records)
		}
	}
	if !r.ti.w.lease.valid(time.Now()) {
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

func (r *sourceRun) send(ctx context.Context, records []*connect.SourceRecord) error {
	for _, rec := range records {
		msg, err := r.message(rec)
		if err != nil {
			return err
		}
		if err := r.track(ctx, rec.Topic); err != nil {
			return err
		}
		msg.Metadata = r.submitted.submit(rec.SourcePartition, rec.SourceOffset)
		select {
		case r.producer.Input() <- msg:
		case <-ctx.Done():
			r.submitted.fail()
			return nil
		}
	}
	return nil
}

func (r *sourceRun) message(rec *connect.SourceRecord) (*sarama.ProducerMessage, error) {
	key, err := r.conv.key.FromConnectData(rec.Topic, rec.KeySchema, rec.Key)
	if err != nil {
		return nil, fmt.Errorf("Failed to convert key of record for topic %s: %w", rec.Topic, err)
	}
	value, err := r.conv.value.FromConnectData(rec.Topic, rec.ValueSchema, rec.Value)
	if err != nil {
		return nil, fmt.Errorf("Failed to convert value of record for topic %s: %w", rec.Topic, err)
	}
	msg := &sarama.ProducerMessage{Topic: rec.Topic}
	if key != nil {
		msg.Key = sarama.ByteEncoder(key)
	}
	if value != nil {
		msg.Value = sarama.ByteEncoder(value)
	}
	if rec.Partition != nil {
		msg.Partition = *rec.Partition
	} else {
		msg.Partition = anyPartition
	}
	if rec.Timestamp != nil {
		msg.Timestamp = *rec.Timestamp
	}
	for _, h := range rec.Headers {
		msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: []byte(h.Key), Value: []byte(fmt.Sprint(h.Value))})
	}
	return msg, nil
}

// track creates the topic on first use when the connector asks for topic creation, and records
// it as an active topic of the connector.
func (r *sourceRun) track(ctx context.Context, topic string) error {
	if r.topics[topic] {
		return nil
	}
	if r.admin != nil {
		if err := ensureTopic(r.admin, topic, r.config); err != nil {
			return err
		}
	}
	r.topics[topic] = true
	r.ti.w.recordTopic(ctx, r.ti.id.Connector, topic)
	return nil
}

func (r *sourceRun) commitOffsets(ctx context.Context) {
	entries := r.submitted.committable()
	if len(entries) == 0 {
		return
	}
	res, err := r.ti.w.deps.Apply(ctx, &fsm.SourceOffsets{Connector: r.ti.id.Connector, Task: r.ti.id.Task, Offsets: entries, Fence: r.ti.w.fence()})
	if err == nil && res.Err != nil {
		err = res.Err
	}
	if err != nil {
		r.ti.logger.Warn("committing source offsets failed; will retry", "err", err)
		r.submitted.restore(entries)
		return
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
		// closed, can wait for acknowledgements for ever, and the worker waits for this close.
		r.ti.bounded("producer close", func() error {
			if err := r.producer.Close(); err != nil && !errors.Is(err, sarama.ErrClosedClient) {
				r.ti.logger.Debug("producer close", "err", err)
			}
			<-r.acksDone
			return nil
		})
		if r.admin != nil {
			_ = r.admin.Close()
		}
	})
}

// anyPartition marks a message whose partition the partitioner chooses.
const anyPartition = -1

// explicitOrHash honours a source record's partition and hashes the key otherwise.
type explicitOrHash struct{ hash sarama.Partitioner }

func newExplicitOrHash(topic string) sarama.Partitioner {
	return explicitOrHash{hash: sarama.NewHashPartitioner(topic)}
}

func (p explicitOrHash) Partition(msg *sarama.ProducerMessage, n int32) (int32, error) {
	if msg.Partition >= 0 {
		if msg.Partition >= n {
			return 0, fmt.Errorf("partition %s of topic %s does not exist", strconv.Itoa(int(msg.Partition)), msg.Topic)
		}
		return msg.Partition, nil
	}
	return p.hash.Partition(msg, n)
}

func (p explicitOrHash) RequiresConsistency() bool { return true }
