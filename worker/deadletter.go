package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/kafka"
	"github.com/connectd/connectd/metrics"
)

// The headers Kafka Connect adds to a dead-letter record when
// errors.deadletterqueue.context.headers.enable is true.
const (
	headerTopic            = "__connect.errors.topic"
	headerPartition        = "__connect.errors.partition"
	headerOffset           = "__connect.errors.offset"
	headerConnector        = "__connect.errors.connector.name"
	headerTask             = "__connect.errors.task.id"
	headerStage            = "__connect.errors.stage"
	headerClass            = "__connect.errors.class.name"
	headerExceptionClass   = "__connect.errors.exception.class.name"
	headerExceptionMessage = "__connect.errors.exception.message"
	headerExceptionTrace   = "__connect.errors.exception.stacktrace"
)

// deadLetter is one failed consumed record and why it failed.
type deadLetter struct {
	msg       *sarama.ConsumerMessage
	connector string
	task      int
	stage     Stage
	class     string
	err       error
}

// deadLetterQueue writes a sink's failed records, with their original key, value and headers,
// to errors.deadletterqueue.topic.name, through a batch producer of its own (the one source
// tasks use: sarama's AsyncProducer cost the sink a tenth of its records/s at 1% dead letters).
// Writes are asynchronous and numbered; await tells when every write up to a number is
// acknowledged, which the sink waits for before it commits offsets past them, without holding
// up the records reported after that number.
type deadLetterQueue struct {
	topic    string
	headers  bool
	producer recordSender
	// release gives back the producer's connections.
	release func()
	// ctx bounds a report's wait for room in the producer's buffer or for the topic's
	// metadata; close ends it. It is not the consumer session's: a report cut short by a
	// rebalance would fail the DLQ for good.
	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.Mutex
	acked *sync.Cond
	// pending holds the writes not yet acknowledged, in the order of their numbers: reported
	// is the number of the last one, and every write up to ackedThrough is acknowledged.
	pending                ring
	reported, ackedThrough uint64
	err                    error
	// metrics counts the DLQ's writes and their failures; nil when metrics are off.
	metrics *metrics.Task
}

// recordSender is what the DLQ needs of its producer (batchProducer); acknowledgements come
// back through the DLQ's ack and fail.
type recordSender interface {
	send(ctx context.Context, msgs []message, acks []submitted) (int, error)
	close()
}

// errDeadLetterQueueClosed is the fate of the writes still unsent when the DLQ closes.
var errDeadLetterQueueClosed = errors.New("the dead letter queue closed before the record was written")

// openDeadLetterQueue creates the DLQ topic when it is missing and starts its producer.
func openDeadLetterQueue(ti *taskInstance, config map[string]string) (*deadLetterQueue, error) {
	topic := strings.TrimSpace(config["errors.deadletterqueue.topic.name"])
	rf := int16(3)
	if v := strings.TrimSpace(config["errors.deadletterqueue.topic.replication.factor"]); v != "" {
		n, err := strconv.ParseInt(v, 10, 16)
		if err != nil || n == 0 || n < -1 {
			return nil, fmt.Errorf("Invalid value %s for configuration errors.deadletterqueue.topic.replication.factor: must be a positive short or -1", v)
		}
		rf = int16(n)
	}
	settings, err := kafka.ProducerSettingsFrom(ti.w.cfg.WorkerProps, config)
	if err != nil {
		return nil, err
	}
	adminConf, err := kafka.AdminConfig(fmt.Sprintf("connector-dlq-adminclient-%s", ti.id), kafka.ConnectorClientProps(ti.w.cfg.WorkerProps, config, kafka.Admin))
	if err != nil {
		return nil, err
	}
	admin, err := sarama.NewClusterAdmin(ti.w.cfg.BootstrapServers, adminConf)
	if err != nil {
		return nil, fmt.Errorf("create admin client for the dead letter queue: %w", err)
	}
	err = createDeadLetterTopic(admin, topic, rf)
	_ = admin.Close()
	if err != nil {
		return nil, err
	}
	client, release, err := ti.w.connectorProducerClient(fmt.Sprintf("connector-dlq-producer-%s", ti.id), config)
	if err != nil {
		return nil, fmt.Errorf("create dead letter queue producer: %w", err)
	}
	q := newDeadLetterQueue(topic, strings.EqualFold(strings.TrimSpace(config["errors.deadletterqueue.context.headers.enable"]), "true"), ti.metrics)
	// The task's permit gates the DLQ's requests as it gates the source producer's: a task
	// frozen past its lease writes nothing more anywhere.
	q.producer, q.release = newBatchProducer(client, settings, ti.permit, ti.logger, q, q.producerFailed), release
	return q, nil
}

