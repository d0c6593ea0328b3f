package agent

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/connectd/connectd/api"
	"github.com/connectd/connectd/plugins"
)

// health tracks start-up stages so that GET /health can say what the node is waiting for.
type health struct {
	mu      sync.Mutex
	stage   string
	since   time.Time
	isReady bool
}

func newHealth() *health { return &health{stage: "starting", since: time.Now()} }

func (h *health) enter(stage string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stage, h.since = stage, time.Now()
}

func (h *health) ready() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.isReady = true
}

// Health implements api.Backend.
func (a *Agent) Health() api.HealthStatus {
	a.health.mu.Lock()
	ready, stage, since := a.health.isReady, a.health.stage, a.health.since
	a.health.mu.Unlock()
	if !ready {
		return api.HealthStatus{Ready: false, Stage: stage, Since: since}
	}
	if _, id := a.raft.LeaderWithID(); id == "" {
		return api.HealthStatus{Ready: true, Healthy: false, Stage: "waiting for a Raft leader", Since: time.Now()}
	}
	now := time.Now()
	select {
	case <-a.workerDone:
		if a.ctx.Err() == nil {
			return api.HealthStatus{Ready: true, Healthy: false, Stage: "without a running worker loop", Since: now}
		}
	default:
	}
	// A reconcile waits for instances to stop (task.shutdown.graceful.timeout.ms) and for Raft;
	// one that lasts a lease longer than that is stuck, and the node no longer runs its share.
	if stuck := a.worker.Stuck(now); stuck > a.cfg.TaskShutdownTimeout+a.cfg.SessionTimeout {
		return api.HealthStatus{Ready: true, Healthy: false, Since: now.Add(-stuck),
			Stage: fmt.Sprintf("reconciling its connectors and tasks with the assignment, with no progress for %s", stuck.Round(time.Millisecond))}
	}
	return api.HealthStatus{Ready: true, Healthy: true}
}

// Registry implements api.Backend.
func (a *Agent) Registry() *plugins.Registry { return a.registry }

// Settings implements api.Backend.
func (a *Agent) Settings() api.Settings {
	return api.Settings{
		GroupID:                 a.cfg.GroupID,
		RequestTimeout:          a.cfg.RESTRequestTimeout,
		MaxBodyBytes:            a.cfg.RESTMaxBodyBytes,
		TopicTrackingEnable:     a.cfg.TopicTrackingEnable,
		TopicTrackingAllowReset: a.cfg.TopicTrackingAllowReset,
		TopicCreationEnable:     a.cfg.TopicCreationEnable,
		OverridePolicy:          a.cfg.ConnectorClientConfigOverridePolicy,
		FileStreamAllowedPaths:  a.cfg.FileStreamAllowedPaths,
		Commit:                  Commit,
		KafkaClusterID:          a.kafkaClusterID,
		FirstStatusWait:         a.cfg.FirstStatusWait,
		InternalMaxBodyBytes:    a.cfg.InternalMaxBodyBytes,
		TasksMaxLimit:           a.cfg.TasksMaxLimit,
	}
}

// Cluster implements api.Backend.
func (a *Agent) Cluster() api.ClusterStatus {
	out := api.ClusterStatus{NodeID: a.cfg.NodeID, Members: []api.ClusterMember{}}
	if a.raft != nil {
		out.RaftState = strings.ToLower(a.raft.State().String())
		_, id := a.raft.LeaderWithID()
		out.Leader = string(id)
		out.LeaderURL = a.commit.LeaderURL()
	}
	if a.members != nil {
		for _, m := range a.members.Members() {
			out.Members = append(out.Members, api.ClusterMember{NodeID: m.NodeID, Status: m.Status.String(), RESTURL: m.RESTURL, Version: m.Version, Commands: m.Commands})
		}
	}
	sort.Slice(out.Members, func(i, j int) bool { return out.Members[i].NodeID < out.Members[j].NodeID })
	return out
}

// caughtUp reports whether this node's state machine includes everything the leader had applied
// when asked, so that the node may start serving connector reads. The leader answers that index
// with a lease renewal; a new leader answers only once its barrier has applied the whole log.
// Raft's own commit index would not do: a restarted follower learns it in batches while it
// catches up, and it counts configuration and no-op entries the FSM never sees. The target is
// fixed once learned, so a follower catching up under a steady stream of writes gets there.
func (a *Agent) caughtUp() bool {
	ctx, cancel := context.WithTimeout(a.ctx, catchUpWait)
	defer cancel()
	index, err := a.commit.LeaderAppliedIndex(ctx)
	if err != nil {
		a.logger.Debug("cannot learn the leader's applied index yet", "err", err)
		return false
	}
	a.commit.WaitApplied(ctx, index)
	return a.fsm.AppliedIndex() >= index
}

// catchUpWait bounds one attempt to learn the leader's applied index and reach it.
const catchUpWait = 10 * time.Second
