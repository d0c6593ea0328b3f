package fsm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

func init() {
	registerCommand(func() *StatusUpdate { return new(StatusUpdate) }, applyStatus)
	registerCommand(func() *WorkerRegister { return new(WorkerRegister) }, applyWorkerRegister)
	registerCommand(func() *WorkerDeregister { return new(WorkerDeregister) }, applyWorkerDeregister)
	registerCommand(func() *SessionKeyChange { return new(SessionKeyChange) }, applySessionKey)
	registerCommand(func() *AssignmentCommit { return new(AssignmentCommit) }, applyAssignment)
	registerCommand(func() *StopAck { return new(StopAck) }, applyStopAck)
	registerCommand(func() *NodeDrained { return new(NodeDrained) }, applyNodeDrained)
	registerCommand(func() *SourceOffsets { return new(SourceOffsets) }, applySourceOffsets)
	registerCommand(func() *OffsetsReset { return new(OffsetsReset) }, applyOffsetsReset)
	registerCommand(func() *ActiveTopicsAdd { return new(ActiveTopicsAdd) }, applyActiveTopics)
	registerCommand(func() *TopicsReset { return new(TopicsReset) }, applyTopicsReset)
	registerCommand(func() *LoggerLevelSet { return new(LoggerLevelSet) }, applyLoggerLevel)
}

// applyStatus writes each record that its writer may write; others are skipped, so one stale
// record does not drop the rest of a batch.
func applyStatus(tx *writeTxn, cmd *StatusUpdate, _ uint64) Result {
	for i := range cmd.Records {
		rec := cmd.Records[i]
		state := tx.view()
		if state.Connector(rec.Connector) == nil {
			continue
		}
		if cmd.Fence != nil && !state.mayReport(cmd.Fence, rec.Connector, rec.Task) {
			continue
		}
		if old := state.TaskStatus(rec.Connector, rec.Task); old != nil && supersedes(old, &rec) {
			continue
		}
		tx.insert(tableStatus, &rec)
	}
	return Result{}
}

// supersedes applies Kafka's status conflict rule: an UNASSIGNED or FAILED write from another
// worker does not replace a record of a newer generation.
func supersedes(old, rec *Status) bool {
	safe := rec.State == StateUnassigned || rec.State == StateFailed
	return safe && old.WorkerID != rec.WorkerID && old.Generation > rec.Generation
}

func applyWorkerRegister(tx *writeTxn, cmd *WorkerRegister, _ uint64) Result {
	w := cmd.Worker
	tx.insert(tableWorkers, &w)
	return Result{}
}

func applyWorkerDeregister(tx *writeTxn, cmd *WorkerDeregister, _ uint64) Result {
	if w := tx.view().Worker(cmd.Node); w != nil {
		tx.remove(tableWorkers, w)
	}
	return Result{}
}

// applySessionKey installs a new key and keeps the one it replaces, which stays valid for one
// more rotation so that requests signed just before the change still verify.
func applySessionKey(tx *writeTxn, cmd *SessionKeyChange, _ uint64) Result {
	keys := &SessionKeys{Current: cmd.Key, Created: cmd.Created}
	if old := tx.view().SessionKeys(); old.Current != nil {
		keys.Previous = old.Current
	}
	tx.insert(tableMeta, &metaRow{Key: metaSessionKey, Value: keys})
	return Result{}
}

func applyAssignment(tx *writeTxn, cmd *AssignmentCommit, _ uint64) Result {
	current := tx.view().Assignment()
	if current.Generation != cmd.ExpectGeneration {
		return Result{Err: errorf(KindConflict, "assignment generation %d is stale: current is %d", cmd.ExpectGeneration, current.Generation)}
	}
	a := cmd.Assignment.Clone()
	tx.insert(tableMeta, &metaRow{Key: metaAssignment, Value: &a})
	return Result{}
}

func applyStopAck(tx *writeTxn, cmd *StopAck, _ uint64) Result {
	current := tx.view().Assignment()
	if _, pending := current.PendingStops[cmd.Node]; !pending || current.Sessions[cmd.Node] != cmd.Session {
		return Result{}
	}
	a := current.Clone()
	delete(a.PendingStops, cmd.Node)
	tx.insert(tableMeta, &metaRow{Key: metaAssignment, Value: &a})
	return Result{}
}

