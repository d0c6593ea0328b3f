// Package commit is the replicated-write path of a node: it commits commands through the Raft
// leader, forwarding them from a follower over the internal REST endpoints, waits for their local
// apply when asked, and renews the worker's lease with the leader. Both halves of those internal
// calls, the client and the leader's handlers, live here.
package commit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/retry"
	"github.com/connectd/connectd/membership"
)

// leaderWait bounds how long a write waits for an election, or for a leader that does not
// answer, before answering ErrNoLeader (clients retry it).
const leaderWait = 1500 * time.Millisecond

// forwardAttempt bounds one forwarded write: a leader cut off by the network answers nothing,
// and the write must then go to the leader the others elect instead.
const forwardAttempt = 750 * time.Millisecond

// sizeAllowance is the extra time a large command gets to travel, be written to a quorum's logs
// and be applied: a second per MiB, so that task configs or offsets of several MiB are not
// mistaken for an unanswering leader.
func sizeAllowance(n int) time.Duration {
	return time.Duration(n) * time.Second / (1 << 20)
}

// splitEntries is how many entries (offsets of partitions) one committed part carries: large
// commands would hold the apply loop of every node for as long as they take to apply.
const splitEntries = 200

// Deps is what a Committer needs from its node from the start.
type Deps struct {
	FSM    *fsm.FSM
	Client *http.Client
	Logger *slog.Logger
	// NodeID and Session identify this worker's lease.
	NodeID, Session string
	// MaxCommandBytes is internal.max.body.bytes: no command larger than this is committed.
	MaxCommandBytes int64
	// Check refuses, before it reaches the log, a command some voter cannot apply yet; nil lets
	// every command through.
	Check func(data []byte) error
	// ObserveCommit is told how long each commit on this node, as leader, took; may be nil.
	ObserveCommit func(time.Duration)
	// Closing closes when Raft is about to shut down: a local apply will never come.
	Closing <-chan struct{}
	// ClusterChannel sends the calls to the leader's Raft port (cluster TLS on) instead of its
	// REST URL; Client must then present this node's cluster certificate.
	ClusterChannel bool
}

// Cluster is what a Committer needs once Raft and gossip run.
type Cluster struct {
	Raft *raft.Raft
	// Members may be nil; the leader's URL is then looked up in the worker registry only.
	Members *membership.Membership
	// Lease renews a worker's lease on the leader and returns its applied index; false when this
	// node is not (yet) the leader, or ctx ended first.
	Lease func(ctx context.Context, node, session string) (uint64, bool)
}

// Committer commits commands for one node.
type Committer struct {
	deps    Deps
	cluster atomic.Pointer[Cluster]
	// reads holds reads back until they include the writes this node answered.
	reads readFloor
}

// New returns a Committer that answers ErrNoLeader until Attach gives it the cluster.
func New(deps Deps) *Committer {
	return &Committer{deps: deps}
}

// Attach gives the Committer the node's Raft and gossip once they run.
func (c *Committer) Attach(cl Cluster) { c.cluster.Store(&cl) }

// State is the node's applied state, once it holds every write this node has answered (see
// Commit); a node that cannot catch up within leaderWait of such a write answers what it has.
func (c *Committer) State() *fsm.State {
	if index, until := c.reads.get(); c.deps.FSM.AppliedIndex() < index {
		ctx, cancel := context.WithDeadline(context.Background(), until)
		c.WaitApplied(ctx, index)
		cancel()
	}
	return c.deps.FSM.State()
}

// Commit commits cmd through the Raft leader, forwarding it when this node is a follower, and
// answers as soon as the leader has. The follower learns of the commit with the leader's next
// append (at most raft.commit.timeout.ms later); reads on this node wait for it (State), so a read
// after a write here still sees the write, and the write itself does not pay for that wait.
func (c *Committer) Commit(ctx context.Context, cmd fsm.Command) (fsm.Result, error) {
	res, index, err := c.commit(ctx, cmd)
	if err == nil {
		c.reads.raise(index, time.Now().Add(leaderWait))
	}
	return res, err
}

