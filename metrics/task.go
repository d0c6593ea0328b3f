package metrics

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Task is one running task's counters, updated by the runtime with atomics and read at scrape
// time. A nil *Task (collection off) accepts every call and records nothing.
type Task struct {
	connector string
	task      int
	sink      bool
	start     time.Time
	// labels are the task's connector and task labels, rendered once rather than per scrape.
	labels []byte

	stateMu sync.Mutex
	state   string
	since   time.Time
	running time.Duration
	paused  time.Duration

	batch      stat // records per poll or put
	commitTime stat // offset commit, ns
	commitOK   total
	commitFail atomic.Int64

	// Source tasks.
	polled    total
	written   total
	pollTime  stat // ns
	active    atomic.Int64
	activeObs stat

	// Sink tasks.
	read          total
	sent          total
	putTime       stat // ns
	partitions    atomic.Int64
	commitSeq     atomic.Int64
	commitSkipped total
	// uncommitted counts records put since the last offset commit.
	uncommitted atomic.Int64
	lagMu       sync.Mutex
	lag         map[TopicPartition]*PartitionLag

	// Errors.
	recordFailures atomic.Int64
	recordErrors   atomic.Int64
	recordsSkipped atomic.Int64
	retries        atomic.Int64
	errorsLogged   atomic.Int64
	dlqRequests    atomic.Int64
	dlqFailures    atomic.Int64
	lastError      atomic.Int64 // unix ms
}

// TopicPartition names a partition a sink task consumes.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func newTask(connector string, task int, sink bool, now time.Time) *Task {
	t := &Task{connector: connector, task: task, sink: sink, start: now, since: now, state: "unassigned",
		labels: appendLabels(nil, taskLabels, []string{connector, strconv.Itoa(task)}), lag: map[TopicPartition]*PartitionLag{}}
	for _, c := range []*total{&t.commitOK, &t.polled, &t.written, &t.read, &t.sent, &t.commitSkipped} {
		c.window.begin(now)
	}
	return t
}

// State records a status change ("RUNNING", "PAUSED", ...), for the running and pause ratios.
func (t *Task) State(state string) {
	if t == nil {
		return
	}
	now := time.Now()
	t.stateMu.Lock()
	defer t.stateMu.Unlock()
	t.accrue(now)
	t.state = lower(state)
}

// accrue adds the time since the last change to the current state's total; stateMu is held.
func (t *Task) accrue(now time.Time) {
	switch t.state {
	case "running":
		t.running += now.Sub(t.since)
	case "paused":
		t.paused += now.Sub(t.since)
	}
	t.since = now
}

func (t *Task) ratios(now time.Time) (running, paused float64) {
	t.stateMu.Lock()
	defer t.stateMu.Unlock()
	t.accrue(now)
	life := now.Sub(t.start)
	if life <= 0 {
		return 0, 0
	}
	return float64(t.running) / float64(life), float64(t.paused) / float64(life)
}

// Polled records one poll of a source task: how many records it returned and how long it took.
func (t *Task) Polled(records int, took time.Duration) {
	if t == nil {
		return
	}
	t.polled.Add(int64(records))
	t.pollTime.observe(int64(took))
	if records > 0 {
		t.batch.observe(int64(records))
	}
}

// Submitted records that n records went to the producer, not yet acknowledged.
func (t *Task) Submitted(n int) {
	if t == nil {
		return
	}
	t.activeObs.observe(t.active.Add(int64(n)))
}

// Written records that Kafka acknowledged n records of the task.
func (t *Task) Written(n int) {
	if t == nil {
		return
	}
	t.written.Add(int64(n))
	t.active.Add(-int64(n))
}

// Unsent records that n submitted records will not be acknowledged (refused or never sent).
func (t *Task) Unsent(n int) {
	if t == nil {
		return
	}
	t.active.Add(-int64(n))
}

// Read records that a sink task read n records from Kafka.
func (t *Task) Read(n int) {
	if t == nil {
		return
	}
	t.read.Add(int64(n))
	t.batch.observe(int64(n))
}

