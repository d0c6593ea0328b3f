package fsm

import (
	"slices"
)

func init() {
	registerCommand(func() *OffsetsAlter { return new(OffsetsAlter) }, applyOffsetsAlter)
}

// OffsetsAlter is PATCH or DELETE /connectors/{n}/offsets: it writes Offsets (a nil Offset
// removes that partition) or, with Reset, removes every source offset of the connector, all at
// one log index and only while the connector is stopped and none of its tasks can still commit.
// Without offsets it only checks that condition at a point of the log, before the REST layer
// asks the connector or changes a sink's consumer group.
type OffsetsAlter struct {
	Connector string        `json:"connector"`
	Offsets   []OffsetEntry `json:"offsets,omitempty"`
	Reset     bool          `json:"reset,omitempty"`
}

// Type implements Command.
func (*OffsetsAlter) Type() MessageType { return OffsetsAlterType }

// notStoppedError is Kafka Connect's refusal to change the offsets of a connector that is not
// stopped.
func notStoppedError(name string) *Error {
	return errorf(KindBadRequest, "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/%s/stop' endpoint", name)
}

// The checks run in Kafka Connect's order: pending rebalance, unknown connector, not stopped.
func applyOffsetsAlter(tx *writeTxn, cmd *OffsetsAlter, _ uint64) Result {
	state := tx.view()
	if state.ConfigPending() {
		return Result{Err: staleConfig()}
	}
	c := state.Connector(cmd.Connector)
	if c == nil {
		return Result{Err: connectorNotFound(cmd.Connector)}
	}
	if c.Target != TargetStopped || len(c.Tasks) != 0 {
		return Result{Err: notStoppedError(cmd.Connector)}
	}
	// A revoked task may commit until its owner acknowledges the stop; that commit would
	// overwrite the new offsets, so this is a rebalance still in progress.
	if state.Assignment().RunsTasksOf(cmd.Connector) {
		return Result{Err: staleConfig()}
	}
	if cmd.Reset {
		tx.removeConnectorRows(tableOffsets, cmd.Connector)
	}
	writeOffsets(tx, cmd.Connector, cmd.Offsets)
	return Result{}
}

// RunsTasksOf reports whether a task of the connector is assigned, or revoked and not yet
// acknowledged as stopped: either may still write for it.
func (a *Assignment) RunsTasksOf(connector string) bool {
	ofConnector := func(t TaskID) bool { return t.Connector == connector }
	for _, items := range a.Owned {
		if slices.ContainsFunc(items.Tasks, ofConnector) {
			return true
		}
	}
	for _, items := range a.PendingStops {
		if slices.ContainsFunc(items.Tasks, ofConnector) {
			return true
		}
	}
	return false
}
