package agent

import (
	"io"
	"net/http"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/metrics"
	"github.com/connectd/connectd/ui"
)

// newMetrics builds the node's metrics from what the node already holds; nil when
// metrics.enable is false.
func (a *Agent) newMetrics() *metrics.Node {
	if !a.cfg.MetricsEnable {
		return nil
	}
	return metrics.New(metrics.Sources{
		Node:     a.cfg.NodeID,
		Protocol: a.cfg.ConnectProtocol,
		State:    a.fsm.State,
		ConnectorInfo: func(class string) (string, string) {
			if p, ok := a.registry.Lookup(class); ok && p.IsConnector() {
				return string(p.Kind), p.Version
			}
			return "unknown", ""
		},
		LeaderURL: func() string { return a.commit.LeaderURL() },
		Raft: func() map[string]string {
			if a.raft == nil {
				return nil
			}
			return a.raft.Stats()
		},
		Members: func() map[string]int {
			out := map[string]int{}
			if a.members != nil {
				for _, m := range a.members.Members() {
					out[m.Status.String()]++
				}
			}
			return out
		},
		Lease: func() (int64, int64) {
			if a.worker == nil {
				return 0, 0
			}
			return a.worker.LeaseStats()
		},
	})
}

// handler serves the REST API, GET /metrics and the web console on one listener.
func (a *Agent) handler(rest http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", rest)
	if a.metrics != nil {
		mux.Handle("GET /metrics", a.metrics.Handler())
	} else {
		mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		})
	}
	mux.Handle("GET /ui/", ui.Handler())
	mux.Handle("GET /ui", http.RedirectHandler("/ui/", http.StatusMovedPermanently))
	return mux
}

// observeLeaders counts Raft leader changes until the node stops.
func (a *Agent) observeLeaders() {
	ch := make(chan raft.Observation, 8)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	a.raft.RegisterObserver(obs)
	defer a.raft.DeregisterObserver(obs)
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-ch:
			a.metrics.LeaderChanged()
		}
	}
}

// countingFSM counts the state machine's snapshots and restores for metrics.
type countingFSM struct {
	*fsm.FSM
	metrics *metrics.Node
}

func (c countingFSM) Snapshot() (raft.FSMSnapshot, error) {
	c.metrics.Snapshotted()
	return c.FSM.Snapshot()
}

func (c countingFSM) Restore(rc io.ReadCloser) error {
	c.metrics.Restored()
	return c.FSM.Restore(rc)
}

// raftFSM is the state machine Raft drives: the node's, counted when metrics are on.
func (a *Agent) raftFSM() raft.FSM {
	if a.metrics == nil {
		return a.fsm
	}
	return countingFSM{FSM: a.fsm, metrics: a.metrics}
}
