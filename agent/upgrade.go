package agent

import (
	"fmt"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/commit"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/membership"
)

// votersLacking lists the live voters whose build, as gossiped, cannot apply command type t.
// Voters gossip does not see alive are left out: they cannot be asked, and one that comes back
// on an old build stops at the entry with a clear line rather than diverge.
func votersLacking(t fsm.MessageType, servers []raft.Server, members []membership.Member) []string {
	live := map[string]membership.Member{}
	for _, m := range members {
		if m.Status == membership.StatusAlive {
			live[m.NodeID] = m
		}
	}
	var lacking []string
	for _, s := range servers {
		m, ok := live[string(s.ID)]
		if s.Suffrage == raft.Voter && ok && !fsm.KnowsType(m.Commands, t) {
			lacking = append(lacking, fmt.Sprintf("%s (version %s)", m.NodeID, m.Version))
		}
	}
	return lacking
}

// checkVotersKnow refuses, before it reaches the log, a command of a type some live voter cannot
// apply yet: during a rolling upgrade a new kind of write waits until every voter runs a build
// that knows it.
func (a *Agent) checkVotersKnow(data []byte) error {
	if len(data) == 0 || a.members == nil {
		return nil
	}
	future := a.raft.GetConfiguration()
	if future.Error() != nil {
		return nil
	}
	t := fsm.MessageType(data[0])
	if lacking := votersLacking(t, future.Configuration().Servers, a.members.Members()); len(lacking) > 0 {
		return &commit.VotersLackingError{Type: t, Voters: lacking}
	}
	return nil
}
