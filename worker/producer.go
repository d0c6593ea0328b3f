package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/kafka"
	"github.com/connectd/connectd/metrics"
)

// batchProducer is a source task's producer: idempotent, acks=all, at most one batch in flight
// per partition, so that a batch retried after any error keeps its sequence numbers and the
// broker drops it when it already has it. It builds the record batches itself: sarama's
// AsyncProducer hands each record through several goroutines and channels, which cost three
// times the CPU of the task's own work and kept the file -> topic row at a fifth of kcat's.
// Like Kafka Connect's producer it retries retriable errors until it is closed; any other
// error fails every record it holds and is reported once to failed.
type batchProducer struct {
	client   sarama.Client
	settings kafka.ProducerSettings
	// gate holds every request until the moment it is sent: a request built before a freeze
	// must not reach Kafka after the task's work moved.
	gate    gate
	logger  *slog.Logger
	records acknowledger
	failed  func(error)
	// skipRefused, when set (errors.tolerance=all), is handed each batch that Kafka refuses for
	// good with an error about its records (refusedForGood): the batch is skipped and its
	// records acknowledged instead of failing the producer, as Kafka Connect's send callback
	// does under ToleranceType.ALL (KIP-779). It is called without the producer's lock held.
	skipRefused func(topic string, partition int32, records []sarama.Record, err error)
	pid         int64
	epoch       int16
	// metrics and node count acknowledged records and batch sizes; nil when metrics are off.
	metrics *metrics.Task
	node    *metrics.Node

	mu         sync.Mutex
	changed    *sync.Cond
	partitions map[topicPartition]*partitionLog
	sticky     map[string]int32
	// last and lastSticky are the previous record's partition and its topic's sticky choice:
	// records mostly follow each other to one partition, and the map lookups per record
	// showed in the profile.
	last       *partitionLog
	lastSticky struct {
		topic     string
		partition int32
		set       bool
	}
	free       []*recordBatch
	wakeAt     time.Time
	buffered   int
	err        error
	closed     bool
	sending    bool
	requests   sync.WaitGroup
	stop       chan struct{}
	senderDone chan struct{}
}

// acknowledger learns what became of the records a batchProducer took: each acknowledged one
// by its entry, and how many were given up unsent. Source offsets (submittedRecords) and the
// dead-letter queue's numbered writes are its two kinds.
type acknowledger interface {
	ack(recs ...*submitted)
	fail(n int)
}

type topicPartition struct {
	topic     string
	partition int32
}

// gate holds a step until it may be taken; await reports false when done closes first.
type gate interface {
	await(done <-chan struct{}) bool
}

// partitionLog holds one partition's records in order: sealed batches, then the open one.
type partitionLog struct {
	tp       topicPartition
	sealed   []*recordBatch
	open     *recordBatch
	inFlight bool
	// lastCount is the size of the last batch, to allocate the next one at once.
	lastCount int
	retryAt   time.Time
	backoff   time.Duration
	sequence  int32
}

type recordBatch struct {
	records  []sarama.Record
	acks     []*submitted
	base     time.Time
	max      time.Time
	created  time.Time
	bytes    int
	sequence int32
}

const (
	// recordOverhead is a record's framing in a batch, at most.
	recordOverhead = 21
	// produceVersion is the Produce request of Kafka 2.1, the oldest Kafka 4 accepts.
	produceVersion = 7
	maxFree        = 4
	retryBackoff   = 100 * time.Millisecond
	maxBackoff     = time.Second
)

var errProducerClosed = errors.New("producer closed")

func newBatchProducer(client sarama.Client, settings kafka.ProducerSettings, gate gate, logger *slog.Logger, records acknowledger, failed func(error)) *batchProducer {
	p := &batchProducer{client: client, settings: settings, gate: gate, logger: logger, records: records, failed: failed,
		partitions: map[topicPartition]*partitionLog{}, sticky: map[string]int32{}, stop: make(chan struct{}), senderDone: make(chan struct{})}
	p.changed = sync.NewCond(&p.mu)
	return p
}

