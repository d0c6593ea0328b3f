// Package retry runs an operation again, with exponential backoff and jitter, until it succeeds,
// fails for good, runs out of time or its context ends. Every retry policy of connectd is here,
// with the reason for its numbers: jitter keeps the nodes of a cluster that lost a leader or a
// broker at the same moment from retrying in lockstep, and the growing delay keeps a long outage
// from costing a request (and a log line) every few milliseconds.
package retry

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Policy is an exponential backoff: delays start at Initial, grow by Multiplier (2 when unset)
// and stop growing at Max; each is randomised by ±Jitter (0.5 when unset) of itself.
type Policy struct {
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
	Jitter     float64
}

// The policies. Their first delays are those of the fixed sleeps they replaced, so that a
// condition that clears at once is noticed as soon as before; only long waits back off.
var (
	// LeaderWrite paces a write waiting for a Raft leader, for at most a second and a half:
	// elections take a few hundred milliseconds, and a write must go through within a few tens
	// of milliseconds of the new leader (the leader-failover benchmark measures that delay).
	LeaderWrite = Policy{Initial: 25 * time.Millisecond, Max: 50 * time.Millisecond}
	// Startup paces a starting node waiting for a leader and for its state to catch up, and a
	// leaving node waiting for its removal from the Raft configuration: /health turns ready, or
	// the leave returns, soon after the condition holds.
	Startup = Policy{Initial: 50 * time.Millisecond, Max: 250 * time.Millisecond}
	// Join paces a node's attempts to join gossip and bootstrap Raft while its peers are not yet
	// up; membership changes wake it earlier.
	Join = Policy{Initial: time.Second, Max: 5 * time.Second}
	// KafkaMetadata paces asking the bootstrap brokers for the Kafka cluster id: nothing waits on
	// it, and brokers that are down may stay down for long.
	KafkaMetadata = Policy{Initial: 5 * time.Second, Max: time.Minute}
	// Barrier paces a new leader's retries of its Raft barrier: a barrier that fails usually
	// means a quorum is briefly unreachable.
	Barrier = Policy{Initial: 50 * time.Millisecond, Max: 2 * time.Second}
	// StatusWrite paces a worker's retries of a failed status write: statuses are reported
	// within a second of a change while the leader is reachable.
	StatusWrite = Policy{Initial: 100 * time.Millisecond, Max: time.Second}
	// LeaseRenewal paces a worker's retries of a refused lease renewal, up to the heartbeat
	// interval: a new cluster should run its work as soon as a leader grants a lease.
	LeaseRenewal = Policy{Initial: 100 * time.Millisecond, Max: time.Second}
	// Drain paces a leaving worker waiting for its instances to stop.
	Drain = Policy{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond}
	// Ready paces a REST request waiting for a starting node to be ready (bounded by the
	// request's own wait): it is answered soon after the node is.
	Ready = Policy{Initial: 20 * time.Millisecond, Max: 100 * time.Millisecond}
	// StatusPoll paces `connectd ctl` waiting for a connector to reach a state: it prints
	// progress, and a state reached after seconds needs no faster look.
	StatusPoll = Policy{Initial: 200 * time.Millisecond, Max: time.Second}
	// LifecycleHook paces the leader's retries of a deleted plugin connector's OnDeleted hook:
	// each attempt starts a plugin process, and a hook fails mostly while the external system
	// is unreachable, which lasts seconds to minutes.
	LifecycleHook = Policy{Initial: time.Second, Max: 30 * time.Second}
)

// Delays hands out the delays of a policy, for loops that wait on other events too.
type Delays struct {
	b *backoff.ExponentialBackOff
}

// Delays returns the delays of p, from the first.
func (p Policy) Delays() *Delays {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     p.Initial,
		MaxInterval:         p.Max,
		Multiplier:          p.Multiplier,
		RandomizationFactor: p.Jitter,
	}
	if b.Multiplier == 0 {
		b.Multiplier = 2
	}
	if b.RandomizationFactor == 0 {
		b.RandomizationFactor = 0.5
	}
	b.Reset()
	return &Delays{b: b}
}

// Next is the delay before the next attempt.
func (d *Delays) Next() time.Duration { return d.b.NextBackOff() }

// Reset starts the delays again from the first, after a success.
func (d *Delays) Reset() { d.b.Reset() }

// Wait waits for the next delay; false when ctx ended first.
func (d *Delays) Wait(ctx context.Context) bool {
	t := time.NewTimer(d.Next())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Do runs op until it succeeds or returns a Permanent error, waiting the delays of p between
// attempts. It gives up with op's last error once the next attempt would start more than
// maxElapsed (when not 0) after the first, and with ctx's error when ctx ends.
func Do[T any](ctx context.Context, p Policy, maxElapsed time.Duration, op func() (T, error)) (T, error) {
	return backoff.Retry(ctx, op, backoff.WithBackOff(p.Delays().b), backoff.WithMaxElapsedTime(maxElapsed))
}

// Permanent marks err as one that retrying cannot cure: Do returns it (unwrapped) at once.
func Permanent(err error) error { return backoff.Permanent(err) }

// Until waits, with the delays of p, until cond holds; false when ctx ended first.
func Until(ctx context.Context, p Policy, cond func() bool) bool {
	d := p.Delays()
	for !cond() {
		if !d.Wait(ctx) {
			return false
		}
	}
	return true
}
