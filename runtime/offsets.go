package runtime

import (
	"reflect"
	"sort"
	"sync"

	"github.com/connectd/connectd/fsm"
)

// submittedRecords tracks the source records sent to Kafka so that an offset becomes committable
// only once its record and every earlier record of the same source partition are acknowledged.
type submittedRecords struct {
	mu         sync.Mutex
	partitions map[string]*partitionQueue
	inFlight   int
	drained    *sync.Cond
	// last is the queue of the previous record's partition map: tasks usually pass the same map
	// instance again, and encoding the key per record cost a tenth of a source task's time.
	last *partitionQueue
}

type partitionQueue struct {
	partition map[string]any
	queue     []*submitted
	// committable is the newest offset whose record and predecessors are all acknowledged.
	committable map[string]any
	dirty       bool
}

type submitted struct {
	queue  *partitionQueue
	offset map[string]any
	acked  bool
}

func newSubmittedRecords() *submittedRecords {
	s := &submittedRecords{partitions: map[string]*partitionQueue{}}
	s.drained = sync.NewCond(&s.mu)
	return s
}

// submit records that a record with this source partition and offset was handed to the producer.
func (s *submittedRecords) submit(partition, offset map[string]any) *submitted {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight++
	if partition == nil {
		return &submitted{}
	}
	q := s.last
	if q == nil || reflect.ValueOf(q.partition).UnsafePointer() != reflect.ValueOf(partition).UnsafePointer() {
		key := fsm.PartitionKey(partition)
		q = s.partitions[key]
		if q == nil {
			q = &partitionQueue{partition: partition}
			s.partitions[key] = q
		}
		s.last = q
	}
	rec := &submitted{queue: q, offset: offset}
	q.queue = append(q.queue, rec)
	return rec
}

// ack marks a record acknowledged by Kafka and advances its partition's committable offset.
func (s *submittedRecords) ack(rec *submitted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if s.inFlight == 0 {
		s.drained.Broadcast()
	}
	if rec.queue == nil {
		return
	}
	rec.acked = true
	q := rec.queue
	for len(q.queue) > 0 && q.queue[0].acked {
		q.committable = q.queue[0].offset
		q.dirty = true
		q.queue = q.queue[1:]
	}
}

// fail forgets a record Kafka refused: it stays unacknowledged, so no later offset of its
// partition is committed and the record is produced again after a restart.
func (s *submittedRecords) fail() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if s.inFlight == 0 {
		s.drained.Broadcast()
	}
}

// committable returns the offsets that advanced since the last call, in partition order.
func (s *submittedRecords) committable() []fsm.OffsetEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []fsm.OffsetEntry
	keys := make([]string, 0, len(s.partitions))
	for k, q := range s.partitions {
		if q.dirty {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		q := s.partitions[k]
		out = append(out, fsm.OffsetEntry{Partition: q.partition, Offset: q.committable})
		q.dirty = false
	}
	return out
}

// restore marks offsets as still to be committed after a failed commit.
func (s *submittedRecords) restore(entries []fsm.OffsetEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range entries {
		if q := s.partitions[fsm.PartitionKey(e.Partition)]; q != nil && !q.dirty {
			q.dirty = true
		}
	}
}

// waitDrained waits until every submitted record is acknowledged or failed, or done closes.
func (s *submittedRecords) waitDrained(done <-chan struct{}) {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-done:
			s.mu.Lock()
			s.drained.Broadcast()
			s.mu.Unlock()
		case <-stop:
		}
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.inFlight > 0 {
		select {
		case <-done:
			return
		default:
		}
		s.drained.Wait()
	}
}
