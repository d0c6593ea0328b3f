package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

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
// to errors.deadletterqueue.topic.name. Writes are asynchronous and numbered; await tells when
// every write up to a number is acknowledged, which the sink waits for before it commits offsets
// past them, without holding up the records reported after that number.
type deadLetterQueue struct {
	topic    string
	headers  bool
	producer sarama.AsyncProducer
	done     chan struct{}

	mu    sync.Mutex
	acked *sync.Cond
	// reported is the number of the last record handed to the producer; every record up to
	// ackedThrough is acknowledged, and early holds the acknowledged ones above it.
	reported, ackedThrough uint64
	early                  map[uint64]struct{}
	err                    error
	// metrics counts the DLQ's writes and their failures; nil when metrics are off.
	metrics *metrics.Task
}

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
	conf, err := kafka.ProducerConfig(fmt.Sprintf("connector-dlq-producer-%s", ti.id), kafka.ConnectorClientProps(ti.w.cfg.WorkerProps, config, kafka.Producer))
	if err != nil {
		return nil, err
	}
	conf.Producer.RequiredAcks = sarama.WaitForAll
	// linger.ms as for the source producer: without it each dead letter went in a request of
	// its own, which cost the sink 8-17% of its records/s at 1% bad records; deliveries do not
	// wait for the DLQ, only the commit does.
	settings, err := kafka.ProducerSettingsFrom(ti.w.cfg.WorkerProps, config)
	if err != nil {
		return nil, err
	}
	conf.Producer.Flush.Frequency = settings.Linger
	conf.Producer.Return.Successes = true
	conf.Producer.Return.Errors = true
	producer, err := sarama.NewAsyncProducer(ti.w.cfg.BootstrapServers, conf)
	if err != nil {
		return nil, fmt.Errorf("create dead letter queue producer: %w", err)
	}
	q := &deadLetterQueue{metrics: ti.metrics, topic: topic, headers: strings.EqualFold(strings.TrimSpace(config["errors.deadletterqueue.context.headers.enable"]), "true"),
		producer: producer}
	q.start()
	return q, nil
}

// start collects the producer's acknowledgements.
func (q *deadLetterQueue) start() {
	q.done = make(chan struct{})
	q.early = map[uint64]struct{}{}
	q.acked = sync.NewCond(&q.mu)
	go q.collect()
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

// report queues d's record for the DLQ.
func (q *deadLetterQueue) report(d deadLetter) {
	m := d.msg
	msg := &sarama.ProducerMessage{Topic: q.topic, Timestamp: m.Timestamp}
	if m.Key != nil {
		msg.Key = sarama.ByteEncoder(m.Key)
	}
	if m.Value != nil {
		msg.Value = sarama.ByteEncoder(m.Value)
	}
	for _, h := range m.Headers {
		msg.Headers = append(msg.Headers, *h)
	}
	if q.headers {
		add := func(k, v string) {
			msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
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
	q.mu.Lock()
	q.reported++
	msg.Metadata = q.reported
	q.mu.Unlock()
	q.producer.Input() <- msg
}

// mark is the number of the last record reported so far, for await.
func (q *deadLetterQueue) mark() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.reported
}

// collect counts acknowledgements and keeps the first failed write's error.
func (q *deadLetterQueue) collect() {
	defer close(q.done)
	successes, errs := q.producer.Successes(), q.producer.Errors()
	for successes != nil || errs != nil {
		var (
			msg *sarama.ProducerMessage
			err error
		)
		select {
		case m, ok := <-successes:
			if !ok {
				successes = nil
				continue
			}
			msg = m
		case e, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			msg, err = e.Msg, e.Err
		}
		q.metrics.DeadLettered(err)
		q.mu.Lock()
		if n, ok := metadataOf(msg).(uint64); ok {
			q.early[n] = struct{}{}
			for {
				if _, ok := q.early[q.ackedThrough+1]; !ok {
					break
				}
				delete(q.early, q.ackedThrough+1)
				q.ackedThrough++
			}
		}
		if err != nil && q.err == nil {
			q.err = fmt.Errorf("Could not produce message to dead letter queue. topic=%s: %w", q.topic, err)
		}
		q.acked.Broadcast()
		q.mu.Unlock()
	}
}

// metadataOf is a message's Metadata, nil for no message.
func metadataOf(msg *sarama.ProducerMessage) any {
	if msg == nil {
		return nil
	}
	return msg.Metadata
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

// close stops the producer after it has sent what it holds.
func (q *deadLetterQueue) close() {
	q.producer.AsyncClose()
	<-q.done
}
