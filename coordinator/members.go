package coordinator

import (
	"context"
	"fmt"
	"net/url"
	"sort"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/membership"
)

// reconcileMembers brings the Raft configuration and the worker registry in line with gossip:
// alive members become voters (up to MaxVoters, kept odd) or non-voters, members that left are
// removed, and failed members stay because they may come back.
func (c *Coordinator) reconcileMembers(ctx context.Context) error {
	future := c.deps.Raft.GetConfiguration()
	if err := future.Error(); err != nil {
		return fmt.Errorf("read raft configuration: %w", err)
	}
	servers := map[raft.ServerID]raft.Server{}
	voters := 0
	for _, s := range future.Configuration().Servers {
		servers[s.ID] = s
		if s.Suffrage == raft.Voter {
			voters++
		}
	}
	members := c.deps.Members.Members()
	sort.Slice(members, func(i, j int) bool { return members[i].NodeID < members[j].NodeID })

	var candidates []membership.Member
	for _, m := range members {
		id := raft.ServerID(m.NodeID)
		switch m.Status {
		case membership.StatusAlive:
			if err := c.registerWorker(ctx, m); err != nil {
				return err
			}
			s, ok := servers[id]
			if ok && string(s.Address) != m.RaftAddr {
				// The node came back on another address (a container restart): re-adding a server
				// with its current suffrage updates its address.
				if err := c.updateAddress(s, m.RaftAddr); err != nil {
					return err
				}
			}
			if !ok || s.Suffrage != raft.Voter {
				candidates = append(candidates, m)
			}
		case membership.StatusLeft:
			if _, ok := servers[id]; ok && id != raft.ServerID(c.localID()) {
				if err := c.deps.Raft.RemoveServer(id, 0, 0).Error(); err != nil {
					return fmt.Errorf("remove %s from raft: %w", id, err)
				}
				if servers[id].Suffrage == raft.Voter {
					voters--
				}
				c.deps.Logger.Info("removed departed node from raft", "node", m.NodeID)
			}
			if c.deps.FSM.State().Worker(m.NodeID) != nil {
				if _, err := c.deps.Apply(ctx, &fsm.WorkerDeregister{Node: m.NodeID}); err != nil {
					return err
				}
			}
		}
	}
	for i, m := range candidates {
		id, addr := raft.ServerID(m.NodeID), raft.ServerAddress(m.RaftAddr)
		remaining := len(candidates) - i
		if _, known := servers[id]; !known && c.deps.VerifyPeer != nil {
			if err := c.deps.VerifyPeer(m.RaftAddr); err != nil {
				c.deps.Logger.Warn("not adding node to raft: it did not prove a cluster certificate", "node", m.NodeID, "addr", m.RaftAddr, "err", err)
				continue
			}
		}
		// Promote only while the voter count can stay odd, so a fourth node does not make quorum harder.
		if voters < MaxVoters && (voters%2 == 0 || remaining >= 2) {
			if err := c.deps.Raft.AddVoter(id, addr, 0, 0).Error(); err != nil {
				return fmt.Errorf("add voter %s: %w", id, err)
			}
			voters++
			c.deps.Logger.Info("added raft voter", "node", m.NodeID, "addr", m.RaftAddr)
		} else if _, ok := servers[id]; !ok {
			if err := c.deps.Raft.AddNonvoter(id, addr, 0, 0).Error(); err != nil {
				return fmt.Errorf("add non-voter %s: %w", id, err)
			}
			c.deps.Logger.Info("added raft non-voter", "node", m.NodeID, "addr", m.RaftAddr)
		}
	}
	return nil
}

func (c *Coordinator) updateAddress(s raft.Server, addr string) error {
	var f raft.IndexFuture
	if s.Suffrage == raft.Voter {
		f = c.deps.Raft.AddVoter(s.ID, raft.ServerAddress(addr), 0, 0)
	} else {
		f = c.deps.Raft.AddNonvoter(s.ID, raft.ServerAddress(addr), 0, 0)
	}
	if err := f.Error(); err != nil {
		return fmt.Errorf("update raft address of %s: %w", s.ID, err)
	}
	c.deps.Logger.Info("updated raft address", "node", s.ID, "addr", addr)
	return nil
}

func (c *Coordinator) localID() string {
	return c.deps.Members.Local().NodeID
}

// registerWorker records a live member in the worker registry when it is new or has a new session.
func (c *Coordinator) registerWorker(ctx context.Context, m membership.Member) error {
	if w := c.deps.FSM.State().Worker(m.NodeID); w != nil && w.Session == m.Session && w.RESTURL == m.RESTURL {
		return nil
	}
	_, err := c.deps.Apply(ctx, &fsm.WorkerRegister{Worker: fsm.Worker{
		Node: m.NodeID, Session: m.Session, RESTURL: m.RESTURL, RaftAddr: m.RaftAddr,
		WorkerID: WorkerID(m.RESTURL), SeenAt: c.deps.Now().UnixMilli(),
	}})
	return err
}

// WorkerID is Kafka Connect's worker id: the host:port of the advertised REST URL.
func WorkerID(restURL string) string {
	u, err := url.Parse(restURL)
	if err != nil || u.Host == "" {
		return restURL
	}
	return u.Host
}
