package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Delays grow by the multiplier up to Max, each within ±Jitter of its interval, and start over
// after Reset.
func TestDelaysGrowWithJitterUpToMax(t *testing.T) {
	p := Policy{Initial: 10 * time.Millisecond, Max: 40 * time.Millisecond}
	d := p.Delays()
	for i, interval := range []time.Duration{10, 20, 40, 40, 40} {
		interval *= time.Millisecond
		if got := d.Next(); got < interval/2 || got > interval*3/2 {
			t.Fatalf("delay %d: %s, want within 50%% of %s", i, got, interval)
		}
	}
	d.Reset()
	if got := d.Next(); got > 15*time.Millisecond {
		t.Fatalf("after Reset: %s, want about the first delay", got)
	}
}

func TestDoRetriesUntilSuccessAndStopsAtPermanent(t *testing.T) {
	fast := Policy{Initial: time.Millisecond, Max: time.Millisecond}
	calls := 0
	got, err := Do(context.Background(), fast, 0, func() (int, error) {
		calls++
		if calls < 3 {
			return 0, errors.New("not yet")
		}
		return calls, nil
	})
	if err != nil || got != 3 {
		t.Fatalf("got %d %v, want 3 after two failures", got, err)
	}
	fatal := errors.New("fatal")
	calls = 0
	_, err = Do(context.Background(), fast, 0, func() (int, error) { calls++; return 0, Permanent(fatal) })
	if err != fatal || calls != 1 {
		t.Fatalf("permanent: %v after %d calls, want it at once, unwrapped", err, calls)
	}
}

func TestDoGivesUpAfterMaxElapsedOrWhenCtxEnds(t *testing.T) {
	busy := errors.New("busy")
	p := Policy{Initial: 5 * time.Millisecond, Max: 5 * time.Millisecond}
	start := time.Now()
	_, err := Do(context.Background(), p, 50*time.Millisecond, func() (int, error) { return 0, busy })
	if err != busy || time.Since(start) > time.Second {
		t.Fatalf("max elapsed: %v after %s, want the last error soon after 50ms", err, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = Do(ctx, p, 0, func() (int, error) { return 0, busy })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ctx ended: %v, want its error", err)
	}
}

func TestUntil(t *testing.T) {
	p := Policy{Initial: time.Millisecond, Max: time.Millisecond}
	n := 0
	if !Until(context.Background(), p, func() bool { n++; return n == 3 }) || n != 3 {
		t.Fatalf("Until returned before its condition held (%d checks)", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Until(ctx, p, func() bool { return false }) {
		t.Fatal("Until reported success for a condition that never held")
	}
}
