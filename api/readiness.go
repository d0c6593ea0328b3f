package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/retry"
)

// startupWait bounds how long a connector request waits for a starting node to catch up with the
// cluster before it answers 503, like the read-your-writes wait after a write.
const startupWait = 1500 * time.Millisecond

// needsState reports whether a route answers from the replicated state, so that a node still
// catching up must not serve it.
func needsState(path string) bool {
	return strings.HasPrefix(path, "/connectors")
}

// requireReady holds a request until the node's state includes everything committed before it
// started answering, and answers 503 "starting" (KIP-1017's wording) if that takes too long.
func (s *Server) requireReady(h func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.awaitReady(r.Context()); err != nil {
			return err
		}
		return h(w, r)
	}
}

func (s *Server) awaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startupWait)
	defer cancel()
	var h HealthStatus
	if retry.Until(ctx, retry.Ready, func() bool { h = s.backend.Health(); return h.Ready }) {
		return nil
	}
	return errorf(http.StatusServiceUnavailable, "Worker is still starting up and cannot serve this request yet. %s", stageSummary(h))
}

// awaitState returns the node's state once done holds on it. A connector created a moment ago has
// no status and no task configs until its owner reports them; rather than a 404 for a connector
// that exists, the request waits for them, at most rest.first.status.wait.ms. A state for which
// done holds at once is returned without waiting.
func (s *Server) awaitState(ctx context.Context, done func(*fsm.State) bool) *fsm.State {
	state := s.backend.State()
	if done(state) {
		return state
	}
	timer := time.NewTimer(s.backend.Settings().FirstStatusWait)
	defer timer.Stop()
	for !done(state) {
		select {
		case <-ctx.Done():
			return state
		case <-timer.C:
			return state
		case <-state.WatchCh():
		}
		state = s.backend.State()
	}
	return state
}

// hasFirstTasks reports whether a request for task t of connector name has nothing to wait for:
// the connector is unknown or stopped (it has no tasks), or its task configs exist and task t
// either has a status or is beyond them.
func hasFirstTasks(name string, t int) func(*fsm.State) bool {
	return func(st *fsm.State) bool {
		c := st.Connector(name)
		if c == nil || c.Target == fsm.TargetStopped {
			return true
		}
		return len(c.Tasks) > 0 && (t >= len(c.Tasks) || st.TaskStatus(name, t) != nil)
	}
}

// hasFirstStatus reports whether connector name is unknown or has a status.
func hasFirstStatus(name string) func(*fsm.State) bool {
	return func(st *fsm.State) bool {
		return st.Connector(name) == nil || st.ConnectorStatus(name) != nil
	}
}

// lookupWithTasks finds the request's connector, waiting (bounded) for its first task configs
// when it has none yet and is not stopped.
func (s *Server) lookupWithTasks(r *http.Request) (*fsm.Connector, error) {
	name := connectorName(r)
	state := s.awaitState(r.Context(), func(st *fsm.State) bool {
		c := st.Connector(name)
		return c == nil || c.Target == fsm.TargetStopped || len(c.Tasks) > 0
	})
	c := state.Connector(name)
	if c == nil {
		return nil, errorf(http.StatusNotFound, "Connector %s not found", name)
	}
	return c, nil
}
