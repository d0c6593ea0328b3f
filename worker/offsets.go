package worker

import (
	"reflect"
	"sort"
	"sync"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/fsm"
)

// submittedRecords tracks the source records sent to Kafka so that an offset becomes committable
// only once its record and every earlier record of the same source partition are acknowledged.
type submittedRecords struct {
	mu         sync.Mutex
	partitions map[string]*sourcePartitionQueue
	inFlight   int
	drained    *sync.Cond
	// last is the queue of the previous record's partition map: tasks usually pass the same map
	// instance again, and encoding the key per record cost a tenth of a source task's time.
	last *sourcePartitionQueue
}

type sourcePartitionQueue struct {
	partition map[string]any
	// pending holds the records not yet committable, oldest first.
	pending ring
	// committable is the newest offset whose record and predecessors are all acknowledged.
	committable connect.Offset
	dirty       bool
}

type submitted struct {
	queue  *sourcePartitionQueue
	offset connect.Offset
	acked  bool
}

func newSubmittedRecords() *submittedRecords {
	s := &submittedRecords{partitions: map[string]*sourcePartitionQueue{}}
	s.drained = sync.NewCond(&s.mu)
	return s
}

// submit records that records were handed to the producer, in order, and returns the entries
// that acknowledge them, allocated together.
func (s *submittedRecords) submit(records []*connect.SourceRecord) []submitted {
	entries := make([]submitted, len(records))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight += len(records)
	for i, rec := range records {
		if rec.SourcePartition == nil {
			continue
		}
		q := s.queue(rec.SourcePartition)
		// Field by field: copying a whole entry costs a bulk write barrier while the GC runs.
		e := &entries[i]
		e.queue, e.offset = q, rec.SourceOffset
		q.pending.push(e)
	}
	return entries
}

func (s *submittedRecords) queue(partition map[string]any) *sourcePartitionQueue {
	if q := s.last; q != nil && reflect.ValueOf(q.partition).UnsafePointer() == reflect.ValueOf(partition).UnsafePointer() {
		return q
	}
	key := fsm.SourcePartitionKey(partition)
	q := s.partitions[key]
	if q == nil {
		q = &sourcePartitionQueue{partition: partition}
		s.partitions[key] = q
	}
	s.last = q
	return q
}

// ack marks records acknowledged by Kafka and advances their partitions' committable offsets.
func (s *submittedRecords) ack(recs ...*submitted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight -= len(recs)
	if s.inFlight == 0 {
		s.drained.Broadcast()
	}
	for _, rec := range recs {
		if rec.queue == nil {
			continue
		}
		rec.acked = true
		q := rec.queue
		for q.pending.size > 0 && q.pending.front().acked {
			q.committable = q.pending.front().offset
			q.dirty = true
			q.pending.pop()
		}
	}
}

// idle releases the memory of queues with nothing in flight, for a task whose poll found nothing.
func (s *submittedRecords) idle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.partitions {
		if q.pending.size == 0 {
			q.pending = ring{}
		}
	}
}

// fail forgets n records Kafka refused or that were never sent: they stay unacknowledged, so
// no later offset of their partitions is committed and they are produced again after a restart.
func (s *submittedRecords) fail(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight -= n
	if s.inFlight == 0 {
		s.drained.Broadcast()
	}
}

// committable returns the offsets that advanced since the last call, in partition order, as
// entries and as the task's own Offset values.
func (s *submittedRecords) committable() ([]fsm.OffsetEntry, []connect.Offset) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []fsm.OffsetEntry
	var values []connect.Offset
	keys := make([]string, 0, len(s.partitions))
	for k, q := range s.partitions {
		if q.dirty {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		q := s.partitions[k]
		var offset map[string]any
		if q.committable != nil {
			offset = q.committable.Map()
		}
		out = append(out, fsm.OffsetEntry{SourcePartition: q.partition, Offset: offset})
		values = append(values, q.committable)
		q.dirty = false
	}
	return out, values
}

// restore marks offsets as still to be committed after a failed commit.
func (s *submittedRecords) restore(entries []fsm.OffsetEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range entries {
		if q := s.partitions[fsm.SourcePartitionKey(e.SourcePartition)]; q != nil && !q.dirty {
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

// ring is a queue of submitted records that reuses its storage: a sliding slice reallocated
// and copied every record in flight every so often, which showed in the source's profile.
type ring struct {
	buf        []*submitted // its length is a power of two
	head, size int
}

func (r *ring) push(e *submitted) {
	if r.size == len(r.buf) {
		grown := make([]*submitted, max(64, 2*len(r.buf)))
		for i := range r.size {
			grown[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
		}
		r.buf, r.head = grown, 0
	}
	r.buf[(r.head+r.size)&(len(r.buf)-1)] = e
	r.size++
}

func (r *ring) front() *submitted { return r.buf[r.head] }

func (r *ring) pop() {
	r.buf[r.head] = nil
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.size--
}
