package coordinator

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	autopilot "github.com/hashicorp/raft-autopilot"

	"github.com/connectd/connectd/membership"
)

// maxTrailingLogs is how far behind the leader's log a server may be and still count as healthy
// (Consul's default).
const maxTrailingLogs = 250

// restURLMeta is the key of a server's REST URL in autopilot's server metadata.
const restURLMeta = "rest_url"

// pilot ties hashicorp/raft-autopilot to the leader: autopilot tracks every Raft server's health
// (gossip status, and the Raft progress each node reports) and removes dead servers, as in
// Consul. Suffrage stays with reconcileMembers, which keeps the voter count odd and at most
// MaxVoters; autopilot's own promoter would make every healthy server a voter.
type pilot struct {
	autopilot.StablePromoter
	c *Coordinator
	// mu guards dead, which autopilot's goroutines read and write.
	mu sync.Mutex
	// dead remembers since when each Raft server has been seen dead (failed or left in gossip,
	// or unknown to it). A new leader starts counting afresh, which only delays a removal.
	dead map[raft.ServerID]time.Time
}

// startAutopilot runs autopilot until ctx ends; removeDead asks it to look for dead servers now,
// wait waits until it has stopped.
// Without raft.dead.server.cleanup.ms there is nothing for it to do, and it does not run.
func (c *Coordinator) startAutopilot(ctx context.Context) (removeDead, wait func()) {
	if c.deps.DeadServerCleanup <= 0 || c.deps.ServerStats == nil {
		return func() {}, func() {}
	}
	p := &pilot{c: c, dead: map[raft.ServerID]time.Time{}}
	ap := autopilot.New(c.deps.Raft, p,
		autopilot.WithLogger(c.deps.AutopilotLogger), autopilot.WithPromoter(p),
		// The default update interval gives each node half of it, a second, to report its stats.
		autopilot.WithUpdateInterval(autopilot.DefaultUpdateInterval), autopilot.WithReconcileInterval(c.deps.Interval))
	// Start asks every node for its stats before it returns; the leader loop need not wait for that.
	started := make(chan struct{})
	go func() {
		defer close(started)
		ap.Start(ctx)
	}()
	return ap.RemoveDeadServers, func() {
		<-started
		<-ap.Stop()
	}
}

// AutopilotConfig implements autopilot.ApplicationIntegration.
func (p *pilot) AutopilotConfig() *autopilot.Config {
	return &autopilot.Config{
		CleanupDeadServers: true,
		// A follower that has not heard from the leader for a heartbeat timeout starts an election.
		LastContactThreshold: p.c.deps.Raft.ReloadableConfig().HeartbeatTimeout,
		MaxTrailingLogs:      maxTrailingLogs,
	}
}

// NotifyState implements autopilot.ApplicationIntegration. Autopilot keeps its state itself and
// nothing else here reads it.
func (p *pilot) NotifyState(*autopilot.State) {}

// KnownServers implements autopilot.ApplicationIntegration: every server of the Raft
// configuration, with its gossip status. A server gossip does not know counts as failed rather
// than unknown, so that it too waits out the cleanup time instead of being removed at once.
func (p *pilot) KnownServers() map[raft.ServerID]*autopilot.Server {
	future := p.c.deps.Raft.GetConfiguration()
	if future.Error() != nil {
		return nil
	}
	members := map[raft.ServerID]membership.Member{}
	for _, m := range p.c.deps.Members.Members() {
		members[raft.ServerID(m.NodeID)] = m
	}
	_, leader := p.c.deps.Raft.LeaderWithID()
	now := p.c.deps.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	servers := map[raft.ServerID]*autopilot.Server{}
	for _, s := range future.Configuration().Servers {
		srv := &autopilot.Server{ID: s.ID, Name: string(s.ID), Address: s.Address, NodeStatus: autopilot.NodeFailed,
			NodeType: autopilot.NodeVoter, IsLeader: s.ID == leader}
		if m, ok := members[s.ID]; ok {
			srv.NodeStatus = nodeStatus(m.Status)
			srv.Version = m.Version
			srv.Meta = map[string]string{restURLMeta: m.RESTURL}
		}
		servers[s.ID] = srv
		if srv.NodeStatus == autopilot.NodeAlive {
			delete(p.dead, s.ID)
		} else if _, seen := p.dead[s.ID]; !seen {
			p.dead[s.ID] = now
		}
	}
	for id := range p.dead {
		if servers[id] == nil {
			delete(p.dead, id)
		}
	}
	return servers
}

