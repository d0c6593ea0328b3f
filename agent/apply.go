package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/api"
	"github.com/connectd/connectd/fsm"
)

// leaderWait bounds how long a write waits for an election, or for a leader that does not
// answer, before answering 409 (clients retry 409s).
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

// State implements api.Backend: the node's applied state, once it holds every write this node
// has answered (see Apply); a node that cannot catch up within leaderWait of such a write answers
// what it has.
func (a *Agent) State() *fsm.State {
	if index, until := a.reads.get(); a.fsm.AppliedIndex() < index {
		ctx, cancel := context.WithDeadline(context.Background(), until)
		a.waitApplied(ctx, index)
		cancel()
	}
	return a.fsm.State()
}

// Apply implements api.Backend: it commits cmd through the Raft leader, forwarding it when this
// node is a follower, and answers as soon as the leader has. The follower learns of the commit
// with the leader's next append (at most raft.commit.timeout.ms later); reads on this node wait
// for it (State), so a read after a write here still sees the write, and the write itself does
// not pay for that wait.
func (a *Agent) Apply(ctx context.Context, cmd fsm.Command) (fsm.Result, error) {
	res, index, err := a.commit(ctx, cmd)
	if err == nil {
		a.reads.raise(index, time.Now().Add(leaderWait))
	}
	return res, err
}

// applyAndWait commits cmd and returns once this node has applied it: the worker reads the
// state machine directly right after its writes.
func (a *Agent) applyAndWait(ctx context.Context, cmd fsm.Command) (fsm.Result, error) {
	res, index, err := a.commit(ctx, cmd)
	if err == nil {
		a.waitApplied(ctx, index)
	}
	return res, err
}

// commit commits cmd through the Raft leader and returns the leader's result and log index,
// retrying while there is no leader for at most leaderWait.
func (a *Agent) commit(ctx context.Context, cmd fsm.Command) (fsm.Result, uint64, error) {
	if s, ok := cmd.(fsm.Splitter); ok {
		if parts := s.Split(splitEntries); len(parts) > 1 {
			return a.commitParts(ctx, parts)
		}
	}
	return a.commitOne(ctx, cmd)
}

// splitEntries is how many entries (offsets of partitions) one committed part carries: large
// commands would hold the apply loop of every node for as long as they take to apply.
const splitEntries = 200

// commitParts commits the parts of a split command in order, stopping at the first refusal.
func (a *Agent) commitParts(ctx context.Context, parts []fsm.Command) (fsm.Result, uint64, error) {
	var res fsm.Result
	var index uint64
	for _, part := range parts {
		var err error
		if res, index, err = a.commitOne(ctx, part); err != nil || res.Err != nil {
			return res, index, err
		}
	}
	return res, index, nil
}

// commitOne commits one command, retrying while there is no leader.
func (a *Agent) commitOne(ctx context.Context, cmd fsm.Command) (fsm.Result, uint64, error) {
	data, err := fsm.Encode(cmd)
	if err != nil {
		return fsm.Result{}, 0, err
	}
	// Checked on every node, leader or not, so that a command's fate does not depend on which
	// node happens to own the connector that wrote it.
	if limit := a.cfg.InternalMaxBodyBytes; int64(len(data)) > limit {
		return fsm.Result{}, 0, fmt.Errorf("%w: %T is %d bytes, more than internal.max.body.bytes (%d)", fsm.ErrCommandTooLarge, cmd, len(data), limit)
	}
	deadline := time.Now().Add(leaderWait + sizeAllowance(len(data)))
	for {
		res, index, err := a.applyEncoded(ctx, data)
		if errors.Is(err, errNotLeader) && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return fsm.Result{}, 0, timedOut("waiting for a Raft leader")
			case <-time.After(25 * time.Millisecond):
				continue
			}
		}
		if errors.Is(err, errNotLeader) {
			return fsm.Result{}, 0, api.ErrNoLeader
		}
		return res, index, err
	}
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

// errNotLeader means no node known to this one can commit right now; callers may retry.
var errNotLeader = errors.New("not the leader")

func (a *Agent) applyEncoded(ctx context.Context, data []byte) (fsm.Result, uint64, error) {
	if a.raft.State() == raft.Leader {
		return a.applyLocal(ctx, data)
	}
	leaderURL := a.internalLeaderURL()
	if leaderURL == "" {
		return fsm.Result{}, 0, errNotLeader
	}
	attempt, cancel := context.WithTimeout(ctx, forwardAttempt+sizeAllowance(len(data)))
	defer cancel()
	res, index, err := a.forward(attempt, leaderURL, data)
	if err != nil && ctx.Err() == nil && attempt.Err() != nil {
		// The leader did not answer in time; whether it committed is unknown, as with any
		// lost answer. The caller asks whichever node leads by then.
		a.logger.Debug("forwarded write unanswered", "leader", leaderURL)
		return fsm.Result{}, 0, errNotLeader
	}
	return res, index, err
}

