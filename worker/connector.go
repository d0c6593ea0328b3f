package worker

import (
	"context"
	"errors"
	"fmt"
	"github.com/connectd/connectd/configprovider"
	"log/slog"
	"maps"
	"reflect"
	"strconv"
	"time"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/fsm"
)

// connectorInstance runs one connector on this worker: it starts the plugin, keeps its target
// state, and submits the task configs it generates. All plugin calls happen on its own
// goroutine, so a stuck plugin blocks only itself.
type connectorInstance struct {
	w      *Worker
	name   string
	logger *slog.Logger

	*lifecycle
	reconf chan struct{}

	// auto restarts the plugin after a failure when its config asks for it (autorestart.go);
	// retry fires for the next attempt, lasted once a restarted plugin ran long enough to reset
	// the count. They belong to the run goroutine.
	auto   autoRestart
	retry  <-chan time.Time
	lasted <-chan time.Time
	// modifyIndex is the connector config version the restart count belongs to; with the count,
	// it goes into the replicated status so that the node the connector moves to goes on from it.
	modifyIndex uint64
}

func startConnector(w *Worker, c *fsm.Connector, logger *slog.Logger) instance {
	ci := &connectorInstance{w: w, name: c.Name, logger: logger, lifecycle: newLifecycle(c), reconf: make(chan struct{}, 1)}
	w.status.claim(ci.key(), ci)
	go ci.run()
	return ci
}

func (ci *connectorInstance) key() fsm.TaskID { return fsm.ConnectorInstance(ci.name) }

func (ci *connectorInstance) report(state, trace string) {
	ci.w.status.report(ci, ci.key(), fsm.Status{State: state, Trace: trace, RestartAttempts: ci.auto.attempts, ModifyIndex: ci.modifyIndex})
}

// authorize does nothing: a connector moves no data, and every write it makes (task configs,
// status) is fenced by the replicated state against the current assignment.
func (ci *connectorInstance) authorize(uint64) {}

func (ci *connectorInstance) stop(timeout time.Duration) {
	ci.stopWithin(timeout, ci.logger, "connector")
}

// RequestTaskReconfiguration implements connect.ConnectorContext.
func (ci *connectorInstance) RequestTaskReconfiguration() {
	select {
	case ci.reconf <- struct{}{}:
	default:
	}
}

// RaiseError implements connect.ConnectorContext: the connector fails.
func (ci *connectorInstance) RaiseError(err error) {
	ci.report(fsm.StateFailed, trace(err))
	ci.once.Do(ci.cancel)
}

// running is the plugin instance and what it was started with.
type running struct {
	plugin connect.Connector
	config map[string]string
	// resolved is config with its placeholders resolved, as the plugin was given it.
	resolved     map[string]string
	restartIndex uint64
	failed       bool
}

func (ci *connectorInstance) run() {
	defer close(ci.done)
	defer ci.w.status.release(ci.key(), ci)
	var cur *running
	defer func() { ci.shutdown(cur, true) }()
	var spec *fsm.Connector
	inherited := false
	for {
		select {
		case <-ci.ctx.Done():
			return
		case spec = <-ci.updates:
		case <-ci.reconf:
			if cur != nil && !cur.failed && spec.Target != fsm.TargetStopped {
				ci.generateTasks(cur, spec)
			}
			continue
		case <-ci.retry:
			ci.retry = nil
			if cur != nil {
				ci.shutdown(cur, false)
				cur = nil
			}
			ci.auto.restarting()
			ci.report(fsm.StateRestarting, "")
		case <-ci.lasted:
			ci.lasted = nil
			ci.auto.reset()
			continue
		}
		ci.auto.configure(spec.Config)
		ci.modifyIndex = spec.ModifyIndex
		if !inherited {
			inherited = true
			if cur = ci.takeOver(spec); cur != nil {
				continue
			}
		}
		restart := spec.RestartIndex > 0 && cur != nil && spec.RestartIndex != cur.restartIndex && spec.Restart != nil && spec.Restart.Connector
		if cur != nil && (restart || !maps.Equal(cur.config, spec.Config) || spec.Target == fsm.TargetStopped) {
			ci.shutdown(cur, false)
			cur = nil
			ci.retry, ci.lasted = nil, nil
			ci.auto.reset()
		}
		if spec.Target == fsm.TargetStopped {
			ci.report(fsm.StateStopped, "")
			continue
		}
		if cur == nil {
			cur = ci.startPlugin(spec)
		}
		if cur.failed {
			continue
		}
		if spec.Target == fsm.TargetPaused {
			ci.report(fsm.StatePaused, "")
		} else {
			ci.report(fsm.StateRunning, "")
		}
		ci.generateTasks(cur, spec)
	}
}

