package metrics

import (
	"sync"
	"sync/atomic"
	"time"
)

// stat accumulates observations with atomics: the sum, count and maximum that Kafka's Avg and
// Max stats report. Kafka windows them; these cover the life of the task, which is what a
// Prometheus rate() over the _total series gives back anyway.
type stat struct {
	sum, count, max atomic.Int64
}

func (s *stat) observe(v int64) {
	s.sum.Add(v)
	s.count.Add(1)
	for {
		cur := s.max.Load()
		if v <= cur || s.max.CompareAndSwap(cur, v) {
			return
		}
	}
}

func (s *stat) avg() float64 {
	n := s.count.Load()
	if n == 0 {
		return 0
	}
	return float64(s.sum.Load()) / float64(n)
}

// rateWindow turns a running total into Kafka's per-second rate over the last rateWindowSpan
// or so. It is touched only at scrape time, so the hot path pays nothing for it.
type rateWindow struct {
	mu      sync.Mutex
	samples []sample
}

type sample struct {
	at    time.Time
	total int64
}

// rateWindowSpan is Kafka's default sample window (30 s, metrics.sample.window.ms).
const rateWindowSpan = 30 * time.Second

// begin starts the window at a total of 0.
func (r *rateWindow) begin(at time.Time) { r.samples = []sample{{at: at}} }

// total is a running count and the window its per-second rate is computed over.
type total struct {
	atomic.Int64
	window rateWindow
}

// rate records total at now and returns the rate since the oldest sample kept: the newest one
// at least rateWindowSpan old, or the start.
func (r *rateWindow) rate(now time.Time, total int64) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, sample{at: now, total: total})
	for len(r.samples) > 2 && now.Sub(r.samples[1].at) >= rateWindowSpan {
		r.samples = r.samples[1:]
	}
	first := r.samples[0]
	dt := now.Sub(first.at).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(total-first.total) / dt
}
