package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// heldSender keeps every write's acknowledgement entry for the test, which settles them in the
// order it likes through the queue's ack and fail, as the producer would.
type heldSender struct {
	acks   []*submitted
	refuse error
}

func (s *heldSender) send(_ context.Context, msgs []message, acks []submitted) (int, error) {
	if s.refuse != nil {
		return 0, s.refuse
	}
	for i := range msgs {
		s.acks = append(s.acks, &acks[i])
	}
	return len(msgs), nil
}

func (s *heldSender) close() {}

func awaitQuickly(q *deadLetterQueue, through uint64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	return q.await(ctx, through)
}

func reportBad(q *deadLetterQueue) {
	q.report(deadLetter{msg: &sarama.ConsumerMessage{Topic: "t", Value: []byte("v")}, stage: StageValueConverter, err: errors.New("bad")})
}

// A flush waits for the records reported before it, and only for those: an acknowledgement out
// of order does not count for the records before it, and records reported later do not hold it up.
func TestDeadLetterAwaitCoversOnlyEarlierReports(t *testing.T) {
	s := &heldSender{}
	q := newDeadLetterQueue("dlq", false, nil)
	q.producer = s
	reportBad(q)
	reportBad(q)
	through := q.mark()
	reportBad(q)
	if through != 2 || len(s.acks) != 3 {
		t.Fatalf("mark after two reports = %d with %d writes sent, want 2 and 3", through, len(s.acks))
	}
	first, second := s.acks[0], s.acks[1]

	q.ack(second)
	if err := awaitQuickly(q, through); err == nil {
		t.Fatal("await returned with the first record unacknowledged")
	}
	q.ack(first)
	if err := awaitQuickly(q, through); err != nil {
		t.Fatalf("await with both records acknowledged: %v", err)
	}
	if err := awaitQuickly(q, q.mark()); err == nil {
		t.Fatal("await for the third record returned before its acknowledgement")
	}
	q.producerFailed(sarama.ErrNotEnoughReplicas)
	q.fail(1)
	if err := awaitQuickly(q, q.mark()); !errors.Is(err, sarama.ErrNotEnoughReplicas) {
		t.Fatalf("await after a failed write = %v, want the write's error", err)
	}
}

// A write the producer does not take (it closed or failed) is never taken for acknowledged:
// await returns the refusal instead of letting the sink commit past the record.
func TestDeadLetterRefusedWriteFailsAwait(t *testing.T) {
	s := &heldSender{refuse: errProducerClosed}
	q := newDeadLetterQueue("dlq", false, nil)
	q.producer = s
	reportBad(q)
	if err := awaitQuickly(q, q.mark()); !errors.Is(err, errProducerClosed) {
		t.Fatalf("await after a refused write = %v, want the producer's refusal", err)
	}
}

// Writes given up unsent (the producer closed) fail await even without an error from Kafka.
func TestDeadLetterGivenUpWriteFailsAwait(t *testing.T) {
	s := &heldSender{}
	q := newDeadLetterQueue("dlq", false, nil)
	q.producer = s
	reportBad(q)
	q.fail(1)
	if err := awaitQuickly(q, q.mark()); !errors.Is(err, errDeadLetterQueueClosed) {
		t.Fatalf("await after a write was given up = %v, want %v", err, errDeadLetterQueueClosed)
	}
}

// fullSender never has room: a write waits until its context ends.
type fullSender struct{}

func (fullSender) send(ctx context.Context, _ []message, _ []submitted) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

func (fullSender) close() {}

// A report waiting for room in the producer's buffer is released when the DLQ closes, and
// the write counts as failed.
func TestDeadLetterCloseReleasesAWaitingReport(t *testing.T) {
	q := newDeadLetterQueue("dlq", false, nil)
	q.producer = fullSender{}
	done := make(chan struct{})
	go func() {
		reportBad(q)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("report returned while the producer had no room")
	case <-time.After(50 * time.Millisecond):
	}
	q.close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("report still waiting after the DLQ closed")
	}
	if err := awaitQuickly(q, q.mark()); err == nil {
		t.Fatal("await succeeded for a write that was never made")
	}
}
