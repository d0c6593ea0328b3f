package worker

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/retry"
)

// statusReporter batches status transitions into few Raft entries: the latest state per item
// wins, and a batch goes out as soon as the previous one has committed.
type statusReporter struct {
	w       *Worker
	mu      sync.Mutex
	pending map[fsm.TaskID]fsm.Status
	// owners is the instance that speaks for each item. An instance abandoned after the
	// shutdown timeout still reports UNASSIGNED when it finally ends; by then the worker may run
	// a successor for the same item, whose RUNNING that report must not overwrite.
	owners map[fsm.TaskID]instance
	wake   chan struct{}
	// retry paces the writes again after a failed one.
	retry *retry.Delays
}

func newStatusReporter(w *Worker) *statusReporter {
	return &statusReporter{w: w, pending: map[fsm.TaskID]fsm.Status{}, owners: map[fsm.TaskID]instance{}, wake: make(chan struct{}, 1), retry: retry.StatusWrite.Delays()}
}

// claim makes owner the instance that reports for k, from before it can report anything.
func (r *statusReporter) claim(k fsm.TaskID, owner instance) {
	r.mu.Lock()
	r.owners[k] = owner
	r.mu.Unlock()
}

// release ends owner's claim on k once it reports nothing more, unless a successor claimed k.
func (r *statusReporter) release(k fsm.TaskID, owner instance) {
	r.mu.Lock()
	if r.owners[k] == owner {
		delete(r.owners, k)
	}
	r.mu.Unlock()
}

// report queues st, a status record for k from owner, with its item and worker filled in; a
// replaced instance's reports are dropped.
func (r *statusReporter) report(owner instance, k fsm.TaskID, st fsm.Status) {
	st.Connector, st.Task, st.WorkerID = k.Connector, k.Task, r.w.cfg.WorkerID
	r.mu.Lock()
	if r.owners[k] != owner {
		r.mu.Unlock()
		return
	}
	r.pending[k] = st
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *statusReporter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			r.flush(context.Background())
			return
		case <-r.wake:
		}
		r.flush(ctx)
	}
}

func (r *statusReporter) flush(ctx context.Context) {
	r.mu.Lock()
	batch := r.pending
	r.pending = map[fsm.TaskID]fsm.Status{}
	r.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	fence := r.w.fence()
	records := make([]fsm.Status, 0, len(batch))
	for _, st := range batch {
		st.Generation = fence.Generation
		records = append(records, st)
	}
	sort.Slice(records, func(i, j int) bool {
		if records[i].Connector != records[j].Connector {
			return records[i].Connector < records[j].Connector
		}
		return records[i].Task < records[j].Task
	})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := r.w.deps.Apply(ctx, &fsm.StatusUpdate{Records: records, Fence: fence}); err != nil && ctx.Err() == nil {
		r.w.logger.Warn("status update failed; retrying", "err", err)
		r.mu.Lock()
		for _, st := range records {
			k := fsm.TaskID{Connector: st.Connector, Task: st.Task}
			if _, newer := r.pending[k]; !newer {
				r.pending[k] = st
			}
		}
		r.mu.Unlock()
		// Cut short when the worker stops: its last flush writes what is pending.
		r.retry.Wait(ctx)
		select {
		case r.wake <- struct{}{}:
		default:
		}
		return
	}
	r.retry.Reset()
}
