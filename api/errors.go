package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/connectd/connectd/commit"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/plugins"
)

// Error is Kafka Connect's error body; Code is also the HTTP status.
type Error struct {
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Message) }

func errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Kafka Connect's retryable conditions; clients retry on 409.
var (
	ErrNoLeader = &Error{Code: http.StatusConflict, Message: "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway."}
	ErrStale    = &Error{Code: http.StatusConflict, Message: fsm.StaleConfigMessage}
)

// refusalStatus is Kafka Connect's status for each kind of command the state machine refuses.
var refusalStatus = map[fsm.Kind]int{
	fsm.KindBadRequest:  http.StatusBadRequest,
	fsm.KindNotFound:    http.StatusNotFound,
	fsm.KindConflict:    http.StatusConflict,
	fsm.KindStaleConfig: http.StatusConflict,
}

// pluginStatus is Kafka Connect's status for each cause of a plugin error.
var pluginStatus = map[plugins.Cause]int{
	plugins.CauseNotFound: http.StatusNotFound,
	plugins.CauseInvalid:  http.StatusBadRequest,
	plugins.CausePanicked: http.StatusInternalServerError,
}

// statusOf is the status statuses gives k; 500 for a kind it does not know.
func statusOf[K comparable](statuses map[K]int, k K) int {
	if code, ok := statuses[k]; ok {
		return code
	}
	return http.StatusInternalServerError
}

// asError maps any error that reaches REST to Kafka Connect's error body, in one place.
func asError(err error) *Error {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	if e := commitError(err); e != nil {
		return e
	}
	var fsmErr *fsm.Error
	if errors.As(err, &fsmErr) {
		return &Error{Code: statusOf(refusalStatus, fsmErr.Kind), Message: fsmErr.Message}
	}
	if e := operatorError(err); e != nil {
		return e
	}
	var pluginErr *plugins.Error
	if errors.As(err, &pluginErr) {
		return &Error{Code: statusOf(pluginStatus, pluginErr.Cause), Message: pluginErr.Message}
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errorf(http.StatusRequestEntityTooLarge, "Request body is larger than the limit of %d bytes (rest.max.body.bytes)", tooLarge.Limit)
	}
	return &Error{Code: http.StatusInternalServerError, Message: err.Error()}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	logger := s.logger
	if name, ok := mux.Vars(r)["name"]; ok {
		logger = logger.With("connector", name)
	}
	if e.Code >= 500 {
		logger.Warn("request failed", "method", r.Method, "path", r.URL.Path, "status", e.Code, "err", e.Message)
	} else {
		logger.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", e.Code, "err", e.Message)
	}
	writeJSON(w, e.Code, e)
}

// commitError maps the errors of the replicated-write path; nil for any other error.
func commitError(err error) *Error {
	var (
		timeout       *commit.TimeoutError
		unknown       *commit.UnknownCommandError
		malformedBody *commit.MalformedError
		notFwd        *commit.NotForwardableError
		lacking       *commit.VotersLackingError
		remote        *commit.RemoteError
	)
	switch {
	case errors.Is(err, commit.ErrNoLeader):
		return ErrNoLeader
	case errors.As(err, &timeout):
		return errorf(http.StatusInternalServerError, "Request timed out. The worker is currently %s.", timeout.Stage)
	case errors.Is(err, commit.ErrEmptyCommand):
		return errorf(http.StatusBadRequest, "Internal request has an empty body")
	case errors.As(err, &unknown):
		return errorf(http.StatusBadRequest, "Internal request does not hold a command this node knows: %v", unknown.Err)
	case errors.As(err, &malformedBody):
		return asError(malformed(malformedBody.Err))
	case errors.As(err, &notFwd):
		return errorf(http.StatusForbidden, "Command type %d may not be forwarded to the leader", notFwd.Type)
	case errors.As(err, &lacking):
		return errorf(http.StatusServiceUnavailable, "Cannot commit command type %d until every voter can apply it; upgrade %s first", lacking.Type, strings.Join(lacking.Voters, ", "))
	case errors.As(err, &remote):
		// The leader's REST layer mapped it already.
		return &Error{Code: remote.Code, Message: remote.Message}
	}
	return nil
}

// operatorError maps the refusals of the operator endpoints; nil for any other error.
func operatorError(err error) *Error {
	var unknownPeer *UnknownRaftPeerError
	switch {
	case errors.As(err, &unknownPeer):
		return errorf(http.StatusNotFound, "No Raft server with id %s", unknownPeer.ID)
	case errors.Is(err, ErrRemoveLeader):
		return errorf(http.StatusBadRequest, "The leader cannot remove itself; remove it from another node once it has handed over leadership")
	}
	return nil
}
