package worker

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/kafka"
	"github.com/connectd/connectd/metrics"
	"github.com/connectd/connectd/transforms"
)

// sinkRun moves records from Kafka to a sink task: a consumer group connect-<name> on the
// connector's topics, put to the task, and offsets committed to Kafka only after the task has
// flushed them.
type sinkRun struct {
	ti     *taskInstance
	task   connect.SinkTask
	config map[string]string
	conv   converters
	group  sarama.ConsumerGroup
	client sarama.Client

	mu sync.Mutex // serialises Put and Flush, which sarama may call from several claims
	// flushMu serialises flushes, which wait for the dead-letter queue without holding mu.
	flushMu sync.Mutex
	pending map[connect.TopicPartition]int64
	session sarama.ConsumerGroupSession

	pausedMu sync.Mutex
	paused   bool
	resumed  chan struct{}

	failed    chan error
	closeOnce sync.Once
	// transformed is the record being transformed, reused under transformMu.
	transformMu sync.Mutex
	transformed transforms.Record

	// Error handling (sink_errors.go): the handler, the errant record reporter, the batch being
	// put with the messages it came from, and the rewind after a failed flush.
	errs     *errorHandler
	reporter *errantReporter
	batch    []*connect.SinkRecord
	origin   []*sarama.ConsumerMessage
	// rewound is set by a failed flush until the next session starts from the committed offsets;
	// endSession ends the current one.
	rewound    bool
	endSession context.CancelFunc
	// m counts the run for metrics; nil when they are off.
	m *metrics.Task
}

func newSinkRun(ti *taskInstance, task connect.SinkTask, config map[string]string, conv converters) (taskRun, error) {
	conf, err := kafka.ConsumerConfig(fmt.Sprintf("connector-consumer-%s", ti.id), ti.w.cfg.WorkerProps, config)
	if err != nil {
		return nil, fmt.Errorf("Failed to construct kafka consumer: %w", err)
	}
	client, err := sarama.NewClient(ti.w.cfg.BootstrapServers, conf)
	if err != nil {
		return nil, fmt.Errorf("create consumer: %w", err)
	}
	errs, err := newErrorHandler(ti, config)
	if err != nil {
		client.Close()
		return nil, err
	}
	if config["errors.deadletterqueue.topic.name"] != "" {
		if errs.dlq, err = openDeadLetterQueue(ti, config); err != nil {
			client.Close()
			return nil, err
		}
	}
	group, err := sarama.NewConsumerGroupFromClient(kafka.SinkGroupID(ti.id.Connector, config), client)
	if err != nil {
		client.Close()
		if errs.dlq != nil {
			errs.dlq.close()
		}
		return nil, fmt.Errorf("create consumer group: %w", err)
	}
	r := &sinkRun{ti: ti, task: task, config: config, conv: conv, group: group, client: client, errs: errs,
		pending: map[connect.TopicPartition]int64{}, resumed: make(chan struct{}), failed: make(chan error, 1), m: ti.metrics}
	r.reporter = &errantReporter{run: r}
	return r, nil
}

func (r *sinkRun) setPaused(paused bool) {
	r.pausedMu.Lock()
	defer r.pausedMu.Unlock()
	if r.paused == paused {
		return
	}
	r.paused = paused
	if !paused {
		close(r.resumed)
		r.resumed = make(chan struct{})
	}
}

// waitResumed blocks while the task is paused, until resumed or ctx ends.
func (r *sinkRun) waitResumed(ctx context.Context) {
	for {
		r.pausedMu.Lock()
		paused, resumed := r.paused, r.resumed
		r.pausedMu.Unlock()
		if !paused {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-resumed:
		}
	}
}

