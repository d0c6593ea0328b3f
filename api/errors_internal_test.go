package api

import (
	"errors"
	"fmt"
	"testing"

	"github.com/connectd/connectd/commit"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/plugins"
)

// Typed errors from the packages below the REST layer get Kafka Connect's status and message
// here, and only here, also when wrapped.
func TestTypedErrorsMapToKafkaConnectAnswers(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		msg  string
	}{
		{commit.ErrNoLeader, 409, ErrNoLeader.Message},
		{fmt.Errorf("put: %w", commit.ErrNoLeader), 409, ErrNoLeader.Message},
		{&commit.TimeoutError{Stage: commit.StageQuorum}, 500, "Request timed out. The worker is currently waiting for a quorum of Raft voters to commit the write."},
		{commit.ErrEmptyCommand, 400, "Internal request has an empty body"},
		{&commit.UnknownCommandError{Err: errors.New("type 126")}, 400, "Internal request does not hold a command this node knows: type 126"},
		{&commit.NotForwardableError{Type: fsm.AssignmentType}, 403, fmt.Sprintf("Command type %d may not be forwarded to the leader", fsm.AssignmentType)},
		{&commit.VotersLackingError{Type: 9, Voters: []string{"n1 (version 1)", "n2 (version 1)"}}, 503, "Cannot commit command type 9 until every voter can apply it; upgrade n1 (version 1), n2 (version 1) first"},
		{&commit.RemoteError{Code: 403, Message: "refused"}, 403, "refused"},
		{&fsm.Error{Kind: fsm.KindNotFound, Message: "Connector a not found"}, 404, "Connector a not found"},
		{&fsm.Error{Kind: fsm.KindConflict, Message: "Connector a already exists"}, 409, "Connector a already exists"},
		{&fsm.Error{Kind: fsm.KindStaleConfig, Message: fsm.StaleConfigMessage}, 409, fsm.StaleConfigMessage},
		{&fsm.Error{Kind: fsm.KindBadRequest, Message: "bad"}, 400, "bad"},
		{&plugins.Error{Cause: plugins.CauseNotFound, Message: "Unknown plugin X."}, 404, "Unknown plugin X."},
		{&plugins.Error{Cause: plugins.CauseInvalid, Message: "invalid"}, 400, "invalid"},
		{&plugins.Error{Cause: plugins.CausePanicked, Message: "panicked"}, 500, "panicked"},
		{&UnknownRaftPeerError{ID: "n9"}, 404, "No Raft server with id n9"},
		{ErrRemoveLeader, 400, "The leader cannot remove itself; remove it from another node once it has handed over leadership"},
	} {
		if got := asError(tc.err); got.Code != tc.code || got.Message != tc.msg {
			t.Errorf("%#v: got %d %q, want %d %q", tc.err, got.Code, got.Message, tc.code, tc.msg)
		}
	}
}