// applyOnLeader commits a command from the coordinator, which only runs on the leader.
func (a *Agent) applyOnLeader(ctx context.Context, cmd fsm.Command) (fsm.Result, error) {
	data, err := fsm.Encode(cmd)
	if err != nil {
		return fsm.Result{}, err
	}
	res, _, err := a.applyLocal(ctx, data)
	return res, err
}

// ApplyLocal implements api.Backend: it commits an encoded command on this node, which must be
// the leader, and waits for the commit or for ctx to end. A node that is not (or no longer) the
// leader answers 409, which the forwarding node takes as "ask the new leader".
func (a *Agent) ApplyLocal(ctx context.Context, data []byte) (fsm.Result, uint64, error) {
	// Only commands every replica can apply may enter the log: one that does not decode here
	// would stop every node that meets it.
	if err := fsm.Check(data); err != nil {
		return fsm.Result{}, 0, &api.Error{Code: http.StatusBadRequest, Message: "Internal request does not hold a command this node knows: " + err.Error()}
	}
	res, index, err := a.applyLocal(ctx, data)
	if errors.Is(err, errNotLeader) {
		return res, index, api.ErrNoLeader
	}
	return res, index, err
}

func (a *Agent) applyLocal(ctx context.Context, data []byte) (fsm.Result, uint64, error) {
	if err := a.checkVotersKnow(data); err != nil {
		return fsm.Result{}, 0, err
	}
	began := time.Now()
	future := a.raft.Apply(data, 0)
	done := make(chan struct{})
	go func() {
		_ = future.Error()
		close(done)
	}()
	select {
	case <-ctx.Done():
		return fsm.Result{}, 0, timedOut("waiting for a quorum of Raft voters to commit the write")
	case <-done:
	}
	if err := future.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) || errors.Is(err, raft.ErrLeadershipTransferInProgress) {
			return fsm.Result{}, 0, errNotLeader
		}
		return fsm.Result{}, 0, fmt.Errorf("raft apply: %w", err)
	}
	a.timeCommit(began)
	res, _ := future.Response().(fsm.Result)
	return res, future.Index(), nil
}

// waitApplied waits, briefly, until this node's state machine has applied index.
func (a *Agent) waitApplied(ctx context.Context, index uint64) {
	for a.fsm.AppliedIndex() < index {
		advanced := a.fsm.AppliedCh()
		if a.fsm.AppliedIndex() >= index {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-a.raftClosing:
			return
		case <-advanced:
		}
	}
}

// leaderURL is the advertised REST URL of the current Raft leader, from gossip metadata or,
// failing that, the worker registry.
func (a *Agent) leaderURL() string {
	_, id := a.raft.LeaderWithID()
	if id == "" {
		return ""
	}
	if a.members != nil {
		for _, m := range a.members.Members() {
			if m.NodeID == string(id) {
				return m.RESTURL
			}
		}
	}
	if w := a.fsm.State().Worker(string(id)); w != nil {
		return w.RESTURL
	}
	return ""
}

// forward sends an encoded command to the leader's internal apply endpoint, signed with the
// cluster's session key.
func (a *Agent) forward(ctx context.Context, leaderURL string, data []byte) (fsm.Result, uint64, error) {
	key := a.fsm.State().SessionKey()
	if key == nil {
		return fsm.Result{}, 0, errNotLeader
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, leaderURL+api.InternalApplyPath, bytes.NewReader(data))
	if err != nil {
		return fsm.Result{}, 0, err
	}
	api.Sign(req, key, data)
	resp, err := a.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fsm.Result{}, 0, timedOut("waiting for the Raft leader to answer")
		}
		// The leader may have just died; the caller retries once a new one is known.
		a.logger.Debug("forward to leader failed", "leader", leaderURL, "err", err)
		return fsm.Result{}, 0, errNotLeader
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fsm.Result{}, 0, errNotLeader
	}
	if resp.StatusCode == http.StatusOK {
		var out api.ApplyResponse
		if err := json.Unmarshal(body, &out); err != nil {
			return fsm.Result{}, 0, fmt.Errorf("decode leader answer: %w", err)
		}
		return out.Result, out.Index, nil
	}
	var remote api.Error
	if json.Unmarshal(body, &remote) != nil || remote.Code == 0 {
		remote = api.Error{Code: resp.StatusCode, Message: string(body)}
	}
	if remote.Code == http.StatusConflict && remote.Message == api.ErrNoLeader.Message {
		return fsm.Result{}, 0, errNotLeader
	}
	return fsm.Result{}, 0, &remote
}

func timedOut(stage string) error {
	return &api.Error{Code: http.StatusInternalServerError, Message: "Request timed out. The worker is currently " + stage + "."}
}
