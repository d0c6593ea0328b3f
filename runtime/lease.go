package runtime

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// leaseRetry is how soon a failed lease renewal is tried again.
const leaseRetry = 100 * time.Millisecond

// lease is this worker's permission from the current leader to run work. It is timed on the
// worker's monotonic clock from when the renewal was sent, so a slow answer cannot stretch it.
type lease struct {
	mu      sync.Mutex
	expires time.Time
	changed chan struct{}
	// renewals and lapses are for metrics: grants, and grants that came after the lease ran out.
	renewals, lapses atomic.Int64
}

func newLease() *lease { return &lease{changed: make(chan struct{}, 1)} }

func (l *lease) valid(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return now.Before(l.expires)
}

func (l *lease) expiry() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.expires
}

func (l *lease) extend(sentAt time.Time, ttl time.Duration) {
	l.mu.Lock()
	wasValid := time.Now().Before(l.expires)
	lapsed := !wasValid && !l.expires.IsZero()
	l.expires = sentAt.Add(ttl)
	l.mu.Unlock()
	l.renewals.Add(1)
	if lapsed {
		l.lapses.Add(1)
	}
	if !wasValid {
		l.signal()
	}
}

// await holds a task's data-plane step while the lease has lapsed: after a freeze, a task's
// goroutine can run before the worker loop has stopped it, and must not produce or deliver
// anything then. It returns false when ctx ends first.
func (l *lease) await(ctx context.Context) bool {
	for !l.valid(time.Now()) {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}

func (l *lease) signal() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// renewLease heartbeats the leader every interval until ctx ends. Each granted heartbeat extends
// the lease to (send time + ttl); the worker loop stops everything once it lapses. A refused or
// failed renewal is retried after leaseRetry, not a whole interval later: a new cluster, or one
// that has just elected a leader, should not wait a heartbeat interval before it runs anything.
func (w *Worker) renewLease(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		sentAt := time.Now()
		hbCtx, cancel := context.WithTimeout(ctx, w.cfg.HeartbeatInterval)
		err := w.deps.Heartbeat(hbCtx)
		cancel()
		next := w.cfg.HeartbeatInterval
		if err == nil {
			w.lease.extend(sentAt, w.cfg.SessionTimeout)
		} else if ctx.Err() == nil {
			w.logger.Debug("lease renewal failed", "err", err)
			next = min(next, leaseRetry)
		}
		timer.Reset(next)
	}
}
