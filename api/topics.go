package api

import (
	"net/http"

	"github.com/connectd/connectd/fsm"
)

func (s *Server) activeTopics(w http.ResponseWriter, r *http.Request) error {
	if !s.backend.Settings().TopicTrackingEnable {
		return errorf(http.StatusForbidden, "Topic tracking is disabled.")
	}
	name := connectorName(r)
	writeJSON(w, http.StatusOK, map[string]map[string][]string{name: {"topics": s.backend.State().ActiveTopics(name)}})
	return nil
}

func (s *Server) resetTopics(w http.ResponseWriter, r *http.Request) error {
	settings := s.backend.Settings()
	if !settings.TopicTrackingEnable {
		return errorf(http.StatusForbidden, "Topic tracking is disabled.")
	}
	if !settings.TopicTrackingAllowReset {
		return errorf(http.StatusForbidden, "Topic tracking reset is disabled.")
	}
	res, err := s.backend.Apply(r.Context(), &fsm.TopicsReset{Connector: connectorName(r)})
	if err = resultError(res, err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// ConnectorOffset is one partition's offset in the offsets API.
type ConnectorOffset struct {
	Partition map[string]any `json:"partition"`
	Offset    map[string]any `json:"offset"`
}

// ConnectorOffsets is the body of the offsets API.
type ConnectorOffsets struct {
	Offsets []ConnectorOffset `json:"offsets"`
}

func (s *Server) getOffsets(w http.ResponseWriter, r *http.Request) error {
	c, err := s.lookup(r)
	if err != nil {
		return err
	}
	out := ConnectorOffsets{Offsets: []ConnectorOffset{}}
	if s.connectorType(c) == "sink" {
		return errorf(http.StatusInternalServerError, "Failed to retrieve consumer group offsets for sink connector %s", c.Name)
	}
	for _, o := range s.backend.State().SourceOffsets(c.Name) {
		out.Offsets = append(out.Offsets, ConnectorOffset{Partition: o.Partition, Offset: o.Offset})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
