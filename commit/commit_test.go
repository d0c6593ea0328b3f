package commit

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/fsm"
)

func newTestCommitter(maxBytes int64) *Committer {
	return New(Deps{FSM: fsm.New(), Logger: slog.New(slog.DiscardHandler), MaxCommandBytes: maxBytes})
}

// Without a leader a write waits leaderWait for one, then answers ErrNoLeader (clients retry);
// a caller that stops waiting first gets a timeout naming what the write waited for.
func TestCommitWithoutLeader(t *testing.T) {
	c := newTestCommitter(1 << 20)
	cmd := &fsm.ConnectorPut{Name: "a", Config: map[string]string{"name": "a"}}
	start := time.Now()
	_, err := c.Commit(context.Background(), cmd)
	if !errors.Is(err, ErrNoLeader) {
		t.Fatalf("got %v, want ErrNoLeader", err)
	}
	if took := time.Since(start); took < leaderWait/2 || took > 3*leaderWait {
		t.Fatalf("gave up after %s, want about %s", took, leaderWait)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.CommitAndWait(ctx, cmd)
	var timeout *TimeoutError
	if !errors.As(err, &timeout) || timeout.Stage != StageLeader {
		t.Fatalf("got %v, want a timeout waiting for a leader", err)
	}
}

func TestCommitRefusesCommandsOverTheBound(t *testing.T) {
	c := newTestCommitter(64)
	_, err := c.Commit(context.Background(), &fsm.ConnectorPut{Name: "a", Config: map[string]string{"k": strings.Repeat("v", 100)}})
	if !errors.Is(err, fsm.ErrCommandTooLarge) || !strings.Contains(err.Error(), "internal.max.body.bytes") {
		t.Fatalf("got %v, want ErrCommandTooLarge naming the setting", err)
	}
}

// The leader's half refuses, before anything reaches the log, a request without a command, one
// this build cannot decode, and a command only the leader itself may write.
func TestServeApplyRefusesBadCommands(t *testing.T) {
	c := newTestCommitter(1 << 20)
	put, _ := fsm.Encode(&fsm.ConnectorPut{Name: "a"})
	assignment, _ := fsm.Encode(&fsm.AssignmentCommit{})
	var unknown *UnknownCommandError
	var notForwardable *NotForwardableError
	for _, tc := range []struct {
		body []byte
		is   func(error) bool
	}{
		{nil, func(err error) bool { return errors.Is(err, ErrEmptyCommand) }},
		{[]byte{0x7e, '{', '}'}, func(err error) bool { return errors.As(err, &unknown) }},
		{append(put[:1:1], "garbage"...), func(err error) bool { return errors.As(err, &unknown) }},
		{assignment, func(err error) bool { return errors.As(err, &notForwardable) }},
		{put, func(err error) bool { return errors.Is(err, ErrNoLeader) }},
	} {
		err := c.ServeApply(httptest.NewRecorder(), httptest.NewRequest("POST", ApplyPath, nil), tc.body)
		if !tc.is(err) {
			t.Fatalf("body %q: got %v", tc.body, err)
		}
	}
}

func TestServeHeartbeatRefusesMalformedBodies(t *testing.T) {
	c := newTestCommitter(1 << 20)
	var malformed *MalformedError
	if err := c.ServeHeartbeat(httptest.NewRecorder(), httptest.NewRequest("POST", HeartbeatPath, nil), []byte("{")); !errors.As(err, &malformed) {
		t.Fatalf("got %v, want MalformedError", err)
	}
	if err := c.ServeHeartbeat(httptest.NewRecorder(), httptest.NewRequest("POST", HeartbeatPath, nil), []byte(`{"node":"n","session":"s"}`)); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("got %v, want ErrNoLeader from a node that is not the leader", err)
	}
}
