package runtime

import (
	"context"
	"sync"
	"time"
)

// lease is this worker's permission from the current leader to run work. It is timed on the
// worker's monotonic clock from when the renewal was sent, so a slow answer cannot stretch it.
type lease struct {
	mu      sync.Mutex
	expires time.Time
	changed chan struct{}
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
	l.expires = sentAt.Add(ttl)
	l.mu.Unlock()
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
// the lease to (send time + ttl); the worker loop stops everything once it lapses.
func (w *Worker) renewLease(ctx context.Context) {
	ticker := time.NewTicker(w.cfg.HeartbeatInterval)
	defer ticker.Stop()
	for {
		sentAt := time.Now()
		hbCtx, cancel := context.WithTimeout(ctx, w.cfg.HeartbeatInterval)
		err := w.deps.Heartbeat(hbCtx)
		cancel()
		if err == nil {
			w.lease.extend(sentAt, w.cfg.SessionTimeout)
		} else if ctx.Err() == nil {
			w.logger.Debug("lease renewal failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