// initProducerID gets the producer's id, trying again until it succeeds, as Kafka's producer
// does: a broker restarting, or connections left from before it restarted, must not fail the
// task. Records wait in the buffer meanwhile.
func (p *batchProducer) initProducerID() bool {
	for backoff := retryBackoff; ; backoff = min(2*backoff, maxBackoff) {
		id, err := p.client.InitProducerID()
		if err == nil && !errors.Is(id.Err, sarama.ErrNoError) {
			err = id.Err
		}
		if err == nil {
			p.pid, p.epoch = id.ProducerID, id.ProducerEpoch
			return true
		}
		if !retriable(err) && !errors.Is(err, sarama.ErrOutOfBrokers) {
			p.mu.Lock()
			p.fail(fmt.Errorf("init producer id: %w", err))
			p.mu.Unlock()
			return false
		}
		p.logger.Warn("getting a producer id failed; will retry", "err", err, "backoff", backoff)
		// Connections from before a broker restart are dropped by now; find the brokers again.
		_ = p.client.RefreshMetadata()
		select {
		case <-p.stop:
			return false
		case <-time.After(backoff):
		}
	}
}

// message is one record for Kafka; partition is -1 when the producer chooses it.
type message struct {
	topic     string
	partition int32
	key       []byte
	value     []byte
	headers   []*sarama.RecordHeader
	timestamp time.Time
}