func (r *sinkRun) run(ctx context.Context) error {
	if err := r.task.Start(sinkTaskContext{taskContext{r.ti}, r.reporter}, r.config); err != nil {
		return err
	}
	// The flush loop ends with the run, also when the run fails.
	flushCtx, stopFlushing := context.WithCancel(ctx)
	flushDone := make(chan struct{})
	go func() {
		defer close(flushDone)
		r.flushLoop(flushCtx)
	}()
	defer func() {
		stopFlushing()
		<-flushDone
	}()
	for ctx.Err() == nil {
		topics, err := r.topics()
		if err != nil {
			return err
		}
		if len(topics) == 0 {
			sleepCtx(ctx, time.Second)
			continue
		}
		sessionCtx, endSession := context.WithCancel(ctx)
		r.mu.Lock()
		r.endSession = endSession
		r.mu.Unlock()
		err = r.group.Consume(sessionCtx, topics, r)
		endSession()
		if err != nil && ctx.Err() == nil {
			if errors.Is(err, sarama.ErrClosedConsumerGroup) {
				return nil
			}
			r.ti.logger.Warn("consumer group session ended", "err", err)
			sleepCtx(ctx, 500*time.Millisecond)
		}
		select {
		case err := <-r.failed:
			return err
		default:
		}
	}
	return nil
}