// Put records one put of n records to a sink task and how long it took.
func (t *Task) Put(n int, took time.Duration) {
	if t == nil {
		return
	}
	t.sent.Add(int64(n))
	t.putTime.observe(int64(took))
	t.activeObs.observe(t.uncommitted.Add(int64(n)))
}

// PartitionLag is the lag of one partition a sink task consumes. The runtime resolves it once
// per partition claim, so that a delivered batch costs one atomic store and no lock or lookup.
// A nil *PartitionLag (collection off) records nothing.
type PartitionLag struct{ v atomic.Int64 }

// Set records the lag: the high watermark less the next offset to read.
func (l *PartitionLag) Set(lag int64) {
	if l != nil {
		l.v.Store(lag)
	}
}

// PartitionLag returns the lag of a partition the task consumes.
func (t *Task) PartitionLag(tp TopicPartition) *PartitionLag {
	if t == nil {
		return nil
	}
	t.lagMu.Lock()
	defer t.lagMu.Unlock()
	l := t.lag[tp]
	if l == nil {
		l = &PartitionLag{}
		t.lag[tp] = l
	}
	return l
}

// Assigned records the partitions a sink task now consumes; lags of the others are forgotten.
func (t *Task) Assigned(tps []TopicPartition) {
	if t == nil {
		return
	}
	t.partitions.Store(int64(len(tps)))
	t.lagMu.Lock()
	defer t.lagMu.Unlock()
	keep := make(map[TopicPartition]*PartitionLag, len(tps))
	for _, tp := range tps {
		if l := t.lag[tp]; l != nil {
			keep[tp] = l
		} else {
			keep[tp] = &PartitionLag{}
		}
	}
	t.lag = keep
}

// eachLag calls f with the lag of each partition the task consumes.
func (t *Task) eachLag(f func(tp TopicPartition, lag int64)) {
	t.lagMu.Lock()
	defer t.lagMu.Unlock()
	for tp, l := range t.lag {
		f(tp, l.v.Load())
	}
}

// Committed records an offset commit attempt: how long it took and whether it succeeded.
func (t *Task) Committed(took time.Duration, err error) {
	if t == nil {
		return
	}
	t.commitTime.observe(int64(took))
	if err != nil {
		t.commitFail.Add(1)
		return
	}
	t.commitOK.Add(1)
	t.commitSeq.Add(1)
	if t.sink {
		t.uncommitted.Store(0)
	}
}

// CommitSkipped records a sink offset commit that had nothing it could commit.
func (t *Task) CommitSkipped() {
	if t == nil {
		return
	}
	t.commitSkipped.Add(1)
}

// Failed records that a record failed in a stage (conversion, put, send) and failed the task.
func (t *Task) Failed() {
	if t == nil {
		return
	}
	t.recordFailures.Add(1)
	t.recordErrors.Add(1)
	t.lastError.Store(time.Now().UnixMilli())
}

// Skipped records a record skipped under errors.tolerance=all.
func (t *Task) Skipped() {
	if t == nil {
		return
	}
	t.recordsSkipped.Add(1)
	t.recordErrors.Add(1)
	t.lastError.Store(time.Now().UnixMilli())
}

// Retried records an operation retried after a retriable error.
func (t *Task) Retried() {
	if t == nil {
		return
	}
	t.retries.Add(1)
}

// ErrorLogged records an error logged under errors.log.enable.
func (t *Task) ErrorLogged() {
	if t == nil {
		return
	}
	t.errorsLogged.Add(1)
}

// DeadLettered records a write to the dead letter queue and whether it failed.
func (t *Task) DeadLettered(err error) {
	if t == nil {
		return
	}
	t.dlqRequests.Add(1)
	if err != nil {
		t.dlqFailures.Add(1)
	}
}

func (t *Task) currentState() string {
	t.stateMu.Lock()
	defer t.stateMu.Unlock()
	return t.state
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
