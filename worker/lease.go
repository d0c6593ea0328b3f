package worker

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connectd/connectd/internal/retry"
)

// lease is this worker's permission from the current leader to run work. It is timed on the
// worker's monotonic clock from when the renewal was sent, so a slow answer cannot stretch it.
//
// A lease that lapsed and was granted again starts a new epoch. Work authorized in an earlier
// epoch stays held until the worker loop has looked at the state the renewal was granted on
// and confirmed that the work is still this worker's (see permit): after a freeze, a renewal can
// arrive before the worker loop has seen that the work moved, and the task's own goroutine must
// not produce in between (docs/2026-12-01-zombie-window.md).
type lease struct {
	mu      sync.Mutex
	expires time.Time
	epoch   uint64
	changed chan struct{}
	// renewals and lapses are for metrics: grants, and grants that came after the lease ran out.
	renewals, lapses atomic.Int64
}

// grant is a reading of the lease: its epoch and when it runs out.
type grant struct {
	epoch   uint64
	expires time.Time
}

func (g grant) valid(now time.Time) bool { return now.Before(g.expires) }

func newLease() *lease { return &lease{changed: make(chan struct{}, 1)} }

func (l *lease) current() grant {
	l.mu.Lock()
	defer l.mu.Unlock()
	return grant{epoch: l.epoch, expires: l.expires}
}

func (l *lease) valid(now time.Time) bool { return l.current().valid(now) }

// extend counts a renewal sent at sentAt. A renewal of a lapsed lease starts a new epoch and
// wakes the worker loop, which authorizes work again.
func (l *lease) extend(sentAt time.Time, ttl time.Duration) {
	l.mu.Lock()
	lapsed := !time.Now().Before(l.expires)
	l.expires = sentAt.Add(ttl)
	if lapsed {
		l.epoch++
	}
	first := l.epoch == 1 && lapsed
	l.mu.Unlock()
	l.renewals.Add(1)
	if lapsed && !first {
		l.lapses.Add(1)
	}
	if lapsed {
		l.signal()
	}
}

func (l *lease) signal() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// permit is one running instance's authorization to take data-plane steps (poll, produce, put,
// commit): it holds while the lease is valid and has not lapsed since the worker loop last
// authorized the instance from a state at least as new as the renewal.
type permit struct {
	lease *lease
	epoch atomic.Uint64
}

func newPermit(l *lease, epoch uint64) *permit {
	p := &permit{lease: l}
	p.epoch.Store(epoch)
	return p
}

func (p *permit) authorize(epoch uint64) { p.epoch.Store(epoch) }

// allows reports whether a step may be taken now.
func (p *permit) allows(now time.Time) bool {
	g := p.lease.current()
	return g.epoch == p.epoch.Load() && g.valid(now)
}

// await holds a data-plane step until the permit allows it. It returns false when done closes
// first: the instance is being stopped, because its lease lapsed or its work moved.
func (p *permit) await(done <-chan struct{}) bool {
	for !p.allows(time.Now()) {
		select {
		case <-done:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}

// renewLease heartbeats the leader every interval until ctx ends. Each granted heartbeat extends
// the lease to (send time + ttl); the worker loop stops everything once it lapses. A refused or
// failed renewal is retried sooner (retry.LeaseRenewal), not a whole interval later: a new cluster, or one
// that has just elected a leader, should not wait a heartbeat interval before it runs anything.
func (w *Worker) renewLease(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	delays := retry.LeaseRenewal.Delays()
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
			delays.Reset()
		} else if ctx.Err() == nil {
			w.logger.Debug("lease renewal failed", "err", err)
			next = min(next, delays.Next())
		}
		timer.Reset(next)
	}
}
