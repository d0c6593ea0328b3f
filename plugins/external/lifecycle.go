package external

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/conduitio/conduit-connector-protocol/pconnector"

	"github.com/connectd/connectd/configprovider"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/retry"
)

// A plugin's lifecycle hooks run once per connector, with Conduit's semantics: when the
// connector instance starts, its plugin parameters are compared with the last-active ones kept
// in the Raft state (none: OnCreated; different: OnUpdated; equal: nothing), and when the
// connector is deleted the leader runs OnDeleted with the last-active parameters. Each hook runs
// in a plugin process of its own, and its success is committed after it ran, so a crash between
// the two runs the hook again: hooks run at least once. docs/2026-12-01-lifecycle-hooks.md has
// the design.

// Deletion timings: how long the leader retries a failing OnDeleted hook before it gives up
// (the hook usually fails because the external system is unreachable), and how often it looks
// for deleted connectors when nothing changed in the state (it may have just become leader).
const (
	deletedHookPatience = 10 * time.Minute
	deletionRecheck     = 2 * time.Second
)

// The lifecycle events, as hook errors and logs name them.
const (
	eventCreated = "created"
	eventUpdated = "updated"
	eventDeleted = "deleted"
)

// hookConnectorID is the id a hook's plugin process is given: not a task's.
func hookConnectorID(connectorName string) string { return connectorName + "-lifecycle" }

// HookError is a lifecycle hook that failed: the connector fails with it.
type HookError struct {
	Connector string
	Event     string
	Err       error
}

func (e *HookError) Error() string {
	return fmt.Sprintf("connector %s: lifecycle event %q: %v", e.Connector, e.Event, e.Err)
}

func (e *HookError) Unwrap() error { return e.Err }

// connectorStarted runs the hook a connector's start calls for, then commits its parameters as
// the last-active ones. resolved is the connector config with placeholders resolved; what is
// committed keeps the placeholders of the stored config, so that no secret is replicated.
func (c *connector) connectorStarted(resolved map[string]string) error {
	h := c.p.host
	name := resolved["name"]
	state := h.log.State()
	stored := resolved
	if spec := state.Connector(name); spec != nil {
		stored = configprovider.Restore(spec.Config, resolved, resolved)
	}
	active := map[string]string(pluginConfig(stored))
	event, before := eventCreated, map[string]string(nil)
	if last := state.LastActiveConfig(name); last != nil {
		if maps.Equal(last.Config, active) {
			return nil
		}
		var err error
		if before, err = h.resolve(last.Config); err != nil {
			return &HookError{Connector: name, Event: eventUpdated, Err: fmt.Errorf("resolve the last-active config: %w", err)}
		}
		event = eventUpdated
	}
	if err := c.p.runHook(context.Background(), c.source, name, event, before, pluginConfig(resolved)); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	res, err := h.log.Apply(ctx, &fsm.LastActiveConfigSet{Connector: name, Class: c.class, Config: active})
	if err == nil && res.Err != nil {
		err = res.Err
	}
	if err != nil {
		// The hook succeeded, so the connector runs; its next start runs the hook again, as after
		// a crash. A rolling upgrade refuses the command until every voter knows it.
		h.logger.Warn("last-active config not committed; the next start runs the lifecycle hook again", "connector", name, "err", err)
	}
	return nil
}