// send adds records to their partitions' open batches, in order, waiting while the buffer is
// full; acks[i] acknowledges msgs[i]. It returns how many it took, and an error when ctx ends
// first, when a record can never be sent, or when the producer failed or closed: the records
// it did not take are not the producer's to acknowledge.
func (p *batchProducer) send(ctx context.Context, msgs []message, acks []submitted) (int, error) {
	// Records mostly follow a record of the same topic: a lookup per record showed in the profile.
	sameTopic := func(i int) bool { return i > 0 && msgs[i].topic == msgs[i-1].topic }
	counts := map[string]int32{}
	for i, msg := range msgs {
		if sameTopic(i) {
			continue
		}
		if _, ok := counts[msg.topic]; !ok {
			n, err := p.partitionCount(ctx, msg.topic)
			if err != nil {
				return 0, err
			}
			counts[msg.topic] = n
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.sending && !p.closed {
		// The sender starts with the first records: an idle task costs no goroutine.
		p.sending = true
		go p.sendLoop()
	}
	var n int32
	for i := range msgs {
		if !sameTopic(i) {
			n = counts[msgs[i].topic]
		}
		if err := p.add(ctx, &msgs[i], n, &acks[i]); err != nil {
			return i, err
		}
	}
	return len(msgs), nil
}

func (p *batchProducer) add(ctx context.Context, msg *message, n int32, ack *submitted) error {
	size, err := p.checkSize(msg)
	if err != nil {
		return err
	}
	waited := false
	if p.buffered+size > p.settings.BufferBytes && p.buffered > 0 {
		stop := context.AfterFunc(ctx, p.wake)
		for p.buffered+size > p.settings.BufferBytes && p.buffered > 0 && p.err == nil && !p.closed && ctx.Err() == nil {
			p.changed.Wait()
		}
		stop()
		waited = true
	}
	switch {
	case p.err != nil:
		return p.err
	case p.closed:
		return errProducerClosed
	case waited && ctx.Err() != nil:
		return ctx.Err()
	}
	partition := msg.partition
	switch {
	case partition >= n:
		return fmt.Errorf("Invalid partition given with record: %d is not in the range [0...%d].", partition, n-1)
	case partition >= 0:
	case msg.key != nil:
		partition = int32(positive(murmur2(msg.key)) % uint32(n))
	default:
		partition = p.stickyPartition(msg.topic, n)
	}
	log := p.last
	if log == nil || log.tp.partition != partition || log.tp.topic != msg.topic {
		tp := topicPartition{msg.topic, partition}
		if log = p.partitions[tp]; log == nil {
			log = &partitionLog{tp: tp}
			p.partitions[tp] = log
		}
		p.last = log
	}
	becameSendable := log.open == nil && len(log.sealed) == 0 && !log.inFlight
	if log.open != nil && log.open.bytes+size > p.settings.BatchBytes {
		p.seal(log)
	}
	b := log.open
	if b == nil {
		b = p.newBatch(log.lastCount)
		b.base, b.max, b.created = msg.timestamp, msg.timestamp, time.Now()
		log.open = b
	}
	b.records = append(b.records, sarama.Record{Key: msg.key, Value: msg.value, Headers: msg.headers,
		TimestampDelta: msg.timestamp.Sub(b.base), OffsetDelta: int64(len(b.records))})
	b.acks = append(b.acks, ack)
	if msg.timestamp.After(b.max) {
		b.max = msg.timestamp
	}
	b.bytes += size
	p.buffered += size
	if becameSendable {
		p.changed.Broadcast()
	}
	return nil
}

// partitionCount waits for the topic's metadata as Kafka Connect's producer does (it never
// gives up), so that a topic created a moment later is still written.
func (p *batchProducer) partitionCount(ctx context.Context, topic string) (int32, error) {
	for warned := false; ; {
		partitions, err := p.client.Partitions(topic)
		if err == nil && len(partitions) > 0 {
			return int32(len(partitions)), nil
		}
		if errors.Is(err, sarama.ErrClosedClient) || errors.Is(err, sarama.ErrInvalidTopic) {
			return 0, err
		}
		if !warned {
			p.logger.Warn("waiting for the topic's metadata", "topic", topic, "err", err)
			warned = true
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(retryBackoff):
		}
	}
}

// stickyPartition is where records without key or partition go: one partition until its
// batch closes, then one chosen at random, as Kafka's producer does.
func (p *batchProducer) stickyPartition(topic string, n int32) int32 {
	if l := &p.lastSticky; l.set && l.topic == topic && l.partition < n {
		return l.partition
	}
	s, ok := p.sticky[topic]
	if !ok || s >= n {
		s = rand.Int32N(n)
		p.sticky[topic] = s
	}
	p.lastSticky.topic, p.lastSticky.partition, p.lastSticky.set = topic, s, true
	return s
}

// seal closes a partition's open batch and numbers its records.
func (p *batchProducer) seal(log *partitionLog) {
	b := log.open
	log.open = nil
	log.lastCount = len(b.records)
	b.sequence = log.sequence
	log.sequence = nextSequence(log.sequence, len(b.records))
	log.sealed = append(log.sealed, b)
	if s, ok := p.sticky[log.tp.topic]; ok && s == log.tp.partition {
		delete(p.sticky, log.tp.topic)
		p.lastSticky.set = false
	}
}

// newBatch takes an acknowledged batch's memory when there is one: allocating and clearing
// each batch's records showed in the source's profile.
func (p *batchProducer) newBatch(capacity int) *recordBatch {
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		return b
	}
	return &recordBatch{records: make([]sarama.Record, 0, capacity), acks: make([]*submitted, 0, capacity)}
}

// reuse keeps a few acknowledged batches for newBatch. Their records still point at the
// sent values until overwritten, which holds at most maxFree batches' data a little longer.
func (p *batchProducer) reuse(b *recordBatch) {
	if len(p.free) < maxFree {
		*b = recordBatch{records: b.records[:0], acks: b.acks[:0]}
		p.free = append(p.free, b)
	}
}

// nextSequence follows Kafka's sequence numbers, which wrap to 0 after the largest int32.
func nextSequence(seq int32, n int) int32 {
	return int32((int64(seq) + int64(n)) % (1 << 31))
}

// wakeIn has the sender look again after d, unless it is to look sooner already.
func (p *batchProducer) wakeIn(now time.Time, d time.Duration) {
	at := now.Add(d)
	if !p.wakeAt.IsZero() && !p.wakeAt.After(at) {
		return
	}
	p.wakeAt = at
	time.AfterFunc(d, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.wakeAt.After(time.Now()) {
			p.wakeAt = time.Time{}
		}
		p.changed.Broadcast()
	})
}

func (p *batchProducer) wake() {
	p.mu.Lock()
	p.changed.Broadcast()
	p.mu.Unlock()
}

