package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/api"
	"github.com/connectd/connectd/commit"
)

// RaftPeers implements api.Backend: the Raft configuration as this node last learned it.
func (a *Agent) RaftPeers() ([]api.RaftPeer, error) {
	future := a.raft.GetConfiguration()
	if err := future.Error(); err != nil {
		return nil, fmt.Errorf("read raft configuration: %w", err)
	}
	_, leader := a.raft.LeaderWithID()
	out := []api.RaftPeer{}
	for _, s := range future.Configuration().Servers {
		out = append(out, api.RaftPeer{ID: string(s.ID), Address: string(s.Address),
			Suffrage: strings.ToLower(s.Suffrage.String()), Leader: s.ID == leader})
	}
	return out, nil
}

// RemoveRaftPeer implements api.Backend: the leader removes a server from the configuration.
func (a *Agent) RemoveRaftPeer(ctx context.Context, id string) error {
	if !a.IsLeader() {
		return commit.ErrNoLeader
	}
	future := a.raft.GetConfiguration()
	if err := future.Error(); err != nil {
		return fmt.Errorf("read raft configuration: %w", err)
	}
	known := false
	for _, s := range future.Configuration().Servers {
		known = known || string(s.ID) == id
	}
	if !known {
		return &api.UnknownRaftPeerError{ID: id}
	}
	if id == a.cfg.NodeID {
		return api.ErrRemoveLeader
	}
	if err := a.raft.RemoveServer(raft.ServerID(id), 0, 0).Error(); err != nil {
		return fmt.Errorf("remove raft server %s: %w", id, err)
	}
	a.logger.Info("operator removed raft server", "server", id)
	return nil
}

// peersFile is Consul's manual recovery file: when a cluster has lost its quorum for good, the
// operator stops the surviving nodes, writes the servers that remain into data.dir/raft/peers.json
// on each, and starts them again; they then form a new configuration from it.
const peersFile = "peers.json"

// recoverFromPeersFile applies data.dir/raft/peers.json, if present, to the Raft state before
// Raft starts, then renames the file so that a later restart does not apply it again.
func (a *Agent) recoverFromPeersFile() error {
	path := filepath.Join(a.cfg.DataDir, "raft", peersFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	conf, err := raft.ReadConfigJSON(path)
	if err != nil {
		return fmt.Errorf("recovery file %s: %w", path, err)
	}
	if err := raft.RecoverCluster(a.raftConfig(), a.fsm, a.stores.bolt, a.stores.bolt, a.stores.snaps, a.transport, conf); err != nil {
		return fmt.Errorf("recover raft from %s: %w", path, err)
	}
	if err := os.Rename(path, path+".applied"); err != nil {
		return fmt.Errorf("recovery applied, but %s could not be renamed (remove it before the next start): %w", path, err)
	}
	a.logger.Warn("recovered the raft configuration from "+path, "servers", len(conf.Servers))
	return nil
}
