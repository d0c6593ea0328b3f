package fsm

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
)

// TaskID identifies task Task of connector Connector; its JSON is Kafka Connect's task id entity.
type TaskID struct {
	Connector string `json:"connector"`
	Task      int    `json:"task"`
}

// ConnectorInstance is the id of a connector's own instance, where connectors and their tasks share
// one key space: assignments, a worker's running set, status records.
func ConnectorInstance(name string) TaskID { return TaskID{Connector: name, Task: ConnectorTask} }

// IsConnector reports whether the id names a connector's own instance rather than a task.
func (t TaskID) IsConnector() bool { return t.Task == ConnectorTask }

// String renders the id as Kafka Connect does: "<connector>-<task>".
func (t TaskID) String() string { return t.Connector + "-" + strconv.Itoa(t.Task) }

// Less orders tasks by connector name, then by index as a number.
func (t TaskID) Less(o TaskID) bool {
	if t.Connector != o.Connector {
		return t.Connector < o.Connector
	}
	return t.Task < o.Task
}

// Items is a set of connector instances and tasks; both slices are kept sorted.
type Items struct {
	Connectors []string `json:"connectors,omitempty"`
	Tasks      []TaskID `json:"tasks,omitempty"`
}

// itemsJSON is the stored form of Items: tasks grouped by connector, which is several times
// smaller and faster to decode than one object per task, and assignments of thousands of tasks
// are committed on every round.
type itemsJSON struct {
	Connectors []string         `json:"connectors,omitempty"`
	Tasks      map[string][]int `json:"tasks,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (i Items) MarshalJSON() ([]byte, error) {
	out := itemsJSON{Connectors: i.Connectors}
	if len(i.Tasks) > 0 {
		out.Tasks = map[string][]int{}
		for _, t := range i.Tasks {
			out.Tasks[t.Connector] = append(out.Tasks[t.Connector], t.Task)
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON implements json.Unmarshaler.
func (i *Items) UnmarshalJSON(data []byte) error {
	var in itemsJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	i.Connectors, i.Tasks = in.Connectors, nil
	total := 0
	for _, tasks := range in.Tasks {
		total += len(tasks)
	}
	if total > 0 {
		i.Tasks = make([]TaskID, 0, total)
	}
	// Kept sorted: connectors by name, then tasks by index.
	for _, c := range slices.Sorted(maps.Keys(in.Tasks)) {
		tasks := in.Tasks[c]
		slices.Sort(tasks)
		for _, t := range tasks {
			i.Tasks = append(i.Tasks, TaskID{Connector: c, Task: t})
		}
	}
	return nil
}

// Empty reports whether the set holds nothing.
func (i Items) Empty() bool { return len(i.Connectors) == 0 && len(i.Tasks) == 0 }

// Clone returns a deep copy.
func (i Items) Clone() Items {
	return Items{Connectors: slices.Clone(i.Connectors), Tasks: slices.Clone(i.Tasks)}
}

// Assignment is the leader's committed view of who runs what (docs/assignment.md §2), with the
// bookkeeping of the incremental cooperative protocol, so that a new leader continues it.
type Assignment struct {
	Generation uint64 `json:"generation"`
	// Owned maps a node id to the items it runs.
	Owned map[string]Items `json:"owned,omitempty"`
	// Sessions maps a node id to the session (process start) its slice belongs to.
	Sessions map[string]string `json:"sessions,omitempty"`
	// Lost holds the items of departed workers during the scheduled rebalance delay.
	Lost Items `json:"lost"`
	// LostConnectorOwner and LostTaskOwner name the last owner of each held item (sticky return).
	LostConnectorOwner map[string]string `json:"lost_connector_owner,omitempty"`
	LostTaskOwner      map[string]string `json:"lost_task_owner,omitempty"`
	// ScheduledAt is the leader's wall clock (ms) of the next scheduled round, 0 for none.
	ScheduledAt int64 `json:"scheduled_at,omitempty"`
	// Delay is what Kafka would have told workers to wait (informational).
	Delay int64 `json:"delay,omitempty"`
	// Candidates are nodes seen empty during the current delay, in order of first sighting.
	Candidates     []string `json:"candidates,omitempty"`
	RevokedInPrev  bool     `json:"revoked_in_prev,omitempty"`
	SuccessiveRevs int      `json:"successive_revs,omitempty"`
	// PendingStops lists, per node, items revoked in this generation and not yet acknowledged.
	PendingStops map[string]Items `json:"pending_stops,omitempty"`
	// Configured is the task count of every connector the round that made this assignment saw;
	// a config that differs from it has not been acted on yet (docs/assignment.md §11).
	Configured map[string]int `json:"configured,omitempty"`
}

// ConnectorOwner returns the node that owns a connector instance.
func (a *Assignment) ConnectorOwner(name string) (string, bool) {
	for node, items := range a.Owned {
		if _, ok := slices.BinarySearch(items.Connectors, name); ok {
			return node, true
		}
	}
	return "", false
}

// TaskOwner returns the node that owns a task.
func (a *Assignment) TaskOwner(id TaskID) (string, bool) {
	for node, items := range a.Owned {
		if _, ok := slices.BinarySearchFunc(items.Tasks, id, func(x, y TaskID) int {
			switch {
			case x.Less(y):
				return -1
			case y.Less(x):
				return 1
			}
			return 0
		}); ok {
			return node, true
		}
	}
	return "", false
}

// Clone returns a deep copy.
func (a *Assignment) Clone() Assignment {
	out := *a
	out.Owned = cloneItems(a.Owned)
	out.PendingStops = cloneItems(a.PendingStops)
	out.Sessions = maps.Clone(a.Sessions)
	out.Lost = a.Lost.Clone()
	out.LostConnectorOwner = maps.Clone(a.LostConnectorOwner)
	out.LostTaskOwner = maps.Clone(a.LostTaskOwner)
	out.Candidates = slices.Clone(a.Candidates)
	out.Configured = maps.Clone(a.Configured)
	return out
}

func cloneItems(m map[string]Items) map[string]Items {
	if m == nil {
		return nil
	}
	out := make(map[string]Items, len(m))
	for k, v := range m {
		out[k] = v.Clone()
	}
	return out
}

// SameAs reports whether a and b assign the same work with the same bookkeeping, whatever their
// generations and informational Delay (which shrinks as time passes: counting it made every
// round during a delay commit a new generation); empty and absent collections are equal.
func (a *Assignment) SameAs(b *Assignment) bool {
	return SameOwners(a.Owned, b.Owned) && SameOwners(a.PendingStops, b.PendingStops) &&
		maps.Equal(a.Sessions, b.Sessions) && a.Lost.Equal(b.Lost) &&
		maps.Equal(a.LostConnectorOwner, b.LostConnectorOwner) && maps.Equal(a.LostTaskOwner, b.LostTaskOwner) &&
		a.ScheduledAt == b.ScheduledAt && slices.Equal(a.Candidates, b.Candidates) &&
		a.RevokedInPrev == b.RevokedInPrev && a.SuccessiveRevs == b.SuccessiveRevs &&
		maps.Equal(a.Configured, b.Configured)
}

// Equal reports whether two sets hold the same items.
func (i Items) Equal(o Items) bool {
	return slices.Equal(i.Connectors, o.Connectors) && slices.Equal(i.Tasks, o.Tasks)
}

// SameOwners reports whether two node -> items maps assign the same items; a node with no items
// and an absent node are equal.
func SameOwners(x, y map[string]Items) bool {
	for k, v := range x {
		if !v.Equal(y[k]) {
			return false
		}
	}
	for k, v := range y {
		if _, ok := x[k]; !ok && !v.Empty() {
			return false
		}
	}
	return true
}