// sendLoop sends each partition's next batch whenever none of its batches is in flight, one
// request per broker for all the partitions it leads.
func (p *batchProducer) sendLoop() {
	defer close(p.senderDone)
	if !p.initProducerID() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		ready := p.takeReady(time.Now())
		if p.closed {
			return
		}
		if len(ready) == 0 {
			p.changed.Wait()
			continue
		}
		p.mu.Unlock()
		byBroker := map[*sarama.Broker][]outgoing{}
		var unknown []outgoing
		var leaderErr error
		for _, out := range ready {
			broker, err := p.client.Leader(out.log.tp.topic, out.log.tp.partition)
			if err != nil {
				unknown, leaderErr = append(unknown, out), err
				continue
			}
			byBroker[broker] = append(byBroker[broker], out)
		}
		for broker, batches := range byBroker {
			p.requests.Add(1)
			go p.produce(broker, batches)
		}
		if len(unknown) > 0 {
			p.refreshMetadata(unknown)
		}
		p.mu.Lock()
		for _, out := range unknown {
			if retriable(leaderErr) {
				p.retry(out.log, leaderErr)
			} else {
				out.log.inFlight = false
				p.fail(leaderErr)
			}
		}
	}
}

// outgoing is a partition's batch in flight.
type outgoing struct {
	log   *partitionLog
	batch *recordBatch
}

// takeReady marks the partitions whose next batch can go now as in flight.
func (p *batchProducer) takeReady(now time.Time) []outgoing {
	if p.closed || p.err != nil {
		return nil
	}
	var ready []outgoing
	for _, log := range p.partitions {
		if log.inFlight || now.Before(log.retryAt) {
			continue
		}
		if len(log.sealed) == 0 && log.open != nil {
			if wait := log.open.created.Add(p.settings.Linger).Sub(now); wait > 0 {
				p.wakeIn(now, wait)
				continue
			}
			p.seal(log)
		}
		if len(log.sealed) > 0 {
			log.inFlight = true
			ready = append(ready, outgoing{log, log.sealed[0]})
		}
	}
	return ready
}

