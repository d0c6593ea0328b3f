package api

import "net/http"

// InternalRaftStatsPath is where the leader's autopilot asks a node for its Raft progress, by
// which it judges whether the node is healthy.
const InternalRaftStatsPath = "/connectd/internal/raftstats"

// RaftStats is a node's Raft progress as it sees it.
type RaftStats struct {
	// LastContactMs is how long ago the node last heard from its leader (0 on the leader, -1 if
	// it never has).
	LastContactMs int64  `json:"last_contact_ms"`
	LastTerm      uint64 `json:"last_term"`
	LastIndex     uint64 `json:"last_index"`
}

func (s *Server) internalRaftStats(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.readSigned(r); err != nil {
		return err
	}
	stats, err := s.backend.RaftStats()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, stats)
	return nil
}
