// Package fsm is connectd's replicated state machine: the command types written to the Raft log,
// their deterministic appliers, snapshots, and the read-only view every node serves from.
// Apply uses no clock, no randomness and no I/O; the leader stamps times into commands.
package fsm

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	memdb "github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// applier applies one decoded command inside a write transaction at the given log index.
type applier func(tx *writeTxn, body []byte, index uint64) Result

var appliers = map[MessageType]applier{}

// registerCommand binds a command type to the function that applies it; newCmd returns an empty
// value to decode the body into.
func registerCommand[C Command](newCmd func() C, apply func(tx *writeTxn, cmd C, index uint64) Result) {
	registerDecoder(newCmd)
	appliers[newCmd().Type()] = func(tx *writeTxn, body []byte, index uint64) Result {
		cmd := newCmd()
		if err := decodeInto(body, cmd); err != nil {
			panic(&UnknownEntryError{Index: index, Type: cmd.Type(), Reason: "its body does not decode: " + err.Error()})
		}
		return apply(tx, cmd, index)
	}
}

// FSM is the Raft state machine. It is safe for concurrent reads while Raft applies.
type FSM struct {
	mu       sync.Mutex // serialises writers and guards db, changeCh and appliedCh swaps
	db       *memdb.MemDB
	changeCh chan struct{}
	applied  atomic.Uint64
	// appliedCh closes whenever the applied index advances, changed state or not, so that
	// read-your-writes waits wake exactly when their entry is applied.
	appliedCh chan struct{}
	// lacks are command types this state machine treats as unknown (see WithoutTypes).
	lacks map[MessageType]bool
}

// Option changes a new state machine.
type Option func(*FSM)

// WithoutTypes makes the state machine of an earlier build, which knows none of the command
// types ts: rolling-upgrade tests run a node of the previous command-type set with it.
func WithoutTypes(ts ...MessageType) Option {
	return func(f *FSM) {
		for _, t := range ts {
			f.lacks[t] = true
		}
	}
}

// New returns an empty state machine.
func New(opts ...Option) *FSM {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		panic(fmt.Sprintf("fsm: schema: %v", err))
	}
	f := &FSM{db: db, changeCh: make(chan struct{}), appliedCh: make(chan struct{}), lacks: map[MessageType]bool{}}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Apply implements raft.FSM. Its answer is a Result.
func (f *FSM) Apply(l *raft.Log) any {
	defer f.advance(l.Index)
	if l.Type != raft.LogCommand || len(l.Data) == 0 {
		return nil
	}
	return f.ApplyCommand(l.Data, l.Index)
}

func (f *FSM) advance(index uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied.Store(index)
	close(f.appliedCh)
	f.appliedCh = make(chan struct{})
}

// AppliedCh returns a channel that closes when the applied index next advances.
func (f *FSM) AppliedCh() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.appliedCh
}

// ApplyCommand applies one encoded command at the given log index. Exposed for tests.
func (f *FSM) ApplyCommand(data []byte, index uint64) Result {
	msgType := MessageType(data[0])
	apply, ok := appliers[msgType]
	if !ok || f.lacks[msgType] {
		if msgType&IgnoreUnknownTypeFlag != 0 {
			return Result{}
		}
		panic(&UnknownEntryError{Index: index, Type: msgType, Reason: "unknown command type"})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	tx := &writeTxn{Txn: f.db.Txn(true), index: index}
	res, ok := applyStoring(tx, apply, data[1:], index)
	if !ok {
		tx.Abort()
		return res
	}
	if tx.changed {
		tx.Commit()
		close(f.changeCh)
		f.changeCh = make(chan struct{})
	} else {
		tx.Abort()
	}
	return res
}

// AppliedIndex is the index of the last log entry this state machine has applied.
func (f *FSM) AppliedIndex() uint64 { return f.applied.Load() }

// State returns a consistent, immutable view of the current state. Its WatchCh closes at the next
// change, so callers can re-read instead of polling.
func (f *FSM) State() *State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &State{txn: f.db.Txn(false), watch: f.changeCh}
}

// Snapshot implements raft.FSM. The returned snapshot reads an immutable view, so Apply can go on.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	// Raft calls this between applies, so the view and the index agree.
	return &snapshot{state: f.State(), index: f.AppliedIndex()}, nil
}

// Restore implements raft.FSM: it builds a new state from the snapshot, swaps it in and wakes
// every watcher of the old one.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		return err
	}
	index, err := readSnapshot(rc, db)
	if err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	f.mu.Lock()
	f.db = db
	close(f.changeCh)
	f.changeCh = make(chan struct{})
	f.mu.Unlock()
	if index > f.AppliedIndex() {
		f.advance(index)
	}
	return nil
}

// writeTxn is a memdb write transaction that remembers whether it changed anything.
type writeTxn struct {
	*memdb.Txn
	index   uint64
	changed bool
}

func (tx *writeTxn) insert(table string, obj any) {
	if err := tx.Insert(table, obj); err != nil {
		panic(unstorable{fmt.Errorf("insert into %s: %w", table, err)})
	}
	tx.changed = true
}

// unstorable is the panic of a command whose row the tables refuse (an empty key, found by
// fuzzing): every replica refuses it alike, so it is the command's error, not a crash of every node.
type unstorable struct{ err error }

// applyStoring applies a command; a row the tables refuse aborts it with a 400 result.
func applyStoring(tx *writeTxn, apply applier, body []byte, index uint64) (res Result, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			u, isUnstorable := v.(unstorable)
			if !isUnstorable {
				panic(v)
			}
			res, ok = Result{Err: errorf(KindBadRequest, "Invalid command: %v", u.err)}, false
		}
	}()
	return apply(tx, body, index), true
}

func (tx *writeTxn) remove(table string, obj any) {
	if err := tx.Delete(table, obj); err != nil {
		panic(fmt.Sprintf("fsm: delete from %s: %v", table, err))
	}
	tx.changed = true
}

func (tx *writeTxn) removeConnectorRows(table, connector string) {
	n, err := tx.DeleteAll(table, "connector", connector)
	if err != nil {
		panic(fmt.Sprintf("fsm: delete %s of %s: %v", table, connector, err))
	}
	if n > 0 {
		tx.changed = true
	}
}

// view reads the state as this transaction has changed it so far.
func (tx *writeTxn) view() *State { return &State{txn: tx.Txn} }
