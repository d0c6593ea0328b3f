package commit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/internal/signing"
)

// HeartbeatPath is where workers renew their lease with the leader.
const HeartbeatPath = "/connectd/internal/heartbeat"

// heartbeatRequest renews the lease of one worker session.
type heartbeatRequest struct {
	Node    string `json:"node"`
	Session string `json:"session"`
}

// heartbeatAnswer grants the lease as of the leader's applied index.
type heartbeatAnswer struct {
	AppliedIndex uint64 `json:"applied_index"`
}

// Heartbeat renews this node's worker lease with the current Raft leader. The grant counts only
// once this node has applied everything the leader had applied when it granted it, so that a node
// thawed after a freeze sees the assignments made while it was frozen before it runs anything.
func (c *Committer) Heartbeat(ctx context.Context) error {
	index, err := c.LeaderAppliedIndex(ctx)
	if err != nil {
		return err
	}
	c.WaitApplied(ctx, index)
	if applied := c.deps.FSM.AppliedIndex(); applied < index {
		return fmt.Errorf("state behind the leader's: applied %d of %d", applied, index)
	}
	return nil
}

// LeaderAppliedIndex renews this node's lease with the leader and returns the leader's applied
// index.
func (c *Committer) LeaderAppliedIndex(ctx context.Context) (uint64, error) {
	cl := c.cluster.Load()
	if cl == nil {
		return 0, ErrNoLeader
	}
	if cl.Raft.State() == raft.Leader {
		index, ok := cl.Lease(ctx, c.deps.NodeID, c.deps.Session)
		if !ok {
			return 0, errors.New("leadership not established")
		}
		return index, nil
	}
	leaderURL := c.leaderEndpoint()
	if leaderURL == "" {
		return 0, errors.New("no known leader")
	}
	key := c.deps.FSM.State().SessionKey()
	if key == nil {
		return 0, errors.New("no session key yet")
	}
	body, _ := json.Marshal(heartbeatRequest{Node: c.deps.NodeID, Session: c.deps.Session})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, leaderURL+HeartbeatPath, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	signing.Sign(req, key, body)
	resp, err := c.deps.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() {
		// Drained, the connection is reused: with https a new one costs a TLS handshake.
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("leader refused heartbeat: %s", resp.Status)
	}
	var grant heartbeatAnswer
	if err := json.NewDecoder(resp.Body).Decode(&grant); err != nil {
		return 0, fmt.Errorf("heartbeat response: %w", err)
	}
	return grant.AppliedIndex, nil
}

// ServeHeartbeat is the leader's half of a lease renewal: body (signature checked) names the
// worker session whose lease it renews.
func (c *Committer) ServeHeartbeat(w http.ResponseWriter, r *http.Request, body []byte) error {
	var hb heartbeatRequest
	if err := json.Unmarshal(body, &hb); err != nil {
		return &MalformedError{Err: err}
	}
	cl := c.cluster.Load()
	if cl == nil {
		return ErrNoLeader
	}
	index, ok := cl.Lease(r.Context(), hb.Node, hb.Session)
	if !ok {
		return ErrNoLeader
	}
	return writeJSON(w, heartbeatAnswer{AppliedIndex: index})
}