// produce sends batches to their partitions' leader and settles the outcome.
func (p *batchProducer) produce(broker *sarama.Broker, batches []outgoing) {
	defer p.requests.Done()
	req := &sarama.ProduceRequest{RequiredAcks: sarama.WaitForAll, Timeout: int32(p.client.Config().Producer.Timeout / time.Millisecond), Version: produceVersion}
	for _, out := range batches {
		req.AddBatch(out.log.tp.topic, out.log.tp.partition, p.wireBatch(out.batch))
	}
	if !p.gate.await(p.stop) {
		// Closed while held: the batches were never sent, and close gives them up.
		p.mu.Lock()
		for _, out := range batches {
			out.log.inFlight = false
		}
		p.mu.Unlock()
		return
	}
	resp, err := broker.Produce(req)
	if err != nil {
		// The connection is gone or unusable; the client opens it again on the next send.
		_ = broker.Close()
	}
	var retries []outgoing
	errs := make([]error, len(batches))
	skipped := make([]bool, len(batches))
	for i, out := range batches {
		errs[i] = err
		if err == nil {
			if block := resp.GetBlock(out.log.tp.topic, out.log.tp.partition); block == nil {
				errs[i] = sarama.ErrIncompleteResponse
			} else if !errors.Is(block.Err, sarama.ErrNoError) && !errors.Is(block.Err, sarama.ErrDuplicateSequenceNumber) {
				errs[i] = block.Err
			}
		}
		if errs[i] != nil && retriable(errs[i]) {
			retries = append(retries, out)
		}
		if errs[i] != nil && p.skipRefused != nil && refusedForGood(errs[i]) && !splittable(out.batch, errs[i]) {
			skipped[i] = true
			p.skipRefused(out.log.tp.topic, out.log.tp.partition, out.batch.records, fmt.Errorf("%s-%d: %w", out.log.tp.topic, out.log.tp.partition, errs[i]))
		}
	}
	if len(retries) > 0 {
		p.refreshMetadata(retries)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, out := range batches {
		log := out.log
		switch {
		case errs[i] == nil:
			log.sealed = log.sealed[1:]
			log.inFlight, log.backoff = false, 0
			p.buffered -= out.batch.bytes
			p.records.ack(out.batch.acks...)
			p.metrics.Written(len(out.batch.records))
			p.node.ProducerBatch(len(out.batch.records))
			p.reuse(out.batch)
		case skipped[i]:
			p.skip(log, out.batch)
		case p.closed || p.err != nil:
			log.inFlight = false
			p.dropUnsent()
		case splittable(out.batch, errs[i]):
			p.split(log, out.batch)
		case retriable(errs[i]):
			p.retry(log, errs[i])
		default:
			log.inFlight = false
			p.fail(fmt.Errorf("%s-%d: %w", log.tp.topic, log.tp.partition, errs[i]))
		}
	}
	p.changed.Broadcast()
}

// skip gives up log's batch in flight, which Kafka refused and the task tolerates: its records
// count as acknowledged, so that their offsets commit, and the batches behind it take back its
// sequence numbers, since the broker did not append it and expects them next.
func (p *batchProducer) skip(log *partitionLog, b *recordBatch) {
	log.sealed = log.sealed[1:]
	log.inFlight, log.backoff = false, 0
	seq := b.sequence
	for _, next := range log.sealed {
		next.sequence = seq
		seq = nextSequence(seq, len(next.records))
	}
	log.sequence = seq
	p.buffered -= b.bytes
	p.records.ack(b.acks...)
	p.metrics.Unsent(len(b.records))
	p.reuse(b)
}

// splittable reports whether b, refused with err, is one that Kafka's producer splits and sends
// again: a batch of several records too large for the topic.
func splittable(b *recordBatch, err error) bool {
	return errors.Is(err, sarama.ErrMessageSizeTooLarge) && len(b.records) > 1
}

// split puts the two halves of log's batch in flight in its place, with its sequence numbers,
// to be sent next.
func (p *batchProducer) split(log *partitionLog, b *recordBatch) {
	half := len(b.records) / 2
	second := &recordBatch{records: make([]sarama.Record, 0, len(b.records)-half), acks: append([]*submitted(nil), b.acks[half:]...),
		base: b.base, created: b.created, sequence: nextSequence(b.sequence, half)}
	for i, r := range b.records[half:] {
		r.OffsetDelta = int64(i)
		second.records = append(second.records, r)
		second.bytes += recordSize(r.Key, r.Value, r.Headers)
	}
	b.records, b.acks, b.bytes = b.records[:half], b.acks[:half], b.bytes-second.bytes
	b.max, second.max = maxTimestamp(b), maxTimestamp(second)
	log.sealed = append([]*recordBatch{b, second}, log.sealed[1:]...)
	log.inFlight = false
	p.logger.Warn("the broker found a batch too large; sending it again in two", "topic", log.tp.topic, "partition", log.tp.partition, "records", half+len(second.records))
}

func maxTimestamp(b *recordBatch) time.Time {
	latest := b.base
	for _, r := range b.records {
		if t := b.base.Add(r.TimestampDelta); t.After(latest) {
			latest = t
		}
	}
	return latest
}

func (p *batchProducer) wireBatch(b *recordBatch) *sarama.RecordBatch {
	records := make([]*sarama.Record, len(b.records))
	for i := range b.records {
		records[i] = &b.records[i]
	}
	return &sarama.RecordBatch{Version: 2, ProducerID: p.pid, ProducerEpoch: p.epoch, FirstSequence: b.sequence,
		FirstTimestamp: b.base, MaxTimestamp: b.max, LastOffsetDelta: int32(len(records) - 1), Records: records,
		Codec: p.settings.Codec, CompressionLevel: sarama.CompressionLevelDefault}
}

// retry sends log's batch again after a backoff that doubles up to a second.
func (p *batchProducer) retry(log *partitionLog, err error) {
	log.inFlight = false
	log.backoff = min(max(2*log.backoff, retryBackoff), maxBackoff)
	log.retryAt = time.Now().Add(log.backoff)
	p.logger.Warn("producing failed; will retry", "topic", log.tp.topic, "partition", log.tp.partition, "err", err, "backoff", log.backoff)
	time.AfterFunc(log.backoff, p.wake)
}

func (p *batchProducer) refreshMetadata(batches []outgoing) {
	topics := make([]string, 0, len(batches))
	for _, out := range batches {
		topics = append(topics, out.log.tp.topic)
	}
	if err := p.client.RefreshMetadata(topics...); err != nil {
		p.logger.Debug("metadata refresh failed", "err", err)
	}
}

// fail gives up every record not in flight; the first error is reported, and the batches in
// flight are given up as their responses come.
func (p *batchProducer) fail(err error) {
	if p.err == nil {
		p.err = err
		p.failed(err)
	}
	p.dropUnsent()
}

// dropUnsent forgets the records of every batch not in flight.
func (p *batchProducer) dropUnsent() {
	for tp, log := range p.partitions {
		if log.inFlight {
			continue
		}
		if log.open != nil {
			log.sealed = append(log.sealed, log.open)
			log.open = nil
		}
		for _, b := range log.sealed {
			p.buffered -= b.bytes
			p.records.fail(len(b.acks))
		}
		delete(p.partitions, tp)
	}
}

// close stops sending, waits for the requests in flight and gives up what was not sent. It may
// be called more than once.
func (p *batchProducer) close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.stop)
	}
	p.changed.Broadcast()
	sending := p.sending
	p.mu.Unlock()
	if sending {
		<-p.senderDone
	}
	p.requests.Wait()
	p.mu.Lock()
	p.dropUnsent()
	p.mu.Unlock()
}

