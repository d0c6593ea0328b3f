package runtime

import (
	"reflect"
	"testing"

	"github.com/connectd/connectd/fsm"
)

func TestOnlyAcknowledgedPrefixIsCommittable(t *testing.T) {
	s := newSubmittedRecords()
	p := map[string]any{"file": "a"}
	r1 := s.submit(p, map[string]any{"pos": 1})
	r2 := s.submit(p, map[string]any{"pos": 2})
	r3 := s.submit(p, map[string]any{"pos": 3})
	s.ack(r2)
	if got := s.committable(); len(got) != 0 {
		t.Fatalf("offset committed past an unacknowledged record: %v", got)
	}
	s.ack(r1)
	want := []fsm.OffsetEntry{{Partition: p, Offset: map[string]any{"pos": 2}}}
	if got := s.committable(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := s.committable(); len(got) != 0 {
		t.Fatalf("an offset was returned twice: %v", got)
	}
	s.ack(r3)
	if got := s.committable(); len(got) != 1 || got[0].Offset["pos"] != 3 {
		t.Fatalf("got %v", got)
	}
}

func TestFailedRecordBlocksLaterOffsets(t *testing.T) {
	s := newSubmittedRecords()
	p := map[string]any{"file": "a"}
	s.submit(p, map[string]any{"pos": 1})
	r2 := s.submit(p, map[string]any{"pos": 2})
	s.fail()
	s.ack(r2)
	if got := s.committable(); len(got) != 0 {
		t.Fatalf("an offset after a failed record became committable: %v", got)
	}
	done := make(chan struct{})
	s.waitDrained(done)
}