// CommitAndWait commits cmd and returns once this node has applied it: the worker reads the
// state machine directly right after its writes.
func (c *Committer) CommitAndWait(ctx context.Context, cmd fsm.Command) (fsm.Result, error) {
	res, index, err := c.commit(ctx, cmd)
	if err == nil {
		c.WaitApplied(ctx, index)
	}
	return res, err
}

// CommitOnLeader commits a command from the coordinator, which only runs on the leader: it is
// never forwarded.
func (c *Committer) CommitOnLeader(ctx context.Context, cmd fsm.Command) (fsm.Result, error) {
	data, err := fsm.Encode(cmd)
	if err != nil {
		return fsm.Result{}, err
	}
	res, _, err := c.applyLocal(ctx, data)
	return res, err
}

// commit commits cmd through the Raft leader and returns the leader's result and log index.
func (c *Committer) commit(ctx context.Context, cmd fsm.Command) (fsm.Result, uint64, error) {
	if s, ok := cmd.(fsm.Splitter); ok {
		if parts := s.Split(splitEntries); len(parts) > 1 {
			return c.commitParts(ctx, parts)
		}
	}
	return c.commitOne(ctx, cmd)
}

// commitParts commits the parts of a split command in order, stopping at the first refusal.
func (c *Committer) commitParts(ctx context.Context, parts []fsm.Command) (fsm.Result, uint64, error) {
	var res fsm.Result
	var index uint64
	for _, part := range parts {
		var err error
		if res, index, err = c.commitOne(ctx, part); err != nil || res.Err != nil {
			return res, index, err
		}
	}
	return res, index, nil
}

// answer is a committed command's result and log index.
type answer struct {
	res   fsm.Result
	index uint64
}

// commitOne commits one command, retrying while there is no leader for at most leaderWait (plus
// the command's size allowance).
func (c *Committer) commitOne(ctx context.Context, cmd fsm.Command) (fsm.Result, uint64, error) {
	data, err := fsm.Encode(cmd)
	if err != nil {
		return fsm.Result{}, 0, err
	}
	// Checked on every node, leader or not, so that a command's fate does not depend on which
	// node happens to own the connector that wrote it.
	if limit := c.deps.MaxCommandBytes; int64(len(data)) > limit {
		return fsm.Result{}, 0, fmt.Errorf("%w: %T is %d bytes, more than internal.max.body.bytes (%d)", fsm.ErrCommandTooLarge, cmd, len(data), limit)
	}
	var last error
	repeated := false
	a, err := retry.Do(ctx, retry.LeaderWrite, leaderWait+sizeAllowance(len(data)), func() (answer, error) {
		res, index, err := c.applyEncoded(ctx, data)
		last = err
		repeated = repeated || errors.Is(err, errMaybeCommitted)
		if err != nil && !errors.Is(err, ErrNoLeader) {
			return answer{}, retry.Permanent(err)
		}
		return answer{res, index}, err
	})
	if errors.Is(last, ErrNoLeader) && !errors.Is(err, ErrNoLeader) {
		// ctx ended while the write waited for a leader.
		return fsm.Result{}, 0, &TimeoutError{Stage: StageLeader}
	}
	a.res.Repeated = repeated
	return a.res, a.index, err
}

func (c *Committer) applyEncoded(ctx context.Context, data []byte) (fsm.Result, uint64, error) {
	cl := c.cluster.Load()
	if cl == nil {
		return fsm.Result{}, 0, ErrNoLeader
	}
	if cl.Raft.State() == raft.Leader {
		return c.applyLocal(ctx, data)
	}
	leaderURL := c.leaderEndpoint()
	if leaderURL == "" {
		return fsm.Result{}, 0, ErrNoLeader
	}
	attempt, cancel := context.WithTimeout(ctx, forwardAttempt+sizeAllowance(len(data)))
	defer cancel()
	res, index, err := c.forward(attempt, leaderURL, data)
	if err != nil && ctx.Err() == nil && attempt.Err() != nil {
		// The leader did not answer in time; whether it committed is unknown, as with any
		// lost answer. The caller asks whichever node leads by then.
		c.deps.Logger.Debug("forwarded write unanswered", "leader", leaderURL)
		return fsm.Result{}, 0, errMaybeCommitted
	}
	return res, index, err
}