func newDeadLetterQueue(topic string, headers bool, m *metrics.Task) *deadLetterQueue {
	q := &deadLetterQueue{topic: topic, headers: headers, metrics: m, release: func() {}}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	q.acked = sync.NewCond(&q.mu)
	return q
}

func createDeadLetterTopic(admin sarama.ClusterAdmin, topic string, rf int16) error {
	topics, err := admin.ListTopics()
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	if _, ok := topics[topic]; ok {
		return nil
	}
	err = admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: rf}, false)
	if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		return fmt.Errorf("Could not initialize dead letter queue with topic=%s: %w", topic, err)
	}
	return nil
}

// report queues d's record for the DLQ, waiting while the producer's buffer is full. A write
// that cannot be queued (the producer failed or closed) is the DLQ's failure, which await returns.
func (q *deadLetterQueue) report(d deadLetter) {
	m := d.msg
	// Kafka Connect keeps the record's timestamp, or stamps one that has none.
	ts := m.Timestamp
	if ts.IsZero() {
		ts = time.Now()
	}
	msg := message{topic: q.topic, partition: -1, key: m.Key, value: m.Value, timestamp: ts}
	msg.headers = append(msg.headers, m.Headers...)
	if q.headers {
		add := func(k, v string) {
			msg.headers = append(msg.headers, &sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
		}
		add(headerTopic, m.Topic)
		add(headerPartition, strconv.Itoa(int(m.Partition)))
		add(headerOffset, strconv.FormatInt(m.Offset, 10))
		add(headerConnector, d.connector)
		add(headerTask, strconv.Itoa(d.task))
		add(headerStage, string(d.stage))
		add(headerClass, d.class)
		add(headerExceptionClass, exceptionClass(d.stage, d.err))
		add(headerExceptionMessage, d.err.Error())
		add(headerExceptionTrace, stackTrace(d.stage, d.err))
	}
	ack := make([]submitted, 1)
	q.mu.Lock()
	q.reported++
	q.pending.push(&ack[0])
	q.mu.Unlock()
	if _, err := q.producer.send(q.ctx, []message{msg}, ack); err != nil {
		q.metrics.DeadLettered(err)
		q.setErr(err)
	}
}

// mark is the number of the last record reported so far, for await.
func (q *deadLetterQueue) mark() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.reported
}

// ack counts acknowledged writes (the producer's acknowledger).
func (q *deadLetterQueue) ack(recs ...*submitted) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, rec := range recs {
		rec.acked = true
		q.metrics.DeadLettered(nil)
	}
	for q.pending.size > 0 && q.pending.front().acked {
		q.pending.pop()
		q.ackedThrough++
	}
	q.acked.Broadcast()
}

// fail counts n writes the producer gave up (the producer's acknowledger): they never count as
// acknowledged, so await returns the DLQ's error from then on.
func (q *deadLetterQueue) fail(n int) {
	q.setErr(errDeadLetterQueueClosed)
	for range n {
		q.metrics.DeadLettered(errDeadLetterQueueClosed)
	}
}

// producerFailed keeps the error Kafka refused the DLQ's records with; the producer gives up
// its records after it.
func (q *deadLetterQueue) producerFailed(err error) { q.setErr(err) }

// setErr keeps the DLQ's first failed write, which fails the task at its next flush.
func (q *deadLetterQueue) setErr(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err == nil {
		q.err = fmt.Errorf("Could not produce message to dead letter queue. topic=%s: %w", q.topic, err)
	}
	q.acked.Broadcast()
}

// await waits until every record up to number through is acknowledged, and returns the first
// write error, which the task must fail with: offsets past a record not in the DLQ must not be
// committed.
func (q *deadLetterQueue) await(ctx context.Context, through uint64) error {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.acked.Broadcast()
		q.mu.Unlock()
	})
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.ackedThrough < through && q.err == nil && ctx.Err() == nil {
		q.acked.Wait()
	}
	if q.err != nil {
		return q.err
	}
	if q.ackedThrough < through {
		return ctx.Err()
	}
	return nil
}

// close stops the producer and gives back its connections. The sink commits nothing past a
// write not acknowledged by then, so a write given up here is made again after a restart.
func (q *deadLetterQueue) close() {
	q.cancel()
	q.producer.close()
	q.release()
}
