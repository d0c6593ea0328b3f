package api

import (
	"errors"
	"net/http"

	"github.com/gorilla/mux"
)

// RaftPeersPath lists the servers of the Raft configuration (connectd operator raft list-peers).
const RaftPeersPath = "/connectd/operator/raft/peers"

// RaftPeer is one server of the Raft configuration as this node knows it.
type RaftPeer struct {
	ID       string `json:"id"`
	Address  string `json:"address"`
	Suffrage string `json:"suffrage"`
	Leader   bool   `json:"leader"`
}

// UnknownRaftPeerError is RemoveRaftPeer's refusal of an id that is not in the configuration.
type UnknownRaftPeerError struct {
	ID string
}

func (e *UnknownRaftPeerError) Error() string { return "no Raft server with id " + e.ID }

// ErrRemoveLeader is RemoveRaftPeer's refusal to remove the leader it runs on.
var ErrRemoveLeader = errors.New("the leader cannot remove itself")

func (s *Server) raftPeers(w http.ResponseWriter, _ *http.Request) error {
	peers, err := s.backend.RaftPeers()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, peers)
	return nil
}

// removeRaftPeer removes a server from the Raft configuration; only the leader can, others
// answer 409 with the usual "no known leader" retry message.
func (s *Server) removeRaftPeer(w http.ResponseWriter, r *http.Request) error {
	if err := s.backend.RemoveRaftPeer(r.Context(), mux.Vars(r)["id"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