// applyLocal commits an encoded command on this node, which must be the leader, and waits for
// the commit or for ctx to end.
func (c *Committer) applyLocal(ctx context.Context, data []byte) (fsm.Result, uint64, error) {
	cl := c.cluster.Load()
	if cl == nil {
		return fsm.Result{}, 0, ErrNoLeader
	}
	if c.deps.Check != nil {
		if err := c.deps.Check(data); err != nil {
			return fsm.Result{}, 0, err
		}
	}
	began := time.Now()
	future := cl.Raft.Apply(data, 0)
	done := make(chan struct{})
	go func() {
		_ = future.Error()
		close(done)
	}()
	select {
	case <-ctx.Done():
		return fsm.Result{}, 0, &TimeoutError{Stage: StageQuorum}
	case <-done:
	}
	if err := future.Error(); err != nil {
		if errors.Is(err, raft.ErrLeadershipLost) {
			// Lost after the entry went to the log: a new leader may still commit it.
			return fsm.Result{}, 0, errMaybeCommitted
		}
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipTransferInProgress) {
			return fsm.Result{}, 0, ErrNoLeader
		}
		return fsm.Result{}, 0, fmt.Errorf("raft apply: %w", err)
	}
	if c.deps.ObserveCommit != nil {
		c.deps.ObserveCommit(time.Since(began))
	}
	res, _ := future.Response().(fsm.Result)
	return res, future.Index(), nil
}

// WaitApplied waits, bounded by ctx, until this node's state machine has applied index.
func (c *Committer) WaitApplied(ctx context.Context, index uint64) {
	f := c.deps.FSM
	for f.AppliedIndex() < index {
		advanced := f.AppliedCh()
		if f.AppliedIndex() >= index {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-c.deps.Closing:
			return
		case <-advanced:
		}
	}
}

// leaderEndpoint is where internal calls to the leader go: with the cluster channel on, the
// leader's Raft address, whose mutual TLS admits only nodes the cluster CA signed; else its REST
// URL.
func (c *Committer) leaderEndpoint() string {
	if !c.deps.ClusterChannel {
		return c.LeaderURL()
	}
	cl := c.cluster.Load()
	if cl == nil {
		return ""
	}
	addr, _ := cl.Raft.LeaderWithID()
	if addr == "" {
		return ""
	}
	return "https://" + string(addr)
}

// LeaderURL is the advertised REST URL of the current Raft leader, from gossip metadata or,
// failing that, the worker registry; "" when no leader is known.
func (c *Committer) LeaderURL() string {
	cl := c.cluster.Load()
	if cl == nil {
		return ""
	}
	_, id := cl.Raft.LeaderWithID()
	if id == "" {
		return ""
	}
	if cl.Members != nil {
		for _, m := range cl.Members.Members() {
			if m.NodeID == string(id) {
				return m.RESTURL
			}
		}
	}
	if w := c.deps.FSM.State().Worker(string(id)); w != nil {
		return w.RESTURL
	}
	return ""
}

// readFloor is the log index that reads on this node wait for: the highest write it answered,
// until a deadline after which a node that fell behind answers what it has.
type readFloor struct {
	mu    sync.Mutex
	index uint64
	until time.Time
}

func (f *readFloor) raise(index uint64, until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.index = max(f.index, index)
	if until.After(f.until) {
		f.until = until
	}
}

func (f *readFloor) get() (uint64, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.index, f.until
}
