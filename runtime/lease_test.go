package runtime

import (
	"context"
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
