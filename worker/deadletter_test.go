package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// heldProducer hands every message to the test, which acknowledges them in the order it likes.
type heldProducer struct {
	sarama.AsyncProducer
	input     chan *sarama.ProducerMessage
	successes chan *sarama.ProducerMessage
	errs      chan *sarama.ProducerError
}

func newHeldProducer() *heldProducer {
	return &heldProducer{input: make(chan *sarama.ProducerMessage, 10), successes: make(chan *sarama.ProducerMessage),
		errs: make(chan *sarama.ProducerError)}
}

func (p *heldProducer) Input() chan<- *sarama.ProducerMessage     { return p.input }
func (p *heldProducer) Successes() <-chan *sarama.ProducerMessage { return p.successes }
func (p *heldProducer) Errors() <-chan *sarama.ProducerError      { return p.errs }
func (p *heldProducer) AsyncClose()                               { close(p.successes); close(p.errs) }

func awaitQuickly(q *deadLetterQueue, through uint64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	return q.await(ctx, through)
}

// A flush waits for the records reported before it, and only for those: an acknowledgement out
// of order does not count for the records before it, and records reported later do not hold it up.
func TestDeadLetterAwaitCoversOnlyEarlierReports(t *testing.T) {
	p := newHeldProducer()
	q := &deadLetterQueue{topic: "dlq", producer: p}
	q.start()
	defer q.close()
	report := func() *sarama.ProducerMessage {
		q.report(deadLetter{msg: &sarama.ConsumerMessage{Topic: "t", Value: []byte("v")}, stage: StageValueConverter, err: errors.New("bad")})
		return <-p.input
	}
	first, second := report(), report()
	through := q.mark()
	third := report()
	if through != 2 {
		t.Fatalf("mark after two reports = %d, want 2", through)
	}

	p.successes <- second
	if err := awaitQuickly(q, through); err == nil {
		t.Fatal("await returned with the first record unacknowledged")
	}
	p.successes <- first
	if err := awaitQuickly(q, through); err != nil {
		t.Fatalf("await with both records acknowledged: %v", err)
	}
	if err := awaitQuickly(q, q.mark()); err == nil {
		t.Fatal("await for the third record returned before its acknowledgement")
	}
	p.errs <- &sarama.ProducerError{Msg: third, Err: sarama.ErrNotEnoughReplicas}
	if err := awaitQuickly(q, q.mark()); !errors.Is(err, sarama.ErrNotEnoughReplicas) {
		t.Fatalf("await after a failed write = %v, want the write's error", err)
	}
}
