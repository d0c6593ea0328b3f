package worker

import (
	"math/rand/v2"
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
	if got, _ := s.committable(); len(got) != 0 {
		t.Fatalf("offset committed past an unacknowledged record: %v", got)
	}
	s.ack(r1)
	want := []fsm.OffsetEntry{{SourcePartition: p, Offset: map[string]any{"pos": 2}}}
	if got, _ := s.committable(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got, _ := s.committable(); len(got) != 0 {
		t.Fatalf("an offset was returned twice: %v", got)
	}
	s.ack(r3)
	if got, _ := s.committable(); len(got) != 1 || got[0].Offset["pos"] != 3 {
		t.Fatalf("got %v", got)
	}
}

func TestFailedRecordBlocksLaterOffsets(t *testing.T) {
	s := newSubmittedRecords()
	p := map[string]any{"file": "a"}
	recs := s.submit(sourceRecords(p, 1, 2))
	s.fail(1)
	s.ack(&recs[1])
	if got, _ := s.committable(); len(got) != 0 {
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

// Many records in flight across two partitions, acknowledged in a shuffled order while more
// are submitted: each partition's committable offset is always its longest acknowledged prefix.
func TestCommittableOffsetIsTheAcknowledgedPrefixUnderLoad(t *testing.T) {
	s := newSubmittedRecords()
	a, b := map[string]any{"file": "a"}, map[string]any{"file": "b"}
	rng := rand.New(rand.NewPCG(1, 2))
	var inFlight []*submitted
	acked := map[string][]bool{"a": nil, "b": nil}
	next := map[string]int{}
	for round := 0; round < 50; round++ {
		var recs []*connect.SourceRecord
		for range 1 + rng.IntN(300) {
			name, p := "a", a
			if rng.IntN(3) == 0 {
				name, p = "b", b
			}
			recs = append(recs, &connect.SourceRecord{SourcePartition: p, SourceOffset: connect.OffsetMap{"pos": next[name]}})
			acked[name] = append(acked[name], false)
			next[name]++
		}
		entries := s.submit(recs)
		for i := range entries {
			inFlight = append(inFlight, &entries[i])
		}
		rng.Shuffle(len(inFlight), func(i, j int) { inFlight[i], inFlight[j] = inFlight[j], inFlight[i] })
		n := rng.IntN(len(inFlight) + 1)
		for _, e := range inFlight[:n] {
			pos := e.offset.Map()["pos"].(int)
			acked[partitionName(e.queue.partition)][pos] = true
		}
		s.ack(inFlight[:n]...)
		inFlight = inFlight[n:]
		committed, _ := s.committable()
		for _, e := range committed {
			name := partitionName(e.SourcePartition)
			prefix := 0
			for prefix < len(acked[name]) && acked[name][prefix] {
				prefix++
			}
			if got := e.Offset["pos"].(int); got != prefix-1 {
				t.Fatalf("round %d: partition %s committable %d, acknowledged prefix ends at %d", round, name, got, prefix-1)
			}
		}
	}
}

func partitionName(p map[string]any) string { return p["file"].(string) }