// takeOver goes on from the restart count the connector's previous worker reported, as a task
// does: a run that failed there is due for its restart here, unless the policy gave up on it, in
// which case the connector stays FAILED with that trace and takeOver returns its failed run.
func (ci *connectorInstance) takeOver(spec *fsm.Connector) *running {
	st := ci.w.deps.FSM.State().ConnectorStatus(ci.name)
	wasFailed, exhausted := ci.auto.inherit(st, spec.ModifyIndex)
	switch {
	case wasFailed && exhausted:
		ci.report(fsm.StateFailed, st.Trace)
		return &running{config: spec.Config, restartIndex: spec.RestartIndex, failed: true}
	case wasFailed:
		ci.auto.restarting()
		ci.report(fsm.StateRestarting, "")
	}
	return nil
}

func (ci *connectorInstance) startPlugin(spec *fsm.Connector) *running {
	r := &running{config: spec.Config, restartIndex: spec.RestartIndex}
	plugin, err := ci.w.deps.Registry.NewConnector(spec.Config["connector.class"])
	if err == nil {
		r.plugin = guardedConnector{plugin}
		if r.resolved, err = ci.w.cfg.ConfigProviders.Resolve(spec.Config); err == nil {
			err = r.plugin.Start(ci, r.resolved)
		}
	}
	ci.w.deps.Metrics.ConnectorStarted(err)
	if err != nil {
		ci.logger.Warn("connector failed to start", "err", err)
		ci.failed(r, err)
	} else if ci.auto.attempts > 0 {
		ci.lasted = time.After(ci.auto.lasting())
	}
	return r
}

func (ci *connectorInstance) shutdown(r *running, final bool) {
	if r == nil || r.plugin == nil {
		return
	}
	if err := r.plugin.Stop(); err != nil {
		ci.logger.Warn("connector stop failed", "err", err)
	}
	r.plugin = nil
	// A failed connector's status stays FAILED, as a task's does, with the attempts so far for
	// the worker that takes it over.
	if final && !r.failed && ci.w.deps.FSM.State().Connector(ci.name) != nil {
		ci.report(fsm.StateUnassigned, "")
	}
}

// generateTasks asks the connector for task configs and submits them when they differ from the
// committed ones, enforcing tasks.max as Kafka Connect 3.8+ does.
func (ci *connectorInstance) generateTasks(r *running, spec *fsm.Connector) {
	maxTasks, _ := strconv.Atoi(spec.Config["tasks.max"])
	if maxTasks < 1 {
		maxTasks = 1
	}
	configs, err := r.plugin.TaskConfigs(maxTasks)
	if err != nil {
		ci.fail(r, err)
		return
	}
	if len(configs) > maxTasks && spec.Config["tasks.max.enforce"] != "false" {
		ci.fail(r, fmt.Errorf("The connector %s has generated %d tasks, which is greater than %d, the maximum number of tasks it is configured to create. This behaviour should be considered a bug and is disallowed. If necessary, it can be permitted by reconfiguring the connector with 'tasks.max.enforce' set to false; however, this option will be removed in a future release of Kafka Connect.", ci.name, len(configs), maxTasks))
		return
	}
	tasks := make([]map[string]string, len(configs))
	for i, tc := range configs {
		// Task configs are stored: they keep the placeholders, never the secrets behind them.
		tasks[i] = ci.w.deps.Registry.TaskConfig(spec.Config, configprovider.Restore(spec.Config, r.resolved, tc))
	}
	if reflect.DeepEqual(normalize(tasks), normalize(spec.Tasks)) {
		return
	}
	ctx, cancel := context.WithTimeout(ci.ctx, 30*time.Second)
	defer cancel()
	res, err := ci.w.deps.Apply(ctx, &fsm.TaskConfigs{Name: ci.name, Tasks: tasks, Fence: ci.w.fence()})
	if err == nil && res.Err != nil {
		err = res.Err
	}
	if errors.Is(err, fsm.ErrCommandTooLarge) {
		ci.fail(r, err)
		return
	}
	if err != nil && ci.ctx.Err() == nil {
		ci.logger.Warn("submitting task configs failed; retrying", "err", err)
		time.AfterFunc(time.Second, ci.RequestTaskReconfiguration)
	}
}

func (ci *connectorInstance) fail(r *running, err error) {
	ci.logger.Warn("connector failed", "err", err)
	ci.failed(r, err)
}

// failed reports the plugin FAILED and schedules its automatic restart, if any.
func (ci *connectorInstance) failed(r *running, err error) {
	delay, note, ok := ci.auto.failed(time.Now())
	ci.report(fsm.StateFailed, trace(err)+note)
	r.failed, ci.lasted = true, nil
	if ok {
		ci.retry = time.After(delay)
	}
}

func normalize(tasks []map[string]string) []map[string]string {
	if len(tasks) == 0 {
		return nil
	}
	return tasks
}

// trace renders an error as the status log's trace: Kafka Connect stores a Java stack trace, whose
// first line is "ExceptionClass: message"; connectd stores the error chain.
func trace(err error) string {
	return fmt.Sprintf("org.apache.kafka.connect.errors.ConnectException: %v", err)
}
