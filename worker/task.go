package worker

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/metrics"
	"github.com/connectd/connectd/plugins"
	"github.com/connectd/connectd/transforms"
)

// taskInstance runs one task on this worker. The task's plugin code runs on the instance's
// goroutine; a stuck plugin is abandoned after task.shutdown.graceful.timeout.ms, with its Kafka
// clients closed so that it can neither produce nor commit.
type taskInstance struct {
	w      *Worker
	id     fsm.TaskID
	logger *slog.Logger
	// permit gates every data-plane step of the task's runs.
	permit *permit

	*lifecycle
	// metrics is the current run's counters; only the loop goroutine sets it.
	metrics *metrics.Task
	// auto restarts the task after a failure when its connector asks for it, and modifyIndex is
	// the connector version it counts under; both belong to the loop goroutine, and every
	// status report carries them, so that the worker that takes the task over counts on.
	auto        autoRestart
	modifyIndex uint64
}

// taskRun is one start of a task with one config; a restart makes a new one.
type taskRun interface {
	// run moves records until ctx ends or the task fails.
	run(ctx context.Context) error
	setPaused(paused bool)
	// close stops the plugin and closes the Kafka clients.
	close()
}

func startTask(w *Worker, task int, c *fsm.Connector, p *permit, logger *slog.Logger) instance {
	ti := &taskInstance{w: w, id: fsm.TaskID{Connector: c.Name, Task: task}, logger: logger, permit: p, lifecycle: newLifecycle(c)}
	w.status.claim(ti.key(), ti)
	go ti.loop()
	return ti
}

func (ti *taskInstance) authorize(epoch uint64) { ti.permit.authorize(epoch) }

func (ti *taskInstance) stop(timeout time.Duration) { ti.stopWithin(timeout, ti.logger, "task") }

func (ti *taskInstance) key() fsm.TaskID { return ti.id }

func (ti *taskInstance) report(state, trace string) {
	ti.metrics.State(state)
	ti.w.status.report(ti, ti.key(), fsm.Status{State: state, Trace: trace, RestartAttempts: ti.auto.attempts, ModifyIndex: ti.modifyIndex})
}

// loop starts the task with its committed config and restarts it when that config changes or a
// restart is requested; pause and resume reach the running task without a restart.
func (ti *taskInstance) loop() {
	defer close(ti.done)
	defer ti.w.status.release(ti.key(), ti)
	defer func() { ti.w.deps.Metrics.RemoveTask(ti.metrics) }()
	var (
		cur          *activeRun
		config       map[string]string
		restartIndex uint64
		failed       bool
		// retry fires for the next automatic restart, which starts from last, the newest spec;
		// lasted once a restarted run lasted long enough to reset the count.
		retry     <-chan time.Time
		lasted    <-chan time.Time
		last      *fsm.Connector
		inherited bool
	)
	fail := func(err error) {
		delay, note, ok := ti.auto.failed(time.Now())
		ti.report(fsm.StateFailed, trace(err)+note)
		failed, lasted = true, nil
		if ok {
			retry = time.After(delay)
		}
	}
	stopRun := func() {
		if cur != nil {
			cur.stop(ti.w.cfg.TaskShutdownTimeout, ti.logger)
			cur = nil
		}
	}
	defer func() {
		stopRun()
		// A failed task's status stays FAILED, as in Kafka Connect, with the attempts so far for
		// the worker that takes it over.
		if !failed && ti.w.deps.FSM.State().Connector(ti.id.Connector) != nil {
			ti.report(fsm.StateUnassigned, "")
		}
	}()
	for {
		var spec *fsm.Connector
		var runDone chan error
		if cur != nil {
			runDone = cur.done
		}
		select {
		case <-ti.ctx.Done():
			return
		case spec = <-ti.updates:
		case <-retry:
			retry = nil
			spec, failed = last, false
			ti.auto.restarting()
			ti.report(fsm.StateRestarting, "")
		case <-lasted:
			lasted = nil
			ti.auto.reset()
			if cur == nil {
				continue
			}
			spec = last
		case err := <-runDone:
			// Without a permit the worker is stopping the task (its lease lapsed, and then its
			// producers' connections were cut); the errors that causes are not the task's failure.
			if err != nil && ti.ctx.Err() == nil && ti.permit.allows(time.Now()) {
				ti.logger.Warn("task failed", "err", err)
				fail(err)
			}
			cur.run.close()
			cur = nil
			continue
		}
		last = spec
		ti.auto.configure(spec.Config)
		ti.modifyIndex = spec.ModifyIndex
		if !inherited {
			// Taking the task over: go on from the count its previous worker reported. A run
			// that failed there is due for its restart here, unless the policy gave up on it.
			inherited = true
			st := ti.w.deps.FSM.State().TaskStatus(ti.id.Connector, ti.id.Task)
			if wasFailed, exhausted := ti.auto.inherit(st, spec.ModifyIndex); exhausted && wasFailed {
				ti.report(fsm.StateFailed, st.Trace)
				failed = true
				if ti.id.Task < len(spec.Tasks) {
					// What it failed with, so that a restart through the REST API or a new
					// config starts it again.
					config = spec.Tasks[ti.id.Task]
				}
			} else if wasFailed {
				ti.auto.restarting()
				ti.report(fsm.StateRestarting, "")
			}
		}
		if ti.id.Task >= len(spec.Tasks) {
			continue
		}
		newConfig := spec.Tasks[ti.id.Task]
		restart := spec.Restart != nil && spec.RestartIndex != restartIndex && slices.Contains(spec.Restart.Tasks, ti.id.Task)
		if config != nil && (restart || !maps.Equal(config, newConfig)) {
			stopRun()
			failed, retry, lasted = false, nil, nil
			ti.auto.reset()
		}
		if restart || restartIndex == 0 {
			restartIndex = spec.RestartIndex
		}
		paused := spec.Target == fsm.TargetPaused
		if paused && !failed && ti.stopsWhenPaused(newConfig) {
			stopRun()
			config = newConfig
			ti.report(fsm.StatePaused, "")
			continue
		}
		if cur == nil && !failed {
			config = newConfig
			run, err := ti.newRun(newConfig)
			ti.w.deps.Metrics.TaskStarted(err)
			if err != nil {
				ti.logger.Warn("task failed to start", "err", err)
				fail(err)
				continue
			}
			cur = startRun(ti.ctx, run)
			if ti.auto.attempts > 0 {
				lasted = time.After(ti.auto.lasting())
			}
		}
		if cur != nil {
			cur.run.setPaused(paused)
			if paused {
				ti.report(fsm.StatePaused, "")
			} else {
				ti.report(fsm.StateRunning, "")
			}
		}
	}
}

