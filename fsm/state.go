package fsm

import (
	"fmt"
	"sort"

	memdb "github.com/hashicorp/go-memdb"
)

// State is a consistent read-only view of the replicated state at one point in the log.
type State struct {
	txn   *memdb.Txn
	watch chan struct{}
}

// WatchCh closes when the state changes after this view was taken.
func (s *State) WatchCh() <-chan struct{} { return s.watch }

func (s *State) first(table string, args ...any) any {
	obj, err := s.txn.First(table, "id", args...)
	if err != nil {
		panic(fmt.Sprintf("fsm: read %s: %v", table, err))
	}
	return obj
}

func (s *State) all(table, index string, args ...any) []any {
	it, err := s.txn.Get(table, index, args...)
	if err != nil {
		panic(fmt.Sprintf("fsm: list %s: %v", table, err))
	}
	var out []any
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj)
	}
	return out
}

// Connector returns the named connector, or nil. The value must not be modified.
func (s *State) Connector(name string) *Connector {
	if obj := s.first(tableConnectors, name); obj != nil {
		return obj.(*Connector)
	}
	return nil
}

// ConnectorsWatch returns a channel that closes when any connector (config, task configs, target
// state, restart request) changes after this view: workers need not look again before.
func (s *State) ConnectorsWatch() <-chan struct{} {
	it, err := s.txn.Get(tableConnectors, "id")
	if err != nil {
		panic(fmt.Sprintf("fsm: watch %s: %v", tableConnectors, err))
	}
	return it.WatchCh()
}

// Connectors returns every connector, sorted by name.
func (s *State) Connectors() []*Connector {
	var out []*Connector
	for _, obj := range s.all(tableConnectors, "id") {
		out = append(out, obj.(*Connector))
	}
	return out
}

// ConnectorStatus returns the status record of a connector instance, or nil.
func (s *State) ConnectorStatus(name string) *Status { return s.TaskStatus(name, ConnectorTask) }

// TaskStatus returns the status record of a task, or nil.
func (s *State) TaskStatus(connector string, task int) *Status {
	if obj := s.first(tableStatus, connector, task); obj != nil {
		return obj.(*Status)
	}
	return nil
}

// Statuses returns the status records of a connector and its tasks, connector first then tasks by id.
func (s *State) Statuses(connector string) []*Status {
	var out []*Status
	for _, obj := range s.all(tableStatus, "connector", connector) {
		out = append(out, obj.(*Status))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Task < out[j].Task })
	return out
}

// Worker returns a registered node, or nil.
func (s *State) Worker(node string) *Worker {
	if obj := s.first(tableWorkers, node); obj != nil {
		return obj.(*Worker)
	}
	return nil
}

// Workers returns the worker registry sorted by node id.
func (s *State) Workers() []*Worker {
	var out []*Worker
	for _, obj := range s.all(tableWorkers, "id") {
		out = append(out, obj.(*Worker))
	}
	return out
}

// SourceOffsets returns a connector's committed source offsets, sorted by partition.
func (s *State) SourceOffsets(connector string) []*SourceOffset {
	var out []*SourceOffset
	for _, obj := range s.all(tableOffsets, "connector", connector) {
		out = append(out, obj.(*SourceOffset))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// SourceOffset returns the committed offset of one source partition, or nil.
func (s *State) SourceOffset(connector string, partition map[string]any) map[string]any {
	if obj := s.first(tableOffsets, connector, SourcePartitionKey(partition)); obj != nil {
		return obj.(*SourceOffset).Offset
	}
	return nil
}

// ActiveTopics returns the topics a connector has used, sorted.
func (s *State) ActiveTopics(connector string) []string {
	out := []string{}
	for _, obj := range s.all(tableTopics, "connector", connector) {
		out = append(out, obj.(*ActiveTopic).Topic)
	}
	return out
}

// LoggerLevels returns the cluster-scoped log levels, sorted by logger.
func (s *State) LoggerLevels() []*LoggerLevel {
	var out []*LoggerLevel
	for _, obj := range s.all(tableLoggers, "id") {
		out = append(out, obj.(*LoggerLevel))
	}
	return out
}

func (s *State) meta(key string) any {
	if obj := s.first(tableMeta, key); obj != nil {
		return obj.(*metaRow).Value
	}
	return nil
}

// Assignment returns the committed assignment (the zero Assignment before the first round).
// The value must not be modified.
func (s *State) Assignment() *Assignment {
	if a, ok := s.meta(metaAssignment).(*Assignment); ok {
		return a
	}
	return &Assignment{}
}

// SessionKeys are the keys that sign internal requests: the current one, which signs, and the
// one it replaced, which still verifies.
type SessionKeys struct {
	Current  []byte `json:"current"`
	Previous []byte `json:"previous,omitempty"`
	// Created is when the leader drew Current (Unix milliseconds; 0 for a key from before
	// rotation existed).
	Created int64 `json:"created,omitempty"`
}

// SessionKeys returns the signing keys (zero before the leader made one).
func (s *State) SessionKeys() SessionKeys {
	if k, ok := s.meta(metaSessionKey).(*SessionKeys); ok {
		return *k
	}
	return SessionKeys{}
}

// SessionKey returns the key that signs internal requests, or nil before the leader made one.
func (s *State) SessionKey() []byte {
	return s.SessionKeys().Current
}

// ConfigPending reports whether a connector was added or removed, or its task count changed,
// since the last committed assignment: the window in which Kafka Connect answers restarts and
// offset changes with 409 stale configuration.
func (s *State) ConfigPending() bool {
	configured := s.Assignment().Configured
	connectors := s.Connectors()
	if len(connectors) != len(configured) {
		return true
	}
	for _, c := range connectors {
		if n, ok := configured[c.Name]; !ok || n != len(c.Tasks) {
			return true
		}
	}
	return false
}
