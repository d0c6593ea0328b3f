package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
	autopilot "github.com/hashicorp/raft-autopilot"

	"github.com/connectd/connectd/api"
	"github.com/connectd/connectd/internal/signing"
)

// RaftStats implements api.Backend: this node's Raft progress, as Consul's servers report it to
// their autopilot.
func (a *Agent) RaftStats() (api.RaftStats, error) {
	term, err := strconv.ParseUint(a.raft.Stats()["last_log_term"], 10, 64)
	if err != nil {
		return api.RaftStats{}, fmt.Errorf("raft last_log_term: %w", err)
	}
	stats := api.RaftStats{LastContactMs: -1, LastTerm: term, LastIndex: a.raft.LastIndex()}
	if a.raft.State() == raft.Leader {
		stats.LastContactMs = 0
	} else if last := a.raft.LastContact(); !last.IsZero() {
		stats.LastContactMs = time.Since(last).Milliseconds()
	}
	return stats, nil
}

// serverStats asks node, at its REST URL, for its Raft progress; the leader's autopilot judges
// every server's health by it.
func (a *Agent) serverStats(ctx context.Context, node, restURL string) (*autopilot.ServerStats, error) {
	var stats api.RaftStats
	var err error
	if node == a.cfg.NodeID {
		stats, err = a.RaftStats()
	} else {
		stats, err = a.fetchRaftStats(ctx, a.internalURLOf(node, restURL))
	}
	if err != nil {
		return nil, err
	}
	return &autopilot.ServerStats{LastContact: time.Duration(stats.LastContactMs) * time.Millisecond,
		LastTerm: stats.LastTerm, LastIndex: stats.LastIndex}, nil
}

// internalURLOf is where internal requests to node go: with cluster TLS, its Raft address (the
// cluster channel; its REST listeners refuse internal requests), else its REST URL.
func (a *Agent) internalURLOf(node, restURL string) string {
	if a.clusterTLS == nil {
		return restURL
	}
	future := a.raft.GetConfiguration()
	if future.Error() != nil {
		return ""
	}
	for _, srv := range future.Configuration().Servers {
		if string(srv.ID) == node {
			return "https://" + string(srv.Address)
		}
	}
	return ""
}

func (a *Agent) fetchRaftStats(ctx context.Context, restURL string) (api.RaftStats, error) {
	var stats api.RaftStats
	if restURL == "" {
		return stats, errors.New("no address for the node")
	}
	key := a.fsm.State().SessionKey()
	if key == nil {
		return stats, errors.New("no session key yet")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, restURL+api.InternalRaftStatsPath, nil)
	if err != nil {
		return stats, err
	}
	signing.Sign(req, key, nil)
	resp, err := a.client.Do(req)
	if err != nil {
		return stats, err
	}
	defer func() {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return stats, fmt.Errorf("raft stats: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		return stats, fmt.Errorf("raft stats: %w", err)
	}
	return stats, nil
}
