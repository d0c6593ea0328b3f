package api

import (
	"net/http"
	"strconv"

	"github.com/connectd/connectd/fsm"
)

// noOwner is the 409 for an instance that has no owner right now (held during a delay, revoked
// and not yet placed, or not yet assigned): the restart can succeed once a rebalance settles.
var noOwner = ErrNoLeader

// checkConfigFresh refuses, as Kafka Connect does, requests that depend on the assignment while a
// connector has been added or removed or its tasks changed and no round has acted on it yet.
func (s *Server) checkConfigFresh() error {
	if s.backend.State().ConfigPending() {
		return ErrStale
	}
	return nil
}

func (s *Server) restartConnector(w http.ResponseWriter, r *http.Request) error {
	name := connectorName(r)
	q := r.URL.Query()
	includeTasks, err := boolParam(q.Get("includeTasks"), "includeTasks")
	if err != nil {
		return err
	}
	onlyFailed, err := boolParam(q.Get("onlyFailed"), "onlyFailed")
	if err != nil {
		return err
	}
	state := s.awaitState(r.Context(), hasFirstStatus(name))
	c := state.Connector(name)
	if c == nil {
		return errorf(http.StatusNotFound, "Unknown connector: %s", name)
	}
	if err := s.checkConfigFresh(); err != nil {
		return err
	}
	if !includeTasks && !onlyFailed {
		if _, owned := state.Assignment().ConnectorOwner(name); !owned {
			return noOwner
		}
		res, err := s.backend.Apply(r.Context(), &fsm.RestartRequest{Name: name, Restart: fsm.Restart{Connector: true}})
		if err = resultError(res, err); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if state.ConnectorStatus(name) == nil {
		return errorf(http.StatusNotFound, "Status for connector %s not found", name)
	}
	// The leader chooses what to restart from the state at the request's place in the log; this
	// node has applied it once Apply returns, so the answer shows the instances RESTARTING.
	res, err := s.backend.Apply(r.Context(), &fsm.RestartRequest{Name: name, Plan: &fsm.RestartPlan{IncludeTasks: includeTasks, OnlyFailed: onlyFailed}})
	if err = resultError(res, err); err != nil {
		return err
	}
	state = s.backend.State()
	if c = state.Connector(name); c == nil {
		return errorf(http.StatusNotFound, "Unknown connector: %s", name)
	}
	info, err := s.stateInfo(state, c)
	if err != nil {
		return errorf(http.StatusNotFound, "Status for connector %s not found", name)
	}
	writeJSON(w, http.StatusAccepted, info)
	return nil
}

func (s *Server) restartTask(w http.ResponseWriter, r *http.Request) error {
	name := connectorName(r)
	t, err := taskIndex(r)
	if err != nil {
		return err
	}
	state := s.awaitState(r.Context(), hasFirstTasks(name, t))
	c := state.Connector(name)
	if c == nil {
		return errorf(http.StatusNotFound, "Unknown connector: %s", name)
	}
	if t >= len(c.Tasks) {
		return errorf(http.StatusNotFound, "Unknown task: %s-%d", name, t)
	}
	if err := s.checkConfigFresh(); err != nil {
		return err
	}
	if _, owned := state.Assignment().TaskOwner(fsm.TaskID{Connector: name, Task: t}); !owned {
		return noOwner
	}
	res, err := s.backend.Apply(r.Context(), &fsm.RestartRequest{Name: name, Restart: fsm.Restart{Tasks: []int{t}}})
	if err = resultError(res, err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// boolParam parses a boolean query parameter as JAX-RS does: absent is false.
func boolParam(v, name string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errorf(http.StatusBadRequest, "Invalid value %q for query parameter %s: expected true or false", v, name)
	}
	return b, nil
}
