package coordinator

import (
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/membership"
)

// failures remembers, in leader memory, since when each Raft server has been seen dead (failed in
// gossip, or unknown to it). A new leader starts counting afresh, which only delays a removal.
type failures map[raft.ServerID]time.Time

// pruneDeadServers removes from the Raft configuration a server that has been dead for longer than
// the cleanup time (and the rebalance delay, so a node that may still come back keeps its place
// as long as its work does), when a healthy replacement exists and the removal keeps a quorum of
// live voters, as Consul's autopilot does. A host replaced under a new node.id thus does not leave
// its old voter behind, and two such replacements do not cost the cluster its quorum.
func (c *Coordinator) pruneDeadServers(servers []raft.Server, members []membership.Member) error {
	if c.deps.DeadServerCleanup <= 0 {
		return nil
	}
	grace := max(c.deps.DeadServerCleanup, c.deps.RebalanceDelay)
	now := c.deps.Now()
	alive := map[raft.ServerID]bool{}
	for _, m := range members {
		if m.Status == membership.StatusAlive {
			alive[raft.ServerID(m.NodeID)] = true
		}
	}
	inConfig, voter := map[raft.ServerID]bool{}, map[raft.ServerID]bool{}
	liveVoters, voters := 0, 0
	for _, s := range servers {
		inConfig[s.ID] = true
		if s.Suffrage == raft.Voter {
			voter[s.ID] = true
			voters++
			if alive[s.ID] {
				liveVoters++
			}
		}
	}
	// A replacement is a live member that is not a voter yet.
	replacements := 0
	for id := range alive {
		if !voter[id] {
			replacements++
		}
	}
	if c.dead == nil {
		c.dead = failures{}
	}
	for id := range c.dead {
		if alive[id] || !inConfig[id] {
			delete(c.dead, id)
		}
	}
	for _, s := range servers {
		if alive[s.ID] || s.Suffrage != raft.Voter {
			continue
		}
		since, seen := c.dead[s.ID]
		if !seen {
			c.dead[s.ID] = now
			continue
		}
		// After the removal, the live voters must still be a majority of the voters left.
		if now.Sub(since) < grace || replacements == 0 || liveVoters <= (voters-1)/2 {
			continue
		}
		if err := c.deps.Raft.RemoveServer(s.ID, 0, 0).Error(); err != nil {
			return fmt.Errorf("remove dead server %s: %w", s.ID, err)
		}
		c.deps.Logger.Info("removed a dead raft server in favour of a healthy replacement", "node", s.ID, "dead_for", now.Sub(since).Round(time.Second))
		delete(c.dead, s.ID)
		// One removal per round: the next round re-reads the configuration and promotes the replacement.
		return nil
	}
	return nil
}
