package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

func TestPermitHoldsWorkWhileLapsedAndAfterARenewalUntilAuthorized(t *testing.T) {
	l := newLease()
	p := newPermit(l, l.current().epoch)
	done := make(chan struct{})
	time.AfterFunc(100*time.Millisecond, func() { close(done) })
	if p.await(done) {
		t.Fatal("a lease never granted must hold the task until it is stopped")
	}

	l.extend(time.Now(), time.Minute)
	p.authorize(l.current().epoch)
	if !p.await(nil) {
		t.Fatal("a valid lease in the permit's epoch must let the task go on")
	}

	l.extend(time.Now().Add(-2*time.Second), time.Second)
	released := make(chan bool)
	go func() { released <- p.await(nil) }()
	select {
	case <-released:
		t.Fatal("a lapsed lease let the task go on")
	case <-time.After(100 * time.Millisecond):
	}
	l.extend(time.Now(), time.Minute)
	select {
	case <-released:
		t.Fatal("a renewal after a lapse let the task go on before the worker authorized it again")
	case <-time.After(100 * time.Millisecond):
	}
	p.authorize(l.current().epoch)
	if !<-released {
		t.Fatal("an authorized permit must release the task")
	}
}

func TestRenewalBeforeExpiryKeepsTheEpoch(t *testing.T) {
	l := newLease()
	l.extend(time.Now(), time.Minute)
	before := l.current().epoch
	l.extend(time.Now(), time.Minute)
	if got := l.current().epoch; got != before {
		t.Fatalf("a renewal of a valid lease started epoch %d (was %d): running work would stall until the next reconcile", got, before)
	}
}

func TestFailedRenewalIsRetriedWithoutWaitingAnInterval(t *testing.T) {
	var calls atomic.Int32
	w := &Worker{
		cfg:    Config{HeartbeatInterval: time.Minute, SessionTimeout: 2 * time.Minute},
		logger: slog.New(slog.DiscardHandler),
		lease:  newLease(),
		deps: Deps{Heartbeat: func(context.Context) error {
			if calls.Add(1) <= 2 {
				return errors.New("no known leader")
			}
			return nil
		}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.renewLease(ctx)

	deadline := time.Now().Add(2 * time.Second)
	for !w.lease.valid(time.Now()) {
		if time.Now().After(deadline) {
			t.Fatalf("no lease 2 s after start with a 1 min heartbeat interval (%d renewals tried): a failed renewal waited for the next interval", calls.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := calls.Load(); n != 3 {
		t.Fatalf("%d renewals, want 3: once granted, the next renewal waits for the interval", n)
	}
}
