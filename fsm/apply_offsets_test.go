package fsm

import (
	"encoding/json"
	"testing"
)

func TestOffsetsAlter(t *testing.T) {
	h := newHarness(t)
	task := TaskID{Connector: "a", Task: 0}
	h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a")})
	h.mustApply(&TaskConfigs{Name: "a", Tasks: []map[string]string{{}}})
	h.mustApply(&AssignmentCommit{Assignment: Assignment{Generation: 1, Configured: map[string]int{"a": 1},
		Owned: map[string]Items{"n1": {Tasks: []TaskID{task}}}}})
	p1, p2 := map[string]any{"filename": "x"}, map[string]any{"filename": "y"}
	h.mustApply(&SourceOffsets{Connector: "a", Offsets: []OffsetEntry{{SourcePartition: p1, Offset: map[string]any{"position": 1}}, {SourcePartition: p2, Offset: map[string]any{"position": 2}}}})
	alter := &OffsetsAlter{Connector: "a", Offsets: []OffsetEntry{{SourcePartition: p1, Offset: map[string]any{"position": int64(30)}}, {SourcePartition: p2}}}

	wantErr(t, h.apply(&OffsetsAlter{Connector: "nope"}), KindNotFound, "Connector nope not found")
	wantErr(t, h.apply(alter), KindBadRequest, notStoppedError("a").Message)
	h.mustApply(&TargetStateChange{Name: "a", Target: TargetStopped})
	// Stopping removed the task configs, and no round has acted on that yet.
	wantErr(t, h.apply(alter), KindStaleConfig, StaleConfigMessage)
	h.mustApply(&AssignmentCommit{ExpectGeneration: 1, Assignment: Assignment{Generation: 2, Configured: map[string]int{"a": 0},
		PendingStops: map[string]Items{"n1": {Tasks: []TaskID{task}}}}})
	// The revoked task has not acknowledged its stop: it may still commit offsets.
	wantErr(t, h.apply(alter), KindStaleConfig, StaleConfigMessage)
	h.mustApply(&AssignmentCommit{ExpectGeneration: 2, Assignment: Assignment{Generation: 3, Configured: map[string]int{"a": 0}}})

	watch := h.f.State().WatchCh()
	h.mustApply(&OffsetsAlter{Connector: "a"})
	select {
	case <-watch:
		t.Fatal("a command without offsets changed the state")
	default:
	}
	h.mustApply(alter)
	s := h.f.State()
	if got := s.SourceOffset("a", p1)["position"]; got != json.Number("30") {
		t.Fatalf("altered position %v", got)
	}
	if s.SourceOffset("a", p2) != nil {
		t.Fatal("a null offset did not remove the partition")
	}
	h.mustApply(&OffsetsAlter{Connector: "a", Reset: true})
	if offs := h.f.State().SourceOffsets("a"); len(offs) != 0 {
		t.Fatalf("reset left offsets: %v", offs)
	}
	data, err := Encode(alter)
	if err != nil || MessageType(data[0]) != OffsetsAlterType {
		t.Fatalf("encoded as type %d: %v", data[0], err)
	}
}
