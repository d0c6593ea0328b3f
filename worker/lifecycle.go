package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/connectd/connectd/fsm"
)

// lifecycle is what connector and task instances share: a one-slot mailbox holding the newest
// committed spec, and the cancel and done signals of the instance's goroutine.
type lifecycle struct {
	updates chan *fsm.Connector
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
}

func newLifecycle(first *fsm.Connector) *lifecycle {
	ctx, cancel := context.WithCancel(context.Background())
	l := &lifecycle{updates: make(chan *fsm.Connector, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	l.updates <- first
	return l
}

// update queues spec for the instance's goroutine. Only the newest spec matters: it replaces
// whatever is still queued.
func (l *lifecycle) update(spec *fsm.Connector) {
	select {
	case <-l.updates:
	default:
	}
	l.updates <- spec
}

// stopWithin cancels the instance and waits at most timeout for its goroutine; a plugin stuck
// past that is abandoned, with a warning naming what it was.
func (l *lifecycle) stopWithin(timeout time.Duration, logger *slog.Logger, what string) {
	l.once.Do(l.cancel)
	select {
	case <-l.done:
	case <-time.After(timeout):
		logger.Warn(what+" did not stop in time; abandoning it", "timeout", timeout)
	}
}
