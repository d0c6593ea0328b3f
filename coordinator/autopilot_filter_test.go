package coordinator

import (
	"testing"
	"time"

	"github.com/hashicorp/raft"
	autopilot "github.com/hashicorp/raft-autopilot"
)

// TestDeadServerRemovalNeedsTimeAReplacementAndAQuorum: autopilot may remove a dead voter only
// once it has been dead for the cleanup time and the rebalance delay, a healthy non-voter waits
// to replace it, and the live voters stay a majority of the voters left.
func TestDeadServerRemovalNeedsTimeAReplacementAndAQuorum(t *testing.T) {
	now := time.Unix(1000, 0)
	server := func(id raft.ServerID, state autopilot.RaftState, alive, healthy bool) *autopilot.ServerState {
		status := autopilot.NodeFailed
		if alive {
			status = autopilot.NodeAlive
		}
		return &autopilot.ServerState{Server: autopilot.Server{ID: id, NodeStatus: status}, State: state, Health: autopilot.ServerHealth{Healthy: healthy}}
	}
	for _, tc := range []struct {
		name       string
		servers    []*autopilot.ServerState
		deadFor    map[raft.ServerID]time.Duration
		wantVoters []raft.ServerID
	}{
		{"replaced long enough", []*autopilot.ServerState{server("a", autopilot.RaftLeader, true, true), server("b", autopilot.RaftVoter, true, true),
			server("c", autopilot.RaftVoter, false, false), server("d", autopilot.RaftNonVoter, true, true)},
			map[raft.ServerID]time.Duration{"c": 5 * time.Minute}, []raft.ServerID{"c"}},
		{"dead shorter than the rebalance delay", []*autopilot.ServerState{server("a", autopilot.RaftLeader, true, true), server("b", autopilot.RaftVoter, true, true),
			server("c", autopilot.RaftVoter, false, false), server("d", autopilot.RaftNonVoter, true, true)},
			map[raft.ServerID]time.Duration{"c": 3 * time.Minute}, nil},
		{"no replacement", []*autopilot.ServerState{server("a", autopilot.RaftLeader, true, true), server("b", autopilot.RaftVoter, true, true),
			server("c", autopilot.RaftVoter, false, false)},
			map[raft.ServerID]time.Duration{"c": time.Hour}, nil},
		{"replacement not healthy", []*autopilot.ServerState{server("a", autopilot.RaftLeader, true, true), server("b", autopilot.RaftVoter, true, true),
			server("c", autopilot.RaftVoter, false, false), server("d", autopilot.RaftNonVoter, true, false)},
			map[raft.ServerID]time.Duration{"c": time.Hour}, nil},
		{"one replacement, two dead", []*autopilot.ServerState{server("a", autopilot.RaftLeader, true, true), server("b", autopilot.RaftVoter, true, true),
			server("c", autopilot.RaftVoter, true, true), server("d", autopilot.RaftVoter, false, false), server("e", autopilot.RaftVoter, false, false),
			server("f", autopilot.RaftNonVoter, true, true)},
			map[raft.ServerID]time.Duration{"d": time.Hour, "e": time.Hour}, []raft.ServerID{"d"}},
		{"live voters a minority", []*autopilot.ServerState{server("a", autopilot.RaftLeader, true, true), server("b", autopilot.RaftVoter, false, false),
			server("c", autopilot.RaftVoter, false, false), server("d", autopilot.RaftNonVoter, true, true), server("e", autopilot.RaftNonVoter, true, true)},
			map[raft.ServerID]time.Duration{"b": time.Hour, "c": time.Hour}, nil},
	} {
		c := &Coordinator{deps: Deps{DeadServerCleanup: time.Minute, RebalanceDelay: 4 * time.Minute, Now: func() time.Time { return now }}}
		p := &pilot{c: c, dead: map[raft.ServerID]time.Time{}}
		state := &autopilot.State{Servers: map[raft.ServerID]*autopilot.ServerState{}}
		failed := &autopilot.FailedServers{StaleVoters: []raft.ServerID{"stale"}}
		for _, s := range tc.servers {
			state.Servers[s.Server.ID] = s
			if s.Server.NodeStatus != autopilot.NodeAlive {
				srv := s.Server
				failed.FailedVoters = append(failed.FailedVoters, &srv)
			}
		}
		for id, d := range tc.deadFor {
			p.dead[id] = now.Add(-d)
		}
		got := p.FilterFailedServerRemovals(nil, state, failed)
		var ids []raft.ServerID
		for _, s := range got.FailedVoters {
			ids = append(ids, s.ID)
		}
		if len(ids) != len(tc.wantVoters) || (len(ids) > 0 && ids[0] != tc.wantVoters[0]) {
			t.Errorf("%s: removes %v, want %v", tc.name, ids, tc.wantVoters)
		}
		if len(got.StaleVoters) != 0 {
			t.Errorf("%s: stale voters %v let through without their cleanup time", tc.name, got.StaleVoters)
		}
	}
}
