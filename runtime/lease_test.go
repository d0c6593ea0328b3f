package runtime

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

func TestLeaseAwaitHoldsWorkWhileLapsed(t *testing.T) {
	l := newLease()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if l.await(ctx) {
		t.Fatal("a lease never granted must hold the task until it is stopped")
	}

	l.extend(time.Now(), time.Minute)
	if !l.await(context.Background()) {
		t.Fatal("a valid lease must let the task go on")
	}

	l.extend(time.Now().Add(-2*time.Second), time.Second)
	released := make(chan bool)
	go func() { released <- l.await(context.Background()) }()
	select {
	case <-released:
		t.Fatal("a lapsed lease let the task go on")
	case <-time.After(100 * time.Millisecond):
	}
	l.extend(time.Now(), time.Minute)
	if !<-released {
		t.Fatal("a renewed lease must release the task")
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
