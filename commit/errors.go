package commit

import (
	"errors"
	"fmt"

	"github.com/connectd/connectd/fsm"
)

// ErrNoLeader means that no node known to this one can commit right now; callers may retry.
var ErrNoLeader = errors.New("no known Raft leader")

// errMaybeCommitted is an ErrNoLeader after the write reached, or may have reached, a leader:
// the leader may have committed it before its answer was lost. The write is retried as for
// ErrNoLeader, and its result says it may be a repeat (fsm.Result.Repeated).
var errMaybeCommitted = fmt.Errorf("%w: the write may have been committed before its answer was lost", ErrNoLeader)

// ErrEmptyCommand is a forwarded request without a command.
var ErrEmptyCommand = errors.New("forwarded request has no command")

// What a write that timed out was waiting for.
const (
	StageLeader       = "waiting for a Raft leader"
	StageLeaderAnswer = "waiting for the Raft leader to answer"
	StageQuorum       = "waiting for a quorum of Raft voters to commit the write"
)

// TimeoutError is a write whose caller stopped waiting before it was answered; whether it was
// committed is unknown.
type TimeoutError struct {
	// Stage is what the write was waiting for.
	Stage string
}

func (e *TimeoutError) Error() string { return "timed out " + e.Stage }

// UnknownCommandError is a forwarded request that does not hold a command this node can apply.
type UnknownCommandError struct {
	Err error
}

func (e *UnknownCommandError) Error() string { return "unknown command: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *UnknownCommandError) Unwrap() error { return e.Err }

// MalformedError is an internal request whose body does not decode.
type MalformedError struct {
	Err error
}

func (e *MalformedError) Error() string { return "malformed request: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *MalformedError) Unwrap() error { return e.Err }

// NotForwardableError is a forwarded command of a type only the leader itself may write.
type NotForwardableError struct {
	Type fsm.MessageType
}

func (e *NotForwardableError) Error() string {
	return fmt.Sprintf("command type %d may not be forwarded to the leader", e.Type)
}

// VotersLackingError refuses a command of a type that some live voters cannot apply yet, during
// a rolling upgrade.
type VotersLackingError struct {
	Type fsm.MessageType
	// Voters name the voters to upgrade first, with their versions.
	Voters []string
}

func (e *VotersLackingError) Error() string {
	return fmt.Sprintf("voters cannot apply command type %d yet: %v", e.Type, e.Voters)
}

// RemoteError is the leader's refusal of a forwarded request, in Kafka Connect's error shape as
// the leader's REST layer wrote it: it reaches this node's client unchanged.
type RemoteError struct {
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

func (e *RemoteError) Error() string { return e.Message }
