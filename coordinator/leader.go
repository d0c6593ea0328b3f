// Package coordinator runs on the Raft leader: it reconciles gossip membership into the Raft
// configuration and the worker registry, and assigns connectors and tasks to workers.
package coordinator

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	autopilot "github.com/hashicorp/raft-autopilot"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/retry"
	"github.com/connectd/connectd/membership"
)

// MaxVoters is the largest Raft voter set the leader builds; further members become non-voters.
const MaxVoters = 5

// Deps is what the leader loop needs from its node.
type Deps struct {
	Raft    *raft.Raft
	FSM     *fsm.FSM
	Members *membership.Membership
	// Apply commits a command through Raft on this (leader) node.
	Apply  func(ctx context.Context, cmd fsm.Command) (fsm.Result, error)
	Logger *slog.Logger
	// Now is the wall clock whose readings the leader stamps into commands.
	Now func() time.Time
	// Interval bounds the time between reconciles when nothing signals a change.
	Interval time.Duration
	// SessionTimeout is session.timeout.ms: the lease a heartbeat grants a worker.
	SessionTimeout time.Duration
	// LeaseSkew is added to a silent worker's lease before it counts as gone, to absorb clock
	// rate differences between nodes and the time the worker takes to stop its work.
	LeaseSkew time.Duration
	// RebalanceDelay is scheduled.rebalance.max.delay.ms.
	RebalanceDelay time.Duration
	// Eager selects the eager assignment protocol (connect.protocol=eager).
	Eager bool
	// VerifyPeer, when set, checks that a node holds a certificate of the cluster CA (by a TLS
	// handshake with its Raft address) before the leader adds it to Raft.
	VerifyPeer func(raftAddr string) error
	// KeyTTL is inter.worker.key.ttl.ms: how long a signing key is used before rotation.
	KeyTTL time.Duration
	// DeadServerCleanup is raft.dead.server.cleanup.ms: how long a Raft server must have been
	// dead before it is removed in favour of a replacement; 0 never removes one.
	DeadServerCleanup time.Duration
	// ServerStats asks a node (this one included) for its Raft progress, which autopilot judges
	// its health by; restURL is the node's advertised REST URL.
	ServerStats func(ctx context.Context, node, restURL string) (*autopilot.ServerStats, error)
	// AutopilotLogger receives autopilot's logs.
	AutopilotLogger hclog.Logger
	// Barrier waits until the state machine has applied every entry committed before it; nil
	// means Raft's barrier. Tests inject failures through it.
	Barrier func(timeout time.Duration) error
}

// Coordinator watches Raft leadership and runs the leader loop while this node leads.
type Coordinator struct {
	deps   Deps
	wg     sync.WaitGroup
	leases leases
	// established is set while this node leads with a state machine that reflects the whole
	// committed log (after the term's barrier); only then does it grant leases.
	established atomic.Bool
	// roundMu makes each lease grant come wholly before or wholly after an assignment round, so
	// that a worker renewed right after its work moved learns of the move before it runs again.
	roundMu sync.Mutex
	pokeCh  chan struct{}
	// lastInputs fingerprints the inputs of the last round that changed nothing (leader loop only).
	lastInputs string
}

// New returns a coordinator; Run starts it.
func New(deps Deps) *Coordinator {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Interval == 0 {
		deps.Interval = time.Second
	}
	if deps.Barrier == nil {
		deps.Barrier = func(timeout time.Duration) error { return deps.Raft.Barrier(timeout).Error() }
	}
	return &Coordinator{deps: deps, pokeCh: make(chan struct{}, 1)}
}

// poke asks the leader loop for another round without blocking.
func (c *Coordinator) poke() {
	select {
	case c.pokeCh <- struct{}{}:
	default:
	}
}

// Heartbeat renews the lease of a worker session and answers the index of the last command the
// leader's state machine applied, which the worker applies before it counts the renewal. Raft's
// own applied index would not do: it also counts no-op, barrier and configuration entries, which
// never reach a state machine, so a worker could wait for them until the next command. It
// reports false when this node is not the leader, or ctx ended first; the worker must not count
// the lease then.
func (c *Coordinator) Heartbeat(ctx context.Context, node, session string) (uint64, bool) {
	if c.deps.Raft.State() != raft.Leader || !c.established.Load() {
		return 0, false
	}
	// A leader deposed while frozen can still believe it leads; its successor may have given
	// this worker's work to another, so the grant needs a quorum's word that it still leads.
	if !verified(ctx, c.deps.Raft.VerifyLeader()) {
		return 0, false
	}
	c.roundMu.Lock()
	defer c.roundMu.Unlock()
	c.leases.renew(node, session, time.Now())
	return c.deps.FSM.AppliedIndex(), true
}

// verified waits for a leadership check until ctx ends: a node stopping while Raft cannot shut
// down (a replication goroutine stuck in a pipelined append) never answers it, and the worker
// renewing its lease must still stop.
func verified(ctx context.Context, f raft.Future) bool {
	answer := make(chan error, 1)
	go func() { answer <- f.Error() }()
	select {
	case err := <-answer:
		return err == nil
	case <-ctx.Done():
		return false
	}
}

