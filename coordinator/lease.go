package coordinator

import (
	"sync"
	"time"
)

// leases records when the leader last renewed each worker session's lease. It lives in leader
// memory: a new leader assumes every lease was renewed when it took over (docs/assignment.md §8).
type leases struct {
	mu      sync.Mutex
	renewed map[string]renewal
	// since is when this node became leader; silent workers count as renewed then.
	since time.Time
}

type renewal struct {
	session string
	at      time.Time
}

func (l *leases) reset(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.renewed = map[string]renewal{}
	l.since = now
}

func (l *leases) renew(node, session string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.renewed == nil {
		l.renewed = map[string]renewal{}
	}
	l.renewed[node] = renewal{session: session, at: now}
}

// expiresAt is when the lease of a node's session runs out from the leader's point of view.
func (l *leases) expiresAt(node, session string, ttl time.Duration) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	last := l.since
	if r, ok := l.renewed[node]; ok && r.session == session && r.at.After(last) {
		last = r.at
	}
	return last.Add(ttl)
}
