package api

import (
	"net/http"

	"github.com/connectd/connectd/fsm"
)

// taskConfigs is Kafka Connect 3.9's GET /connectors/{n}/tasks-config (deprecated there in favour
// of GET /connectors/{n}/tasks, still served): every task's config keyed by "<connector>-<task>".
func (s *Server) taskConfigs(w http.ResponseWriter, r *http.Request) error {
	c, err := s.lookupWithTasks(r)
	if err != nil {
		return err
	}
	out := make(map[string]map[string]string, len(c.Tasks))
	for i, cfg := range c.Tasks {
		out[fsm.TaskID{Connector: c.Name, Task: i}.String()] = cfg
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