// runHook starts a process of the plugin, dispenses its source (or destination) and calls the
// event's hook: OnCreated(after), OnUpdated(before, after) or OnDeleted(before). As in Conduit, the plugin is configured with the new parameters
// before OnCreated and OnUpdated, and torn down after the hook; a plugin without the hooks (an
// older SDK) answers unimplemented, which is no failure.
func (p *Plugin) runHook(ctx context.Context, source bool, connectorName, event string, before, after map[string]string) error {
	logger := p.host.logger.With("connector", connectorName, "plugin", p.Spec.Name, "event", event)
	proc, err := p.host.launch(p.Path, hookConnectorID(connectorName), logger)
	if err != nil {
		return &HookError{Connector: connectorName, Event: event, Err: err}
	}
	defer proc.kill()
	kind := "destination"
	if source {
		kind = "source"
	}
	raw, err := proc.dispense(kind)
	if err != nil {
		return &HookError{Connector: connectorName, Event: event, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	switch plugin := raw.(type) {
	case pconnector.SourcePlugin:
		err = sourceHook(ctx, plugin, event, before, after)
	case pconnector.DestinationPlugin:
		err = destinationHook(ctx, plugin, event, before, after)
	default:
		err = fmt.Errorf("plugin %s dispensed %T, not a %s", p.Spec.Name, raw, kind)
	}
	if errors.Is(err, pconnector.ErrUnimplemented) {
		logger.Debug("plugin has no lifecycle hooks")
		err = nil
	}
	if err != nil {
		return &HookError{Connector: connectorName, Event: event, Err: proc.failure(err)}
	}
	logger.Info("ran lifecycle hook")
	return nil
}

func sourceHook(ctx context.Context, s pconnector.SourcePlugin, event string, before, after map[string]string) error {
	var err error
	switch event {
	case eventCreated:
		if _, err = s.Configure(ctx, pconnector.SourceConfigureRequest{Config: after}); err == nil {
			_, err = s.LifecycleOnCreated(ctx, pconnector.SourceLifecycleOnCreatedRequest{Config: after})
		}
	case eventUpdated:
		if _, err = s.Configure(ctx, pconnector.SourceConfigureRequest{Config: after}); err == nil {
			_, err = s.LifecycleOnUpdated(ctx, pconnector.SourceLifecycleOnUpdatedRequest{ConfigBefore: before, ConfigAfter: after})
		}
	default:
		_, err = s.LifecycleOnDeleted(ctx, pconnector.SourceLifecycleOnDeletedRequest{Config: before})
	}
	_, tdErr := s.Teardown(ctx, pconnector.SourceTeardownRequest{})
	return errors.Join(err, ignoreUnimplemented(tdErr))
}

func destinationHook(ctx context.Context, d pconnector.DestinationPlugin, event string, before, after map[string]string) error {
	var err error
	switch event {
	case eventCreated:
		if _, err = d.Configure(ctx, pconnector.DestinationConfigureRequest{Config: after}); err == nil {
			_, err = d.LifecycleOnCreated(ctx, pconnector.DestinationLifecycleOnCreatedRequest{Config: after})
		}
	case eventUpdated:
		if _, err = d.Configure(ctx, pconnector.DestinationConfigureRequest{Config: after}); err == nil {
			_, err = d.LifecycleOnUpdated(ctx, pconnector.DestinationLifecycleOnUpdatedRequest{ConfigBefore: before, ConfigAfter: after})
		}
	default:
		_, err = d.LifecycleOnDeleted(ctx, pconnector.DestinationLifecycleOnDeletedRequest{Config: before})
	}
	_, tdErr := d.Teardown(ctx, pconnector.DestinationTeardownRequest{})
	return errors.Join(err, ignoreUnimplemented(tdErr))
}

func ignoreUnimplemented(err error) error {
	if errors.Is(err, pconnector.ErrUnimplemented) {
		return nil
	}
	return err
}

// RunDeletions runs, while isLeader holds, the OnDeleted hook of every deleted plugin connector
// whose last-active config is still in the state, and then clears that config. Running it on the
// leader means a deletion is finished even when the node that deleted the connector, or the one
// that ran it, is gone: a new leader finds the config still there. It returns when ctx ends.
func (h *Host) RunDeletions(ctx context.Context, isLeader func() bool) {
	running := map[string]bool{}
	done := make(chan string)
	for {
		state := h.log.State()
		if isLeader() {
			for _, last := range state.LastActiveConfigs() {
				if running[last.Connector] || state.Connector(last.Connector) != nil {
					continue
				}
				running[last.Connector] = true
				go func() {
					h.runDeleted(ctx, last, isLeader)
					done <- last.Connector
				}()
			}
		}
		select {
		case <-ctx.Done():
			for len(running) > 0 {
				delete(running, <-done)
			}
			return
		case name := <-done:
			delete(running, name)
		case <-state.WatchCh():
		case <-time.After(deletionRecheck):
		}
	}
}

// errNoLongerDeleted ends the retries of an OnDeleted hook whose connector is no longer to be
// deleted here: this node lost the leadership, or the connector was created again (its start
// then takes the last-active config over).
var errNoLongerDeleted = errors.New("no longer this node's deletion to run")

// runDeleted runs one deleted connector's OnDeleted hook, retrying while it fails, and clears
// its last-active config. A connector whose plugin this node lacks, or whose hook kept failing,
// is logged and cleared: the deletion cannot be finished by anyone else.
func (h *Host) runDeleted(ctx context.Context, last *fsm.LastActiveConfig, isLeader func() bool) {
	logger := h.logger.With("connector", last.Connector, "class", last.Class)
	p, source := h.pluginOf(last.Class)
	if p == nil {
		logger.Warn("deleted connector's plugin is not on plugin.path: its OnDeleted lifecycle hook is not run, and what the plugin created outside connectd (a replication slot, say) stays")
	} else {
		_, err := retry.Do(ctx, retry.LifecycleHook, deletedHookPatience, func() (struct{}, error) {
			if !isLeader() || h.log.State().Connector(last.Connector) != nil {
				return struct{}{}, retry.Permanent(errNoLongerDeleted)
			}
			before, err := h.resolve(last.Config)
			if err != nil {
				return struct{}{}, err
			}
			if err := p.runHook(ctx, source, last.Connector, eventDeleted, before, nil); err != nil {
				logger.Warn("OnDeleted lifecycle hook failed; retrying", "err", err)
				return struct{}{}, err
			}
			return struct{}{}, nil
		})
		switch {
		case errors.Is(err, errNoLongerDeleted) || ctx.Err() != nil:
			return
		case err != nil:
			logger.Error("OnDeleted lifecycle hook kept failing; given up: clean up what the plugin created outside connectd by hand", "err", err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	res, err := h.log.Apply(cctx, &fsm.LastActiveConfigSet{Connector: last.Connector, Clear: true, IfIndex: last.ModifyIndex})
	if err == nil && res.Err != nil {
		err = res.Err
	}
	if err != nil {
		// The config stays: the next pass (here or on the next leader) runs the hook again.
		logger.Warn("clearing the deleted connector's last-active config failed", "err", err)
	}
}

// pluginOf finds the plugin of a connector class, and whether the class is its source.
func (h *Host) pluginOf(class string) (*Plugin, bool) {
	for _, p := range h.plugins {
		base := classPrefix + camel(p.Spec.Name)
		switch class {
		case base + "SourceConnector":
			return p, true
		case base + "SinkConnector":
			return p, false
		}
	}
	return nil, false
}