func applyNodeDrained(tx *writeTxn, cmd *NodeDrained, _ uint64) Result {
	current := tx.view().Assignment()
	if current.Sessions[cmd.Node] != cmd.Session {
		return Result{}
	}
	a := current.Clone()
	a.Generation++
	delete(a.Owned, cmd.Node)
	delete(a.Sessions, cmd.Node)
	delete(a.PendingStops, cmd.Node)
	tx.insert(tableMeta, &metaRow{Key: metaAssignment, Value: &a})
	return Result{}
}

func applySourceOffsets(tx *writeTxn, cmd *SourceOffsets, _ uint64) Result {
	state := tx.view()
	if cmd.Fence != nil && !state.mayReport(cmd.Fence, cmd.Connector, cmd.Task) {
		return Result{Err: fencedError(cmd.Fence, TaskID{Connector: cmd.Connector, Task: cmd.Task}.String())}
	}
	writeOffsets(tx, cmd.Connector, cmd.Offsets)
	return Result{}
}

// writeOffsets stores each entry in order; a nil Offset removes the partition.
func writeOffsets(tx *writeTxn, connector string, entries []OffsetEntry) {
	for _, e := range entries {
		key := SourcePartitionKey(e.SourcePartition)
		if e.Offset == nil {
			if old := tx.view().first(tableOffsets, connector, key); old != nil {
				tx.remove(tableOffsets, old)
			}
			continue
		}
		tx.insert(tableOffsets, &SourceOffset{Connector: connector, Key: key, SourcePartition: e.SourcePartition, Offset: e.Offset})
	}
}

func applyOffsetsReset(tx *writeTxn, cmd *OffsetsReset, _ uint64) Result {
	tx.removeConnectorRows(tableOffsets, cmd.Connector)
	return Result{}
}

func applyActiveTopics(tx *writeTxn, cmd *ActiveTopicsAdd, _ uint64) Result {
	state := tx.view()
	if state.Connector(cmd.Connector) == nil {
		return Result{Err: connectorNotFound(cmd.Connector)}
	}
	for _, topic := range cmd.Topics {
		if state.first(tableTopics, cmd.Connector, topic) == nil {
			tx.insert(tableTopics, &ActiveTopic{Connector: cmd.Connector, Topic: topic})
		}
	}
	return Result{}
}

func applyTopicsReset(tx *writeTxn, cmd *TopicsReset, _ uint64) Result {
	tx.removeConnectorRows(tableTopics, cmd.Connector)
	return Result{}
}

func applyLoggerLevel(tx *writeTxn, cmd *LoggerLevelSet, _ uint64) Result {
	l := cmd.Level
	if err := checkLoggerLimit(tx.view(), l.Logger); err != nil {
		return Result{Err: err}
	}
	tx.insert(tableLoggers, &l)
	return Result{}
}

// SourcePartitionKey is the canonical form of a source partition: JSON with sorted keys.
func SourcePartitionKey(partition map[string]any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(partition); err != nil {
		panic(fmt.Sprintf("fsm: partition %v is not JSON: %v", partition, err))
	}
	return string(bytes.TrimSpace(buf.Bytes()))
}

// ownsConnector reports whether the fenced writer owns the connector instance now.
func (s *State) ownsConnector(f *Fence, name string) bool {
	a := s.Assignment()
	owner, ok := a.ConnectorOwner(name)
	return ok && owner == f.Node && a.Sessions[f.Node] == f.Session
}

// mayReport reports whether the fenced writer may write for an item: it owns it now, or it was
// revoked from it and the writer has not yet acknowledged stopping it.
func (s *State) mayReport(f *Fence, connector string, task int) bool {
	a := s.Assignment()
	if a.Sessions[f.Node] != f.Session {
		return false
	}
	var owner string
	var ok bool
	if task == ConnectorTask {
		owner, ok = a.ConnectorOwner(connector)
	} else {
		owner, ok = a.TaskOwner(TaskID{Connector: connector, Task: task})
	}
	if ok && owner == f.Node {
		return true
	}
	pending := a.PendingStops[f.Node]
	if task == ConnectorTask {
		return slices.Contains(pending.Connectors, connector)
	}
	return slices.Contains(pending.Tasks, TaskID{Connector: connector, Task: task})
}

func fencedError(f *Fence, item string) *Error {
	return errorf(KindConflict, "%s (session %s, generation %d) does not own %s", f.Node, f.Session, f.Generation, item)
}