// Run follows leadership changes until ctx ends: on gaining leadership it starts the leader loop,
// on losing it it stops the loop and waits for it to end.
func (c *Coordinator) Run(ctx context.Context) {
	var loop *leaderRun
	stopLoop := func() {
		if loop != nil {
			loop.cancel()
			c.wg.Wait()
			loop = nil
		}
	}
	defer stopLoop()
	for {
		select {
		case <-ctx.Done():
			return
		case isLeader := <-c.deps.Raft.LeaderCh():
			c.established.Store(false)
			stopLoop()
			if isLeader {
				loop = &leaderRun{}
				var loopCtx context.Context
				loopCtx, loop.cancel = context.WithCancel(ctx)
				c.wg.Add(1)
				go func() {
					defer c.wg.Done()
					c.leaderLoop(loopCtx)
				}()
			}
		}
	}
}

// leaderRun is one term's leader loop.
type leaderRun struct {
	cancel context.CancelFunc
}

func (c *Coordinator) leaderLoop(ctx context.Context) {
	log := c.deps.Logger.With("role", "leader")
	if !c.establish(ctx, log) {
		return
	}
	c.leases.reset(time.Now())
	c.lastInputs = ""
	removeDead, waitAutopilot := c.startAutopilot(ctx)
	defer waitAutopilot()
	c.established.Store(true)
	defer c.established.Store(false)
	log.Info("leadership established")
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		// Watch before reading, so a change made while reconciling triggers another pass.
		changed := c.deps.FSM.State().WatchCh()
		wake, err := c.reconcile(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("reconcile failed", "err", err)
		}
		timer.Reset(untilWake(wake, c.deps.Interval))
		select {
		case <-ctx.Done():
			return
		case <-c.deps.Members.Changed():
			removeDead()
		case <-changed:
		case <-c.pokeCh:
		case <-timer.C:
		}
	}
}

func untilWake(wake time.Time, max time.Duration) time.Duration {
	if wake.IsZero() {
		return max
	}
	d := time.Until(wake)
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return min(d, max)
}

// reconcile brings the replicated state in line with the cluster: session key, Raft
// configuration, worker registry, then the assignment. It returns when to look again.
func (c *Coordinator) reconcile(ctx context.Context) (time.Time, error) {
	rotateAt, err := c.ensureSessionKey(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if err := c.reconcileMembers(ctx); err != nil {
		return time.Time{}, err
	}
	wake, err := c.rebalance(ctx)
	if !rotateAt.IsZero() && (wake.IsZero() || rotateAt.Before(wake)) {
		wake = rotateAt
	}
	return wake, err
}

// ensureSessionKey makes the key that signs internal requests, and a new one each KeyTTL (the
// state keeps the one before it valid for one more period). It returns when to rotate next.
// The randomness and the time are drawn here, on the leader, never inside Apply.
func (c *Coordinator) ensureSessionKey(ctx context.Context) (time.Time, error) {
	now := c.deps.Now()
	keys := c.deps.FSM.State().SessionKeys()
	if keys.Current != nil {
		if c.deps.KeyTTL <= 0 {
			return time.Time{}, nil
		}
		// A key from before rotation existed has Created 0, so it rotates at once.
		if due := time.UnixMilli(keys.Created).Add(c.deps.KeyTTL); now.Before(due) {
			return due, nil
		}
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return time.Time{}, err
	}
	if _, err := c.deps.Apply(ctx, &fsm.SessionKeyChange{Key: key, Created: now.UnixMilli()}); err != nil {
		return time.Time{}, err
	}
	if c.deps.KeyTTL <= 0 {
		return time.Time{}, nil
	}
	return now.Add(c.deps.KeyTTL), nil
}

// Barrier retry bounds: a leader that cannot apply its log within establishAttempts tries (paced
// by retry.Barrier) hands leadership to another node rather than lead a whole term without
// rebalancing.
const (
	establishAttempts = 5
	barrierTimeout    = 10 * time.Second
)

// establish issues the barrier that makes the state machine reflect every entry committed by
// earlier leaders, so that reconciliation acts on the whole log. It retries with backoff and,
// if the barrier keeps failing, steps down. It reports whether leadership was established.
func (c *Coordinator) establish(ctx context.Context, log *slog.Logger) bool {
	delays := retry.Barrier.Delays()
	for attempt := 1; ; attempt++ {
		err := c.deps.Barrier(barrierTimeout)
		if err == nil {
			return true
		}
		if ctx.Err() != nil || c.deps.Raft.State() != raft.Leader {
			return false
		}
		if attempt >= establishAttempts {
			log.Error("barrier keeps failing; stepping down so another node can lead", "attempts", attempt, "err", err)
			err := c.deps.Raft.LeadershipTransfer().Error()
			if err == nil {
				return false
			}
			// No other node can take over (a single voter, or none caught up): keep trying.
			log.Warn("leadership transfer failed; retrying the barrier", "err", err)
			attempt = 0
		}
		if attempt > 0 {
			log.Warn("barrier failed; retrying", "attempt", attempt, "err", err)
		}
		if !delays.Wait(ctx) {
			return false
		}
	}
}
