package worker

import (
	"sync"
	"time"
)

// progress records whether the worker loop is inside a reconcile and since when, so that
// /health can tell a loop that stopped making progress from an idle one.
type progress struct {
	mu        sync.Mutex
	busySince time.Time
}

func (p *progress) busy(now time.Time) {
	p.mu.Lock()
	p.busySince = now
	p.mu.Unlock()
}

func (p *progress) idle() {
	p.mu.Lock()
	p.busySince = time.Time{}
	p.mu.Unlock()
}

// Stuck reports how long the worker loop has been inside one reconcile, 0 when it is not in one.
func (w *Worker) Stuck(now time.Time) time.Duration {
	w.progress.mu.Lock()
	defer w.progress.mu.Unlock()
	if w.progress.busySince.IsZero() {
		return 0
	}
	return now.Sub(w.progress.busySince)
}

// LeaseStats are the lease renewals the leader granted this worker and the times the lease ran
// out before a renewal came.
func (w *Worker) LeaseStats() (renewals, lapses int64) {
	return w.lease.renewals.Load(), w.lease.lapses.Load()
}
