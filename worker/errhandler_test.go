package worker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/connectd/connectd/connect"
)

func testHandler(tolerateAll bool, retryTimeout time.Duration) (*errorHandler, *[]time.Duration) {
	var slept []time.Duration
	h := &errorHandler{connector: "c", tolerateAll: tolerateAll, retryTimeout: retryTimeout, maxDelay: time.Second,
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		sleep:  func(_ context.Context, d time.Duration) bool { slept = append(slept, d); return true }}
	return h, &slept
}

// Retriable failures are retried with growing backoff within errors.retry.timeout; others are
// not retried; what is left is skipped under tolerance all and fails the task under none.
func TestErrorHandlerRetriesAndTolerance(t *testing.T) {
	h, slept := testHandler(false, time.Hour)
	calls := 0
	err := h.execute(context.Background(), StageValueConverter, "x", failedRecord{}, func() error {
		if calls++; calls < 4 {
			return connect.Retriable(errors.New("not yet"))
		}
		return nil
	})
	if err != nil || calls != 4 || len(*slept) != 3 || (*slept)[0] != retryDelayMin || (*slept)[1] != 2*retryDelayMin {
		t.Fatalf("err %v after %d calls, slept %v", err, calls, *slept)
	}
	// Without a retry timeout, no retry.
	h, slept = testHandler(false, 0)
	calls = 0
	err = h.execute(context.Background(), StageValueConverter, "x", failedRecord{}, func() error { calls++; return connect.Retriable(errors.New("boom")) })
	if !errors.Is(err, ErrToleranceExceeded) || calls != 1 || len(*slept) != 0 || err.Error() != "Tolerance exceeded in error handler: boom" {
		t.Fatalf("none: %v after %d calls", err, calls)
	}
	// A failure that is not retriable is not retried even with a timeout; tolerance all skips it.
	h, _ = testHandler(true, -1)
	calls = 0
	err = h.execute(context.Background(), StageKeyConverter, "x", failedRecord{}, func() error { calls++; return errors.New("bad") })
	if !errors.Is(err, errSkip) || calls != 1 || h.skipped.Load() != 1 {
		t.Fatalf("all: %v after %d calls, %d skipped", err, calls, h.skipped.Load())
	}
}

// Backoff doubles from retryDelayMin and stays within the maximum.
func TestBackoff(t *testing.T) {
	if backoff(0, time.Minute) != retryDelayMin || backoff(2, time.Minute) != 4*retryDelayMin {
		t.Fatal("backoff does not double")
	}
	for i := 0; i < 100; i++ {
		if d := backoff(40, time.Second); d <= 0 || d > time.Second {
			t.Fatalf("backoff %s beyond its maximum", d)
		}
	}
}

// A panic in plugin code becomes the call's error with the panic value and its stack.
func TestGuardTurnsPanicsIntoErrors(t *testing.T) {
	err := guard("SinkTask.Put", func() error { panic("boom") })
	var p *PanicError
	if !errors.As(err, &p) || p.Value != "boom" || len(p.Stack) == 0 {
		t.Fatalf("%v", err)
	}
	sentinel := errors.New("sentinel")
	if err := guard("x", func() error { panic(sentinel) }); !errors.Is(err, sentinel) {
		t.Fatalf("a panic with an error does not unwrap to it: %v", err)
	}
	task := guardedSinkTask{t: nil}
	if err := task.Put(nil); err == nil {
		t.Fatal("a nil task's put did not fail")
	}
}
