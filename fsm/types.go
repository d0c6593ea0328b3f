package fsm

import (
	"encoding/json"
	"errors"
	"fmt"
)

// TargetState is the state a user asked a connector to be in (Kafka's config-topic target state).
type TargetState string

// Target states, as Kafka Connect stores them.
const (
	TargetStarted TargetState = "STARTED"
	TargetPaused  TargetState = "PAUSED"
	TargetStopped TargetState = "STOPPED"
)

// Valid reports whether t is one of the three target states.
func (t TargetState) Valid() bool {
	return t == TargetStarted || t == TargetPaused || t == TargetStopped
}

// Runtime states reported in the status log.
const (
	StateUnassigned = "UNASSIGNED"
	StateRunning    = "RUNNING"
	StatePaused     = "PAUSED"
	StateStopped    = "STOPPED"
	StateFailed     = "FAILED"
	StateRestarting = "RESTARTING"
)

// ConnectorTask is the Task value of a status record that describes the connector instance itself.
const ConnectorTask = -1

// Connector is one connector's replicated configuration: raw config, target state and task configs.
// Stored values are never mutated; appliers replace them.
type Connector struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Target TargetState       `json:"target"`
	// Tasks holds the task configs last committed for the connector, indexed by task id.
	Tasks       []map[string]string `json:"tasks,omitempty"`
	CreateIndex uint64              `json:"create_index"`
	ModifyIndex uint64              `json:"modify_index"`
	// RestartIndex is the log index of the latest restart request, so owners can tell a new one.
	RestartIndex uint64   `json:"restart_index,omitempty"`
	Restart      *Restart `json:"restart,omitempty"`
	// CreateRequest is the Request of the ConnectorPut that created the connector, if any.
	CreateRequest string `json:"create_request,omitempty"`
}

// Restart records which instances of a connector the latest restart request covers.
type Restart struct {
	Connector bool  `json:"connector"`
	Tasks     []int `json:"tasks,omitempty"`
}

// Status is one record of the status log: the runtime state of a connector (Task == ConnectorTask)
// or of one of its tasks, as last reported by the worker that runs it.
type Status struct {
	Connector  string `json:"connector"`
	Task       int    `json:"task"`
	State      string `json:"state"`
	WorkerID   string `json:"worker_id"`
	Trace      string `json:"trace,omitempty"`
	Generation uint64 `json:"generation"`
	// RestartAttempts is how many automatic restarts (restart.policy=on-failure) the item had in
	// a row, and ModifyIndex the connector's ModifyIndex when it was counted: a worker that
	// takes the item over goes on counting from there as long as the connector did not change.
	RestartAttempts int    `json:"restart_attempts,omitempty"`
	ModifyIndex     uint64 `json:"modify_index,omitempty"`
}

// ID names the item the record describes: "<connector>" or "<connector>-<task>".
func (s *Status) ID() string {
	if s.Task == ConnectorTask {
		return s.Connector
	}
	return TaskID{Connector: s.Connector, Task: s.Task}.String()
}

// Worker is a node in the worker registry, registered by the leader when it sees the node alive.
type Worker struct {
	Node     string `json:"node"`
	Session  string `json:"session"`
	RESTURL  string `json:"rest_url"`
	RaftAddr string `json:"raft_addr"`
	WorkerID string `json:"worker_id"`
	// SeenAt is the leader's wall clock (ms) when it registered this session.
	SeenAt int64 `json:"seen_at"`
}

// Fence identifies the writer of a command made on behalf of a connector or task. The FSM applies
// such a write only if this node and session own the item in the current assignment.
type Fence struct {
	Node       string `json:"node"`
	Session    string `json:"session"`
	Generation uint64 `json:"generation"`
}

// Error is the answer of a command that was committed but refused by the state machine (for
// example "already exists").
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

// Kind classifies a refused command; the REST layer answers each kind with Kafka Connect's status.
type Kind int

// The kinds of refusal.
const (
	// KindBadRequest is a command that is invalid whatever the state.
	KindBadRequest Kind = iota + 1
	// KindNotFound is a command about a connector that does not exist.
	KindNotFound
	// KindConflict is a command that conflicts with the state: a connector that already exists, a
	// writer that does not own the item, a stale assignment generation.
	KindConflict
	// KindStaleConfig is a command made against a connector config that has changed since.
	KindStaleConfig
)

// IsKind reports whether err is or wraps an Error of kind k.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

// errorWire is an Error in a forwarded answer. Builds before Kind read only error_code, the HTTP
// status of the refusal, so it is still written; a node reads kind when present.
type errorWire struct {
	Kind    Kind   `json:"kind,omitempty"`
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

// wireCodes are the error_code values older builds expect for each kind.
var wireCodes = map[Kind]int{KindBadRequest: 400, KindNotFound: 404, KindConflict: 409, KindStaleConfig: 409}

// MarshalJSON implements json.Marshaler.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(errorWire{Kind: e.Kind, Code: wireCodes[e.Kind], Message: e.Message})
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *Error) UnmarshalJSON(data []byte) error {
	var w errorWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	e.Kind, e.Message = w.Kind, w.Message
	if e.Kind == 0 {
		for k, code := range wireCodes {
			// 409 alone cannot tell a stale config from another conflict: a conflict it is.
			if code == w.Code && k != KindStaleConfig {
				e.Kind = k
			}
		}
	}
	return nil
}

func errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

func connectorNotFound(name string) *Error {
	return errorf(KindNotFound, "Connector %s not found", name)
}

// staleConfig refuses a command made against a config that has changed since.
func staleConfig() *Error { return errorf(KindStaleConfig, "%s", StaleConfigMessage) }

// StaleConfigMessage is Kafka Connect's text for a write that raced with another config change.
const StaleConfigMessage = "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"
