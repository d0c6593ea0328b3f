package runtime

import (
	"reflect"
	"testing"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/fsm"
)

func TestOnlyAcknowledgedPrefixIsCommittable(t *testing.T) {
	s := newSubmittedRecords()
	p := map[string]any{"file": "a"}
	recs := s.submit(sourceRecords(p, 1, 2, 3))
	r1, r2, r3 := &recs[0], &recs[1], &recs[2]
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
	recs := s.submit(sourceRecords(p, 1, 2))
	s.fail(1)
	s.ack(&recs[1])
	if got := s.committable(); len(got) != 0 {
		t.Fatalf("an offset after a failed record became committable: %v", got)
	}
	done := make(chan struct{})
	s.waitDrained(done)
}

func sourceRecords(partition map[string]any, positions ...int) []*connect.SourceRecord {
	var out []*connect.SourceRecord
	for _, pos := range positions {
		out = append(out, &connect.SourceRecord{SourcePartition: partition, SourceOffset: connect.OffsetMap{"pos": pos}})
	}
	return out
}
