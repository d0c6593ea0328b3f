package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/connectd/connectd/api"
)

// heartbeat renews this node's worker lease with the current Raft leader. The grant counts only
// once this node has applied everything the leader had applied when it granted it, so that a node
// thawed after a freeze sees the assignments made while it was frozen before it runs anything.
func (a *Agent) heartbeat(ctx context.Context) error {
	index, err := a.renewLease(ctx)
	if err != nil {
		return err
	}
	a.waitApplied(ctx, index)
	if a.fsm.AppliedIndex() < index {
		return fmt.Errorf("state behind the leader's: applied %d of %d", a.fsm.AppliedIndex(), index)
	}
	return nil
}

// renewLease renews this node's lease with the leader and returns the leader's applied index.
func (a *Agent) renewLease(ctx context.Context) (uint64, error) {
	if a.IsLeader() {
		index, ok := a.coord.Heartbeat(a.cfg.NodeID, a.session)
		if !ok {
			return 0, errors.New("leadership not established")
		}
		return index, nil
	}
	leaderURL := a.internalLeaderURL()
	if leaderURL == "" {
		return 0, errors.New("no known leader")
	}
	key := a.fsm.State().SessionKey()
	if key == nil {
		return 0, errors.New("no session key yet")
	}
	body, _ := json.Marshal(api.HeartbeatRequest{Node: a.cfg.NodeID, Session: a.session})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, leaderURL+api.InternalHeartbeatPath, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	api.Sign(req, key, body)
	resp, err := a.client.Do(req)
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
	var grant api.HeartbeatResponse
	if err := json.NewDecoder(resp.Body).Decode(&grant); err != nil {
		return 0, fmt.Errorf("heartbeat response: %w", err)
	}
	return grant.AppliedIndex, nil
}

// Heartbeat implements api.Backend: the leader renews a worker's lease.
func (a *Agent) Heartbeat(node, session string) (uint64, bool) {
	return a.coord.Heartbeat(node, session)
}

// workerID is Kafka Connect's worker id: the host:port of the advertised REST URL.
func workerID(restURL string) string {
	u, err := url.Parse(restURL)
	if err != nil || u.Host == "" {
		return restURL
	}
	return u.Host
}
