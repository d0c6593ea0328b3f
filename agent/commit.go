package agent

import (
	"context"
	"net/http"

	"github.com/connectd/connectd/api"
	"github.com/connectd/connectd/commit"
	"github.com/connectd/connectd/fsm"
)

// newCommitter builds the node's replicated-write path; Attach gives it Raft and gossip once
// they run.
func (a *Agent) newCommitter() *commit.Committer {
	return commit.New(commit.Deps{
		FSM: a.fsm, Client: a.client, Logger: a.logger, NodeID: a.cfg.NodeID, Session: a.session,
		MaxCommandBytes: a.cfg.InternalMaxBodyBytes, Check: a.checkVotersKnow,
		ObserveCommit: a.metrics.RaftCommit, Closing: a.raftClosing, ClusterChannel: a.clusterTLS != nil,
	})
}

// routeInternal serves the replicated-write path's internal endpoints on the REST router.
func (a *Agent) routeInternal(server *api.Server) {
	server.HandleSigned(http.MethodPost, commit.ApplyPath, a.commit.ServeApply)
	server.HandleSigned(http.MethodPost, commit.HeartbeatPath, a.commit.ServeHeartbeat)
}

// State implements api.Backend.
func (a *Agent) State() *fsm.State { return a.commit.State() }

// Apply implements api.Backend.
func (a *Agent) Apply(ctx context.Context, cmd fsm.Command) (fsm.Result, error) {
	return a.commit.Commit(ctx, cmd)
}