// retriable reports whether Kafka's producer retries err: a broker that is not (or no longer)
// the leader, one that is unreachable, or a request that timed out.
func retriable(err error) bool {
	var kerr sarama.KError
	if !errors.As(err, &kerr) {
		var encoding sarama.PacketEncodingError
		return !errors.Is(err, sarama.ErrClosedClient) && !errors.As(err, &encoding)
	}
	switch kerr {
	case sarama.ErrNotLeaderForPartition, sarama.ErrLeaderNotAvailable, sarama.ErrUnknownTopicOrPartition,
		sarama.ErrRequestTimedOut, sarama.ErrNotEnoughReplicas, sarama.ErrNotEnoughReplicasAfterAppend,
		sarama.ErrKafkaStorageError, sarama.ErrReplicaNotAvailable, sarama.ErrBrokerNotAvailable,
		sarama.ErrNetworkException, sarama.ErrFencedLeaderEpoch, sarama.ErrUnknownLeaderEpoch,
		sarama.ErrInvalidMessage:
		return true
	}
	return false
}

// refusedForGood reports whether err is Kafka refusing a batch's records themselves, which
// leaves the producer able to go on with later batches: a record too large for the topic,
// invalid or with an invalid timestamp, or a topic it may not write. Other errors that are not
// retriable (a fenced or unknown producer, a cluster authorization failure) fail the producer
// even under errors.tolerance=all: skipping every record after them would lose them all.
func refusedForGood(err error) bool {
	var kerr sarama.KError
	if !errors.As(err, &kerr) {
		return false
	}
	switch kerr {
	case sarama.ErrMessageSizeTooLarge, sarama.ErrMessageSetSizeTooLarge, sarama.ErrInvalidRecord,
		sarama.ErrInvalidTimestamp, sarama.ErrInvalidTopic, sarama.ErrTopicAuthorizationFailed:
		return true
	}
	return false
}

// checkSize returns a message's size in a batch, and Kafka's error when it exceeds
// max.request.size, a refusal for good.
func (p *batchProducer) checkSize(msg *message) (int, error) {
	size := recordSize(msg.key, msg.value, msg.headers)
	if size > p.settings.MaxRequestBytes {
		return size, fmt.Errorf("The message is %d bytes when serialized which is larger than %d, which is the value of the max.request.size configuration.", size, p.settings.MaxRequestBytes)
	}
	return size, nil
}

// recordSize is a record's size in a batch, at most.
func recordSize(key, value []byte, headers []*sarama.RecordHeader) int {
	size := len(key) + len(value) + recordOverhead
	for _, h := range headers {
		size += len(h.Key) + len(h.Value) + 10
	}
	return size
}

// murmur2 is the hash of Kafka's default partitioner, so that keyed records land where a Java
// producer would put them.
func murmur2(data []byte) uint32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
		r    = 24
	)
	h := uint32(seed) ^ uint32(len(data))
	n := len(data) &^ 3
	for i := 0; i < n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	switch len(data) & 3 {
	case 3:
		h ^= uint32(data[n+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[n+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[n])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

func positive(h uint32) uint32 { return h & 0x7fffffff }