// topics resolves topics or topics.regex against the cluster's topics.
func (r *sinkRun) topics() ([]string, error) {
	if t := r.config["topics"]; t != "" {
		return connect.SplitList(t), nil
	}
	re, err := regexp.Compile("^(?:" + r.config["topics.regex"] + ")$")
	if err != nil {
		return nil, err
	}
	if err := r.client.RefreshMetadata(); err != nil {
		return nil, err
	}
	all, err := r.client.Topics()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range all {
		if re.MatchString(t) {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Setup implements sarama.ConsumerGroupHandler.
func (r *sinkRun) Setup(s sarama.ConsumerGroupSession) error {
	r.mu.Lock()
	r.session = s
	// A new session starts from the committed offsets: a rewind is complete.
	r.rewound = false
	r.mu.Unlock()
	for topic := range s.Claims() {
		r.ti.w.recordTopic(s.Context(), r.ti.id.Connector, topic)
	}
	if r.m != nil {
		var tps []metrics.TopicPartition
		for _, tp := range claimed(s) {
			tps = append(tps, metrics.TopicPartition{Topic: tp.Topic, Partition: tp.Partition})
		}
		r.m.Assigned(tps)
	}
	if pa, ok := r.task.(connect.PartitionAware); ok {
		if err := pa.Open(claimed(s)); err != nil {
			err = fmt.Errorf("opening partitions: %w", err)
			select {
			case r.failed <- err:
			default:
			}
			return err
		}
	}
	return nil
}

// claimed lists a session's partitions, sorted.
func claimed(s sarama.ConsumerGroupSession) []connect.TopicPartition {
	var out []connect.TopicPartition
	for topic, partitions := range s.Claims() {
		for _, p := range partitions {
			out = append(out, connect.TopicPartition{Topic: topic, Partition: p})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}

// Cleanup implements sarama.ConsumerGroupHandler: partitions are about to be revoked, so what
// was delivered is flushed and committed first, as Kafka Connect does.
func (r *sinkRun) Cleanup(s sarama.ConsumerGroupSession) error {
	r.flush()
	r.mu.Lock()
	r.session = nil
	r.mu.Unlock()
	if pa, ok := r.task.(connect.PartitionAware); ok {
		if err := pa.Close(claimed(s)); err != nil {
			r.ti.logger.Warn("closing partitions failed", "err", err)
		}
	}
	return nil
}

// ConsumeClaim implements sarama.ConsumerGroupHandler: it delivers the claim's records to the
// task in small batches.
func (r *sinkRun) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	const maxBatch = 500
	batch := make([]*sarama.ConsumerMessage, 0, maxBatch)
	lag := r.m.PartitionLag(metrics.TopicPartition{Topic: claim.Topic(), Partition: claim.Partition()})
	for {
		r.waitResumed(s.Context())
		select {
		case <-s.Context().Done():
			return nil
		case msg, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			batch = append(batch[:0], msg)
		drain:
			for len(batch) < maxBatch {
				select {
				case m, ok := <-claim.Messages():
					if !ok {
						break drain
					}
					batch = append(batch, m)
				default:
					break drain
				}
			}
			r.m.Read(len(batch))
			lag.Set(claim.HighWaterMarkOffset() - batch[len(batch)-1].Offset - 1)
			if !r.ti.permit.await(s.Context().Done()) {
				return nil
			}
			if err := r.put(s.Context(), batch); err != nil {
				select {
				case r.failed <- err:
				default:
				}
				return err
			}
		}
	}
}

func (r *sinkRun) put(ctx context.Context, msgs []*sarama.ConsumerMessage) error {
	records := make([]*connect.SinkRecord, 0, len(msgs))
	// kept are the messages of records, which differ from msgs when records were skipped; the
	// skipped ones' offsets are committed with the batch.
	kept := msgs
	for i, m := range msgs {
		rec, err := r.convert(ctx, m)
		if errors.Is(err, errSkip) || errors.Is(err, errDropped) {
			if len(kept) == len(msgs) {
				kept = append(make([]*sarama.ConsumerMessage, 0, len(msgs)), msgs[:i]...)
			}
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				// The session ended (rebalance, rewind, stop): nothing of this batch is marked,
				// so it comes again.
				return nil
			}
			r.m.Failed()
			return err
		}
		records = append(records, rec)
		if len(kept) != len(msgs) {
			kept = append(kept, m)
		}
	}
	began := time.Now()
	if err := r.putRetrying(ctx, records, kept); err != nil {
		r.m.Failed()
		return err
	}
	r.m.Put(len(records), time.Since(began))
	if len(kept) != len(msgs) {
		r.mu.Lock()
		if !r.rewound {
			for _, m := range msgs {
				r.pending[connect.TopicPartition{Topic: m.Topic, Partition: m.Partition}] = m.Offset + 1
			}
		}
		r.mu.Unlock()
	}
	return nil
}

func (r *sinkRun) flushLoop(ctx context.Context) {
	ticker := time.NewTicker(r.ti.w.cfg.OffsetFlushInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			r.flush()
		}
	}
}

// flush asks the task to make delivered records durable and then commits their offsets, once
// the dead-letter queue has acknowledged the records reported before them.
func (r *sinkRun) flush() {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.Lock()
	if len(r.pending) == 0 || r.session == nil || !r.ti.permit.allows(time.Now()) || r.rewound {
		r.mu.Unlock()
		return
	}
	delivered := r.pending
	began := time.Now()
	commit := delivered
	var err error
	if pc, ok := r.task.(connect.PreCommitter); ok {
		commit, err = pc.PreCommit(delivered)
	} else {
		err = r.task.Flush(delivered)
	}
	if err != nil {
		r.m.Committed(time.Since(began), err)
		r.rewind(err)
		r.mu.Unlock()
		return
	}
	r.pending = map[connect.TopicPartition]int64{}
	through := r.deadLetterMark()
	r.mu.Unlock()

	acked := r.deadLettersAcked(through)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rewound {
		return
	}
	if !acked || r.session == nil || !r.ti.permit.allows(time.Now()) {
		// Not committed: the next flush takes these offsets again, unless later ones replaced them.
		for tp, offset := range delivered {
			if _, later := r.pending[tp]; !later {
				r.pending[tp] = offset
			}
		}
		return
	}
	if len(commit) == 0 {
		r.m.CommitSkipped()
	}
	for tp, offset := range commit {
		r.session.MarkOffset(tp.Topic, tp.Partition, offset, "")
	}
	r.session.Commit()
	r.m.Committed(time.Since(began), nil)
}

// close stops the plugin and leaves the consumer group; after it returns the task can commit
// nothing more.
func (r *sinkRun) close() {
	r.closeOnce.Do(func() {
		// A put stuck in the plugin keeps the group from closing; closing the client then cuts
		// its connections, so the abandoned task can commit nothing.
		r.ti.bounded("consumer group close", r.group.Close)
		_ = r.client.Close()
		r.ti.bounded("task stop", func() error {
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.task.Stop()
		})
		if r.errs.dlq != nil {
			r.ti.bounded("dead letter queue close", func() error {
				r.errs.dlq.close()
				return nil
			})
		}
	})
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
