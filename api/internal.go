package api

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/connectd/connectd/fsm"
)

// readSigned reads an internal request's body and checks its signature with the session key.
func (s *Server) readSigned(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, asError(err)
	}
	if err := s.verifySigned(r, body); err != nil {
		return nil, err
	}
	return body, nil
}

// SignedHandler serves an internal request whose body has been read and its signature checked.
type SignedHandler func(w http.ResponseWriter, r *http.Request, body []byte) error

// HandleSigned serves an internal endpoint of another package on this server's router: the
// request's signature is checked first, and the error h returns is answered like any other.
// Routes are added before the server serves.
func (s *Server) HandleSigned(method, path string, h SignedHandler) {
	s.router.HandleFunc(path, s.observed(path, s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		body, err := s.readSigned(r)
		if err != nil {
			return err
		}
		return h(w, r, body)
	}))).Methods(method)
}

// ClusterPath reports this node's view of the cluster.
const ClusterPath = "/connectd/cluster"

func (s *Server) cluster(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, s.backend.Cluster())
	return nil
}

// LeavePath decommissions the node that receives it (connectd leave calls it).
const LeavePath = "/connectd/leave"

func (s *Server) leave(w http.ResponseWriter, r *http.Request) error {
	if err := s.backend.Leave(r.Context()); err != nil {
		return errorf(http.StatusInternalServerError, "Leave failed: %v", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// internalTaskConfigs is Kafka Connect's POST /connectors/{n}/tasks: a worker hands the leader
// the task configs its connector generated. connectd's own workers commit them through the
// internal apply path; this endpoint keeps Kafka's contract (signature checks and messages).
func (s *Server) internalTaskConfigs(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readSigned(r)
	if err != nil {
		return err
	}
	var tasks []map[string]string
	if err := json.Unmarshal(body, &tasks); err != nil {
		return malformed(err)
	}
	if _, err := s.lookup(r); err != nil {
		return err
	}
	res, err := s.backend.Apply(r.Context(), &fsm.TaskConfigs{Name: connectorName(r), Tasks: tasks})
	if err = resultError(res, err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// internalFence is Kafka Connect's PUT /connectors/{n}/fence, which fences the zombie tasks of an
// exactly-once source connector. connectd runs no exactly-once sources, and its leases already
// fence every task, so there is nothing more to do once the request is checked.
func (s *Server) internalFence(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.readSigned(r); err != nil {
		return err
	}
	c, err := s.lookup(r)
	if err != nil {
		return err
	}
	if s.connectorType(c) != "source" {
		return errorf(http.StatusBadRequest, "Connector %s is not a source connector", c.Name)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
