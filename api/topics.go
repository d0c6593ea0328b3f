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