// stopsWhenPaused reports whether the task's class is one whose paused tasks are stopped
// rather than held (plugins.Plugin.StopWhenPaused).
func (ti *taskInstance) stopsWhenPaused(config map[string]string) bool {
	p, ok := ti.w.deps.Registry.TaskPlugin(config["task.class"])
	return ok && p.StopWhenPaused
}

// activeRun is a task run in progress on its own goroutine.
type activeRun struct {
	run    taskRun
	cancel context.CancelFunc
	done   chan error
}

func startRun(ctx context.Context, run taskRun) *activeRun {
	a := &activeRun{run: run, done: make(chan error, 1)}
	ctx, a.cancel = context.WithCancel(ctx)
	go func() { a.done <- run.run(ctx) }()
	return a
}

// stop cancels the run, waits for it at most timeout, and closes it either way: closing its
// Kafka clients is what fences an abandoned plugin.
func (a *activeRun) stop(timeout time.Duration, logger *slog.Logger) {
	a.cancel()
	select {
	case <-a.done:
	case <-time.After(timeout):
		logger.Warn("task did not stop in time; abandoning it", "timeout", timeout)
	}
	a.run.close()
}

// newRun starts the task's plugin with its config and Kafka clients.
func (ti *taskInstance) newRun(stored map[string]string) (taskRun, error) {
	config, err := ti.w.cfg.ConfigProviders.Resolve(stored)
	if err != nil {
		return nil, err
	}
	p, ok := ti.w.deps.Registry.TaskPlugin(config["task.class"])
	if !ok {
		return nil, fmt.Errorf("Class %s could not be found.", config["task.class"])
	}
	conv, err := ti.converters(config)
	if err != nil {
		return nil, err
	}
	// Kafka's task metrics count from the task's last (re)start.
	ti.w.deps.Metrics.RemoveTask(ti.metrics)
	ti.metrics = ti.w.deps.Metrics.NewTask(ti.id.Connector, ti.id.Task, p.Kind == plugins.KindSink)
	switch p.Kind {
	case plugins.KindSource:
		return newSourceRun(ti, guardedSourceTask{p.NewSourceTask()}, config, conv)
	case plugins.KindSink:
		return newSinkRun(ti, guardedSinkTask{p.NewSinkTask()}, config, conv)
	}
	return nil, fmt.Errorf("%s is not a task class", config["task.class"])
}

// converters are the task's key, value and header converters: the connector's own when it
// names one, else the worker's, each configured with its prefixed settings. chain is the
// connector's transforms, built once per task start.
type converters struct {
	key, value connect.Converter
	header     connect.HeaderConverter
	chain      *transforms.Chain
}

func (ti *taskInstance) converters(config map[string]string) (converters, error) {
	var out converters
	for _, isKey := range []bool{true, false} {
		prefix := "value.converter"
		if isKey {
			prefix = "key.converter"
		}
		source := ti.w.cfg.WorkerProps
		if _, ok := config[prefix]; ok {
			source = config
		}
		sub := map[string]string{}
		for k, v := range source {
			if rest, ok := cutPrefix(k, prefix+"."); ok {
				sub[rest] = v
			}
		}
		var c connect.Converter
		err := guard("Converter.configure", func() (err error) {
			c, err = ti.w.deps.Registry.NewConverter(source[prefix], sub, isKey)
			return err
		})
		if err != nil {
			return out, fmt.Errorf("%s: %w", prefix, err)
		}
		c = guardedConverter{c}
		if isKey {
			out.key = c
		} else {
			out.value = c
		}
	}
	var err error
	if out.header, err = ti.headerConverter(config); err != nil {
		return out, err
	}
	if out.chain, err = transforms.NewChain(config); err != nil {
		return out, err
	}
	return out, nil
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

// taskContext is what a task learns about where it runs.
type taskContext struct {
	ti *taskInstance
}

func (c taskContext) WorkerID() string      { return c.ti.w.cfg.WorkerID }
func (c taskContext) TaskID() int           { return c.ti.id.Task }
func (c taskContext) ConnectorName() string { return c.ti.id.Connector }

// Offset implements connect.SourceTaskContext from the replicated state.
func (c taskContext) Offset(partition map[string]any) (map[string]any, error) {
	return c.ti.w.deps.FSM.State().SourceOffset(c.ti.id.Connector, partition), nil
}

// bounded runs f, waiting for it at most task.shutdown.graceful.timeout.ms; a plugin call that
// takes longer is abandoned on its goroutine.
func (ti *taskInstance) bounded(what string, f func() error) {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			ti.logger.Warn(what+" failed", "err", err)
		}
	case <-time.After(ti.w.cfg.TaskShutdownTimeout):
		ti.logger.Warn(what+" did not finish in time; abandoning it", "timeout", ti.w.cfg.TaskShutdownTimeout)
	}
}
