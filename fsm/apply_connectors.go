package fsm

import (
	"maps"
)

func init() {
	registerCommand(func() *ConnectorPut { return new(ConnectorPut) }, applyConnectorPut)
	registerCommand(func() *ConnectorPatch { return new(ConnectorPatch) }, applyConnectorPatch)
	registerCommand(func() *ConnectorDelete { return new(ConnectorDelete) }, applyConnectorDelete)
	registerCommand(func() *TargetStateChange { return new(TargetStateChange) }, applyTargetState)
	registerCommand(func() *TaskConfigs { return new(TaskConfigs) }, applyTaskConfigs)
	registerCommand(func() *RestartRequest { return new(RestartRequest) }, applyRestart)
}

func applyConnectorPut(tx *writeTxn, cmd *ConnectorPut, index uint64) Result {
	old := tx.view().Connector(cmd.Name)
	if old != nil && cmd.Create {
		if cmd.Request != "" && old.CreateRequest == cmd.Request {
			return Result{Created: true, Connector: old}
		}
		return Result{Err: errorf(KindConflict, "Connector %s already exists", cmd.Name)}
	}
	c := &Connector{Name: cmd.Name, Config: cmd.Config, Target: TargetStarted, CreateIndex: index, ModifyIndex: index, CreateRequest: cmd.Request}
	if cmd.Target != "" {
		c.Target = cmd.Target
	}
	if old != nil {
		next := *old
		next.Config = cmd.Config
		next.ModifyIndex = index
		c = &next
	}
	tx.insert(tableConnectors, c)
	return Result{Created: old == nil, Connector: c}
}

func applyConnectorPatch(tx *writeTxn, cmd *ConnectorPatch, index uint64) Result {
	old := tx.view().Connector(cmd.Name)
	if old == nil {
		return Result{Err: connectorNotFound(cmd.Name)}
	}
	if cmd.IfIndex != 0 && cmd.IfIndex != old.ModifyIndex {
		return Result{Err: staleConfig()}
	}
	next := *old
	next.Config = MergeConfig(old.Config, cmd.Patch)
	next.ModifyIndex = index
	tx.insert(tableConnectors, &next)
	return Result{Connector: &next}
}

// MergeConfig applies a PATCH body to a config: nil values remove keys, others overwrite.
func MergeConfig(config map[string]string, patch map[string]*string) map[string]string {
	merged := maps.Clone(config)
	if merged == nil {
		merged = map[string]string{}
	}
	for k, v := range patch {
		if v == nil {
			delete(merged, k)
		} else {
			merged[k] = *v
		}
	}
	return merged
}

func applyConnectorDelete(tx *writeTxn, cmd *ConnectorDelete, _ uint64) Result {
	old := tx.view().Connector(cmd.Name)
	if old == nil {
		return Result{Err: connectorNotFound(cmd.Name)}
	}
	tx.remove(tableConnectors, old)
	tx.removeConnectorRows(tableStatus, cmd.Name)
	tx.removeConnectorRows(tableTopics, cmd.Name)
	return Result{Connector: old}
}

func applyTargetState(tx *writeTxn, cmd *TargetStateChange, index uint64) Result {
	old := tx.view().Connector(cmd.Name)
	if old == nil {
		return Result{Err: errorf(KindNotFound, "Unknown connector %s", cmd.Name)}
	}
	if !cmd.Target.Valid() {
		return Result{Err: errorf(KindBadRequest, "Invalid target state %q", cmd.Target)}
	}
	next := *old
	next.Target = cmd.Target
	next.ModifyIndex = index
	if cmd.Target == TargetStopped {
		// Kafka Connect writes an empty task list with STOPPED, so a stopped connector has no tasks.
		next.Tasks = nil
		pruneTaskStatuses(tx, cmd.Name, 0)
	}
	tx.insert(tableConnectors, &next)
	return Result{Connector: &next}
}

func applyTaskConfigs(tx *writeTxn, cmd *TaskConfigs, index uint64) Result {
	state := tx.view()
	old := state.Connector(cmd.Name)
	if old == nil {
		return Result{Err: connectorNotFound(cmd.Name)}
	}
	if cmd.Fence != nil && !state.ownsConnector(cmd.Fence, cmd.Name) {
		return Result{Err: fencedError(cmd.Fence, cmd.Name)}
	}
	if old.Target == TargetStopped && len(cmd.Tasks) > 0 {
		return Result{Err: errorf(KindBadRequest, "Cannot submit non-empty set of task configs for stopped connector %s", cmd.Name)}
	}
	next := *old
	next.Tasks = cmd.Tasks
	next.ModifyIndex = index
	tx.insert(tableConnectors, &next)
	pruneTaskStatuses(tx, cmd.Name, len(cmd.Tasks))
	return Result{Connector: &next}
}

// pruneTaskStatuses tombstones the status records of tasks at or beyond count, as Kafka's leader
// does after a task-count reduction.
func pruneTaskStatuses(tx *writeTxn, connector string, count int) {
	for _, st := range tx.view().Statuses(connector) {
		if st.Task >= count {
			tx.remove(tableStatus, st)
		}
	}
}

func applyRestart(tx *writeTxn, cmd *RestartRequest, index uint64) Result {
	old := tx.view().Connector(cmd.Name)
	if old == nil {
		return Result{Err: errorf(KindNotFound, "Unknown connector: %s", cmd.Name)}
	}
	if tx.view().ConfigPending() {
		return Result{Err: staleConfig()}
	}
	next := *old
	restart := cmd.Restart
	if cmd.Plan != nil {
		restart = planRestart(tx.view(), old, *cmd.Plan)
		if !restart.Connector && len(restart.Tasks) == 0 {
			return Result{Connector: old}
		}
	}
	next.Restart = &restart
	next.RestartIndex = index
	tx.insert(tableConnectors, &next)
	state := tx.view()
	mark := func(task int) {
		if st := state.TaskStatus(cmd.Name, task); st != nil {
			marked := *st
			marked.State = StateRestarting
			marked.Trace = ""
			tx.insert(tableStatus, &marked)
		}
	}
	if restart.Connector {
		mark(ConnectorTask)
	}
	for _, t := range restart.Tasks {
		mark(t)
	}
	return Result{Connector: &next}
}

func planRestart(state *State, c *Connector, plan RestartPlan) Restart {
	chosen := func(task int) bool {
		if !plan.OnlyFailed {
			return true
		}
		st := state.TaskStatus(c.Name, task)
		return st != nil && st.State == StateFailed
	}
	restart := Restart{Connector: chosen(ConnectorTask)}
	if plan.IncludeTasks {
		for t := range c.Tasks {
			if chosen(t) {
				restart.Tasks = append(restart.Tasks, t)
			}
		}
	}
	return restart
}