func nodeStatus(s membership.Status) autopilot.NodeStatus {
	switch s {
	case membership.StatusAlive:
		return autopilot.NodeAlive
	case membership.StatusLeft:
		return autopilot.NodeLeft
	default:
		return autopilot.NodeFailed
	}
}

// FetchServerStats implements autopilot.ApplicationIntegration: each live server's Raft
// progress, asked of the node itself. A server that does not answer gets no stats, which
// autopilot counts as unhealthy.
func (p *pilot) FetchServerStats(ctx context.Context, servers map[raft.ServerID]*autopilot.Server) map[raft.ServerID]*autopilot.ServerStats {
	var mu sync.Mutex
	var wg sync.WaitGroup
	stats := map[raft.ServerID]*autopilot.ServerStats{}
	for id, srv := range servers {
		if srv.NodeStatus != autopilot.NodeAlive {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := p.c.deps.ServerStats(ctx, string(id), srv.Meta[restURLMeta])
			if err != nil {
				p.c.deps.Logger.Debug("no raft stats from server", "node", id, "err", err)
				return
			}
			mu.Lock()
			stats[id] = s
			mu.Unlock()
		}()
	}
	wg.Wait()
	return stats
}

// RemoveFailedServer implements autopilot.ApplicationIntegration: autopilot has judged the
// removal safe, and FilterFailedServerRemovals let it through.
func (p *pilot) RemoveFailedServer(srv *autopilot.Server) {
	p.mu.Lock()
	since := p.dead[srv.ID]
	p.mu.Unlock()
	if err := p.c.deps.Raft.RemoveServer(srv.ID, 0, 0).Error(); err != nil {
		p.c.deps.Logger.Warn("could not remove a dead raft server", "node", srv.ID, "err", err)
		return
	}
	p.c.deps.Logger.Info("removed a dead raft server", "node", srv.ID, "dead_for", p.c.deps.Now().Sub(since).Round(time.Second))
	// The replacement waits as a non-voter; the leader loop promotes it now the count allows.
	p.c.poke()
}

// CalculatePromotionsAndDemotions implements autopilot.Promoter: none, reconcileMembers decides
// who votes.
func (p *pilot) CalculatePromotionsAndDemotions(*autopilot.Config, *autopilot.State) autopilot.RaftChanges {
	return autopilot.RaftChanges{}
}

// FilterFailedServerRemovals implements autopilot.Promoter. A server is removed only once it has
// been dead for the cleanup time and scheduled.rebalance.max.delay.ms (a node that may still come
// back keeps its place as long as its work does). A voter is removed only in favour of a healthy
// non-voter waiting to replace it, and only while the live voters stay a majority of the voters
// left, so that a host replaced under a new node.id does not leave its old voter behind and two
// such replacements do not cost the cluster its quorum. Every Raft server is reported as known,
// so autopilot's stale lists (servers it would remove without asking) are dropped.
func (p *pilot) FilterFailedServerRemovals(_ *autopilot.Config, state *autopilot.State, failed *autopilot.FailedServers) *autopilot.FailedServers {
	grace := max(p.c.deps.DeadServerCleanup, p.c.deps.RebalanceDelay)
	now := p.c.deps.Now()
	p.mu.Lock()
	deadLongEnough := func(id raft.ServerID) bool {
		since, seen := p.dead[id]
		return seen && now.Sub(since) >= grace
	}
	defer p.mu.Unlock()

	out := &autopilot.FailedServers{}
	for _, srv := range failed.FailedNonVoters {
		if deadLongEnough(srv.ID) {
			out.FailedNonVoters = append(out.FailedNonVoters, srv)
		}
	}
	replacements, liveVoters, voters := 0, 0, 0
	for _, s := range state.Servers {
		switch {
		case s.State == autopilot.RaftNonVoter && s.Health.Healthy:
			replacements++
		case s.HasVotingRights():
			voters++
			if s.Server.NodeStatus == autopilot.NodeAlive {
				liveVoters++
			}
		}
	}
	for _, srv := range failed.FailedVoters {
		// After the removal, the live voters must still be a majority of the voters left.
		if !deadLongEnough(srv.ID) || replacements == 0 || liveVoters <= (voters-1)/2 {
			continue
		}
		out.FailedVoters = append(out.FailedVoters, srv)
		replacements--
		voters--
	}
	return out
}
