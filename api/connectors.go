package api

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/plugins"
)

// ConnectorInfo is Kafka Connect's connector entity.
type ConnectorInfo struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Tasks  []fsm.TaskID      `json:"tasks"`
	Type   string            `json:"type"`
}

// TaskInfo is one task's config.
type TaskInfo struct {
	ID     fsm.TaskID        `json:"id"`
	Config map[string]string `json:"config"`
}

// ConnectorState is the connector part of a status.
type ConnectorState struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

// TaskState is one task's status.
type TaskState struct {
	ID       int    `json:"id"`
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

// ConnectorStateInfo is Kafka Connect's status entity.
type ConnectorStateInfo struct {
	Name      string         `json:"name"`
	Connector ConnectorState `json:"connector"`
	Tasks     []TaskState    `json:"tasks"`
	Type      string         `json:"type"`
}

// CreateConnectorRequest is the body of POST /connectors.
type CreateConnectorRequest struct {
	Name         *string   `json:"name"`
	Config       ConfigMap `json:"config"`
	InitialState *string   `json:"initial_state"`
}

func connectorName(r *http.Request) string { return mux.Vars(r)["name"] }

func (s *Server) connectorInfo(c *fsm.Connector) ConnectorInfo {
	info := ConnectorInfo{Name: c.Name, Config: c.Config, Tasks: []fsm.TaskID{}, Type: s.connectorType(c)}
	for i := range c.Tasks {
		info.Tasks = append(info.Tasks, fsm.TaskID{Connector: c.Name, Task: i})
	}
	return info
}

func (s *Server) connectorType(c *fsm.Connector) string {
	return s.backend.Registry().ConnectorType(c.Config["connector.class"])
}

func (s *Server) lookup(r *http.Request) (*fsm.Connector, error) {
	name := connectorName(r)
	c := s.backend.State().Connector(name)
	if c == nil {
		return nil, errorf(http.StatusNotFound, "Connector %s not found", name)
	}
	return c, nil
}

func (s *Server) listConnectors(w http.ResponseWriter, r *http.Request) error {
	state := s.backend.State()
	connectors := state.Connectors()
	expand := r.URL.Query()["expand"]
	if len(expand) == 0 {
		names := make([]string, 0, len(connectors))
		for _, c := range connectors {
			names = append(names, c.Name)
		}
		writeJSON(w, http.StatusOK, names)
		return nil
	}
	out := map[string]map[string]any{}
	for _, c := range connectors {
		entry := map[string]any{}
		omit := false
		for _, e := range expand {
			switch e {
			case "status":
				status, err := s.stateInfo(state, c)
				if err != nil {
					omit = true
				} else {
					entry["status"] = status
				}
			case "info":
				entry["info"] = s.connectorInfo(c)
			}
		}
		// Kafka Connect leaves out a connector whose status cannot be found rather than failing.
		if !omit {
			out[c.Name] = entry
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createConnector(w http.ResponseWriter, r *http.Request) error {
	var req CreateConnectorRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	name := ""
	if req.Name != nil {
		name = strings.TrimSpace(*req.Name)
	}
	if req.Config == nil {
		return errorf(http.StatusBadRequest, "Connector config is missing: the request body needs a \"config\" object")
	}
	target := fsm.TargetStarted
	if req.InitialState != nil {
		switch strings.ToUpper(*req.InitialState) {
		case "RUNNING":
		case "PAUSED":
			target = fsm.TargetPaused
		case "STOPPED":
			target = fsm.TargetStopped
		default:
			return errorf(http.StatusBadRequest, "Invalid initial_state %q: must be one of RUNNING, PAUSED, STOPPED", *req.InitialState)
		}
	}
	config, err := s.checkConfig(name, req.Config)
	if err != nil {
		return err
	}
	// A request id, so that a create the commit path sends again (its first answer lost) is
	// not refused as a conflict with itself.
	res, err := s.backend.Apply(r.Context(), &fsm.ConnectorPut{Name: name, Config: config, Target: target, Create: true, Request: rand.Text()})
	if err = resultError(res, err); err != nil {
		return err
	}
	w.Header().Set("Location", locationOf(r, name))
	writeJSON(w, http.StatusCreated, s.connectorInfo(res.Connector))
	return nil
}

// checkConfig applies Kafka Connect's name rule and validation to a config for connector name,
// returning the config to store (with name injected).
func (s *Server) checkConfig(name string, config ConfigMap) (map[string]string, error) {
	if v, ok := config["name"]; ok && v != nil && *v != name {
		return nil, errorf(http.StatusBadRequest, "Connector name configuration (%s) doesn't match connector name in the URL (%s)", *v, name)
	}
	withName := ConfigMap{}
	for k, v := range config {
		withName[k] = v
	}
	withName["name"] = &name
	if err := s.validate(withName); err != nil {
		return nil, err
	}
	return withName.Strings(), nil
}

func (s *Server) validate(config ConfigMap) error {
	infos, err := s.backend.Registry().Validate(config, s.validationContext())
	if err != nil {
		return err
	}
	if infos.ErrorCount > 0 {
		return &Error{Code: http.StatusBadRequest, Message: plugins.InvalidConfigMessage(infos)}
	}
	return nil
}

func (s *Server) validationContext() plugins.ValidationContext {
	st := s.backend.Settings()
	return plugins.ValidationContext{WorkerGroupID: st.GroupID, TopicCreationEnable: st.TopicCreationEnable, OverridePolicy: st.OverridePolicy,
		FileStreamAllowedPaths: st.FileStreamAllowedPaths, TasksMaxLimit: st.TasksMaxLimit}
}

// resultError turns a committed command's refusal into an error.
func resultError(res fsm.Result, err error) error {
	if err != nil {
		return err
	}
	if res.Err != nil {
		return res.Err
	}
	return nil
}

func locationOf(r *http.Request, name string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/connectors/" + url.PathEscape(name)
}

func (s *Server) getConnector(w http.ResponseWriter, r *http.Request) error {
	c, err := s.lookup(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.connectorInfo(c))
	return nil
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) error {
	c, err := s.lookup(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c.Config)
	return nil
}

func (s *Server) putConfig(w http.ResponseWriter, r *http.Request) error {
	name := connectorName(r)
	var body ConfigMap
	if err := readJSON(r, &body); err != nil {
		return err
	}
	if body == nil {
		return errorf(http.StatusBadRequest, "Connector config is missing: the request body must be a JSON object")
	}
	config, err := s.checkConfig(name, body)
	if err != nil {
		return err
	}
	res, err := s.backend.Apply(r.Context(), &fsm.ConnectorPut{Name: name, Config: config})
	if err = resultError(res, err); err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
		w.Header().Set("Location", locationOf(r, name))
	}
	writeJSON(w, status, s.connectorInfo(res.Connector))
	return nil
}

// patchRetries bounds how often a PATCH is re-merged when another write raced with it.
const patchRetries = 5

func (s *Server) patchConfig(w http.ResponseWriter, r *http.Request) error {
	var patch ConfigMap
	if err := readJSON(r, &patch); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		c, err := s.lookup(r)
		if err != nil {
			return err
		}
		merged := fsm.MergeConfig(c.Config, patch)
		candidate := ConfigMap{}
		for k, v := range merged {
			candidate[k] = &v
		}
		if err := s.validate(candidate); err != nil {
			return err
		}
		res, err := s.backend.Apply(r.Context(), &fsm.ConnectorPatch{Name: c.Name, Patch: patch, IfIndex: c.ModifyIndex})
		err = resultError(res, err)
		if fsm.IsKind(err, fsm.KindStaleConfig) && attempt < patchRetries {
			// This node's state was behind the leader's; Apply has waited for it to catch up.
			continue
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s.connectorInfo(res.Connector))
		return nil
	}
}

func (s *Server) deleteConnector(w http.ResponseWriter, r *http.Request) error {
	res, err := s.backend.Apply(r.Context(), &fsm.ConnectorDelete{Name: connectorName(r)})
	err = resultError(res, err)
	if res.Repeated && fsm.IsKind(err, fsm.KindNotFound) {
		// An earlier attempt of this delete was committed and its answer lost: it is done.
		err = nil
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) targetState(target fsm.TargetState, status int) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		name := connectorName(r)
		if s.backend.State().Connector(name) == nil {
			return errorf(http.StatusNotFound, "Unknown connector %s", name)
		}
		res, err := s.backend.Apply(r.Context(), &fsm.TargetStateChange{Name: name, Target: target})
		if err = resultError(res, err); err != nil {
			return err
		}
		w.WriteHeader(status)
		return nil
	}
}

func (s *Server) stateInfo(state *fsm.State, c *fsm.Connector) (*ConnectorStateInfo, error) {
	cs := state.ConnectorStatus(c.Name)
	if cs == nil {
		return nil, errorf(http.StatusNotFound, "No status found for connector %s", c.Name)
	}
	info := &ConnectorStateInfo{Name: c.Name, Type: s.connectorType(c), Tasks: []TaskState{},
		Connector: ConnectorState{State: cs.State, WorkerID: cs.WorkerID, Trace: cs.Trace}}
	for _, st := range state.Statuses(c.Name) {
		if st.Task != fsm.ConnectorTask && st.Task < len(c.Tasks) {
			info.Tasks = append(info.Tasks, TaskState{ID: st.Task, State: st.State, WorkerID: st.WorkerID, Trace: st.Trace})
		}
	}
	return info, nil
}

func (s *Server) connectorStatus(w http.ResponseWriter, r *http.Request) error {
	name := connectorName(r)
	state := s.awaitState(r.Context(), hasFirstStatus(name))
	c := state.Connector(name)
	if c == nil {
		return errorf(http.StatusNotFound, "No status found for connector %s", name)
	}
	info, err := s.stateInfo(state, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	c, err := s.lookupWithTasks(r)
	if err != nil {
		return err
	}
	tasks := make([]TaskInfo, 0, len(c.Tasks))
	for i, cfg := range c.Tasks {
		tasks = append(tasks, TaskInfo{ID: fsm.TaskID{Connector: c.Name, Task: i}, Config: cfg})
	}
	writeJSON(w, http.StatusOK, tasks)
	return nil
}

func taskIndex(r *http.Request) (int, error) {
	t, err := strconv.Atoi(mux.Vars(r)["task"])
	if err != nil {
		return 0, &Error{Code: http.StatusNotFound, Message: "HTTP 404 Not Found"}
	}
	return t, nil
}

func (s *Server) taskStatus(w http.ResponseWriter, r *http.Request) error {
	name := connectorName(r)
	t, err := taskIndex(r)
	if err != nil {
		return err
	}
	state := s.awaitState(r.Context(), hasFirstTasks(name, t))
	c := state.Connector(name)
	st := state.TaskStatus(name, t)
	if c == nil || st == nil || t >= len(c.Tasks) {
		return errorf(http.StatusNotFound, "No status found for task %s-%d", name, t)
	}
	writeJSON(w, http.StatusOK, TaskState{ID: t, State: st.State, WorkerID: st.WorkerID, Trace: st.Trace})
	return nil
}
