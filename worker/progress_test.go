package worker

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/connectd/connectd/fsm"
)

// TestStuckReportsAReconcileThatMakesNoProgress blocks the worker loop in a reconcile (its stop
// acknowledgement never commits, as without a Raft quorum) and checks that Stuck grows, then
// drops to 0 once the loop moves on.
func TestStuckReportsAReconcileThatMakesNoProgress(t *testing.T) {
	f := fsm.New()
	apply := func(cmd fsm.Command, index uint64) {
		data, err := fsm.Encode(cmd)
		if err != nil {
			t.Fatal(err)
		}
		if res := f.ApplyCommand(data, index); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	apply(&fsm.AssignmentCommit{Assignment: fsm.Assignment{Generation: 1,
		Sessions: map[string]string{"n1": "s1"}, PendingStops: map[string]fsm.Items{"n1": {Connectors: []string{"gone"}}}}}, 1)

	release := make(chan struct{})
	w := New(Config{HeartbeatInterval: time.Hour, SessionTimeout: time.Hour, TaskShutdownTimeout: time.Second},
		Deps{Node: "n1", Session: "s1", FSM: f, Logger: slog.New(slog.DiscardHandler),
			Heartbeat: func(context.Context) error { return nil },
			Apply: func(ctx context.Context, cmd fsm.Command) (fsm.Result, error) {
				select {
				case <-release:
				case <-ctx.Done():
				}
				return fsm.Result{}, ctx.Err()
			}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()

	deadline := time.Now().Add(5 * time.Second)
	for w.Stuck(time.Now()) < 300*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("the loop blocked in its stop acknowledgement, yet Stuck is %s", w.Stuck(time.Now()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(release)
	for w.Stuck(time.Now()) != 0 {
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatalf("the loop went on, yet Stuck is %s", w.Stuck(time.Now()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
