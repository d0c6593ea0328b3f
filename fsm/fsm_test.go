package fsm

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"testing"

	"github.com/hashicorp/raft"
)

// harness applies commands at increasing log indexes, as Raft would.
type harness struct {
	t     *testing.T
	f     *FSM
	index uint64
}

func newHarness(t *testing.T) *harness { return &harness{t: t, f: New()} }

func (h *harness) apply(c Command) Result {
	h.t.Helper()
	data, err := Encode(c)
	if err != nil {
		h.t.Fatal(err)
	}
	h.index++
	res, _ := h.f.Apply(&raft.Log{Index: h.index, Type: raft.LogCommand, Data: data}).(Result)
	return res
}

func (h *harness) mustApply(c Command) Result {
	h.t.Helper()
	res := h.apply(c)
	if res.Err != nil {
		h.t.Fatalf("%T: %v", c, res.Err)
	}
	return res
}

func wantErr(t *testing.T, res Result, kind Kind, msg string) {
	t.Helper()
	if res.Err == nil || res.Err.Kind != kind || res.Err.Message != msg {
		t.Fatalf("got error %+v, want %d %q", res.Err, kind, msg)
	}
}

func cfg(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestConnectorPut(t *testing.T) {
	h := newHarness(t)
	res := h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a"), Create: true, Target: TargetPaused})
	if !res.Created || res.Connector.Target != TargetPaused {
		t.Fatalf("create: %+v", res)
	}
	wantErr(t, h.apply(&ConnectorPut{Name: "a", Config: cfg("name", "a"), Create: true}), KindConflict, "Connector a already exists")

	res = h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a", "k", "v"), Target: TargetStopped})
	if res.Created {
		t.Fatal("update reported as created")
	}
	c := h.f.State().Connector("a")
	if c.Config["k"] != "v" || c.Target != TargetPaused || c.CreateIndex != 1 || c.ModifyIndex != 3 {
		t.Fatalf("update must keep target state and create index: %+v", c)
	}
}

// A create committed again under its request id (its first answer lost on the way back) finds
// the connector it made; another create of the same name still conflicts.
func TestConnectorCreateSentAgainIsNoConflict(t *testing.T) {
	h := newHarness(t)
	first := h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a"), Create: true, Request: "r1"})
	again := h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a"), Create: true, Request: "r1"})
	if !again.Created || again.Connector.CreateIndex != first.Connector.CreateIndex || again.Connector.ModifyIndex != first.Connector.ModifyIndex {
		t.Fatalf("the same create again: %+v, want the connector it created %+v", again.Connector, first.Connector)
	}
	wantErr(t, h.apply(&ConnectorPut{Name: "a", Config: cfg("name", "a"), Create: true, Request: "r2"}), KindConflict, "Connector a already exists")
	wantErr(t, h.apply(&ConnectorPut{Name: "a", Config: cfg("name", "a"), Create: true}), KindConflict, "Connector a already exists")
}

func TestConnectorPatch(t *testing.T) {
	h := newHarness(t)
	wantErr(t, h.apply(&ConnectorPatch{Name: "a"}), KindNotFound, "Connector a not found")
	h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a", "drop", "x", "keep", "1")})
	two := "2"
	res := h.mustApply(&ConnectorPatch{Name: "a", Patch: map[string]*string{"drop": nil, "keep": &two}, IfIndex: 2})
	if want := cfg("name", "a", "keep", "2"); !reflect.DeepEqual(res.Connector.Config, want) {
		t.Fatalf("merged %v, want %v", res.Connector.Config, want)
	}
	wantErr(t, h.apply(&ConnectorPatch{Name: "a", Patch: map[string]*string{"keep": &two}, IfIndex: 2}), KindStaleConfig, StaleConfigMessage)
}

func TestConnectorDelete(t *testing.T) {
	h := newHarness(t)
	wantErr(t, h.apply(&ConnectorDelete{Name: "a"}), KindNotFound, "Connector a not found")
	h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a")})
	h.mustApply(&StatusUpdate{Records: []Status{{Connector: "a", Task: ConnectorTask, State: StateRunning, WorkerID: "w:1"}}})
	h.mustApply(&ActiveTopicsAdd{Connector: "a", Topics: []string{"t"}})
	part := map[string]any{"filename": "f"}
	h.mustApply(&SourceOffsets{Connector: "a", Offsets: []OffsetEntry{{SourcePartition: part, Offset: map[string]any{"position": 1}}}})
	h.mustApply(&ConnectorDelete{Name: "a"})
	s := h.f.State()
	if s.Connector("a") != nil || s.ConnectorStatus("a") != nil || len(s.ActiveTopics("a")) != 0 {
		t.Fatal("delete left config, status or topics behind")
	}
	if s.SourceOffset("a", part) == nil {
		t.Fatal("delete must keep source offsets, as Kafka Connect does")
	}
}

func TestTargetState(t *testing.T) {
	h := newHarness(t)
	wantErr(t, h.apply(&TargetStateChange{Name: "a", Target: TargetPaused}), KindNotFound, "Unknown connector a")
	h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a")})
	h.mustApply(&TaskConfigs{Name: "a", Tasks: []map[string]string{{"t": "0"}, {"t": "1"}}})
	h.mustApply(&StatusUpdate{Records: []Status{{Connector: "a", Task: 1, State: StateRunning}}})
	h.mustApply(&TargetStateChange{Name: "a", Target: TargetPaused})
	if c := h.f.State().Connector("a"); c.Target != TargetPaused || len(c.Tasks) != 2 {
		t.Fatalf("pause: %+v", c)
	}
	h.mustApply(&TargetStateChange{Name: "a", Target: TargetStopped})
	s := h.f.State()
	if c := s.Connector("a"); c.Target != TargetStopped || len(c.Tasks) != 0 || s.TaskStatus("a", 1) != nil {
		t.Fatalf("stop must clear tasks and their statuses: %+v", c)
	}
	wantErr(t, h.apply(&TargetStateChange{Name: "a", Target: "RUNNING"}), KindBadRequest, `Invalid target state "RUNNING"`)
}

func TestTaskConfigs(t *testing.T) {
	h := newHarness(t)
	wantErr(t, h.apply(&TaskConfigs{Name: "a"}), KindNotFound, "Connector a not found")
	h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a")})
	h.mustApply(&TaskConfigs{Name: "a", Tasks: []map[string]string{{}, {}, {}}})
	h.mustApply(&StatusUpdate{Records: []Status{{Connector: "a", Task: 0}, {Connector: "a", Task: 2}}})
	h.mustApply(&TaskConfigs{Name: "a", Tasks: []map[string]string{{}}})
	s := h.f.State()
	if len(s.Connector("a").Tasks) != 1 || s.TaskStatus("a", 2) != nil || s.TaskStatus("a", 0) == nil {
		t.Fatal("shrinking the task list must tombstone the statuses of removed tasks only")
	}
	h.mustApply(&TargetStateChange{Name: "a", Target: TargetStopped})
	wantErr(t, h.apply(&TaskConfigs{Name: "a", Tasks: []map[string]string{{}}}), KindBadRequest, "Cannot submit non-empty set of task configs for stopped connector a")
}

func TestFencing(t *testing.T) {
	h := newHarness(t)
	h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a")})
	a := Assignment{Generation: 1,
		Owned:    map[string]Items{"n1": {Connectors: []string{"a"}, Tasks: []TaskID{{Connector: "a", Task: 0}}}},
		Sessions: map[string]string{"n1": "s1", "n2": "s2"},
	}
	h.mustApply(&AssignmentCommit{Assignment: a, ExpectGeneration: 0})
	owner := &Fence{Node: "n1", Session: "s1", Generation: 1}
	zombie := &Fence{Node: "n1", Session: "old", Generation: 1}
	other := &Fence{Node: "n2", Session: "s2", Generation: 1}

	h.mustApply(&TaskConfigs{Name: "a", Tasks: []map[string]string{{}}, Fence: owner})
	if res := h.apply(&TaskConfigs{Name: "a", Tasks: []map[string]string{{}, {}}, Fence: zombie}); res.Err == nil {
		t.Fatal("a stale session wrote task configs")
	}
	h.mustApply(&StatusUpdate{Fence: other, Records: []Status{{Connector: "a", Task: 0, State: StateRunning, WorkerID: "n2"}}})
	h.mustApply(&StatusUpdate{Fence: owner, Records: []Status{{Connector: "a", Task: ConnectorTask, State: StateRunning, WorkerID: "n1"}}})
	s := h.f.State()
	if s.TaskStatus("a", 0) != nil {
		t.Fatal("a non-owner wrote a task status")
	}
	if st := s.ConnectorStatus("a"); st == nil || st.WorkerID != "n1" {
		t.Fatal("the owner's status write was dropped")
	}
	part := map[string]any{"p": 1}
	if res := h.apply(&SourceOffsets{Connector: "a", Task: 0, Fence: other, Offsets: []OffsetEntry{{SourcePartition: part, Offset: map[string]any{"o": 1}}}}); res.Err == nil {
		t.Fatal("a non-owner committed source offsets")
	}
	h.mustApply(&SourceOffsets{Connector: "a", Task: 0, Fence: owner, Offsets: []OffsetEntry{{SourcePartition: part, Offset: map[string]any{"o": 1}}}})
}

func TestStatusConflictRule(t *testing.T) {
	h := newHarness(t)
	h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a")})
	h.mustApply(&StatusUpdate{Records: []Status{{Connector: "a", Task: ConnectorTask, State: StateRunning, WorkerID: "w2", Generation: 5}}})
	h.mustApply(&StatusUpdate{Records: []Status{{Connector: "a", Task: ConnectorTask, State: StateUnassigned, WorkerID: "w1", Generation: 4}}})
	if st := h.f.State().ConnectorStatus("a"); st.State != StateRunning {
		t.Fatalf("an older UNASSIGNED from another worker replaced RUNNING: %+v", st)
	}
	h.mustApply(&StatusUpdate{Records: []Status{{Connector: "a", Task: ConnectorTask, State: StateFailed, WorkerID: "w2", Generation: 5, Trace: "boom"}}})
	if st := h.f.State().ConnectorStatus("a"); st.State != StateFailed || st.Trace != "boom" {
		t.Fatalf("the owner's FAILED write was dropped: %+v", st)
	}
}

func TestRestartRequest(t *testing.T) {
	h := newHarness(t)
	wantErr(t, h.apply(&RestartRequest{Name: "a"}), KindNotFound, "Unknown connector: a")
	h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a")})
	h.mustApply(&StatusUpdate{Records: []Status{{Connector: "a", Task: ConnectorTask, State: StateRunning}, {Connector: "a", Task: 0, State: StateFailed, Trace: "x"}}})
	// No round has placed "a" yet: Kafka Connect's stale-configuration 409.
	wantErr(t, h.apply(&RestartRequest{Name: "a", Restart: Restart{Tasks: []int{0}}}), KindStaleConfig, StaleConfigMessage)
	h.mustApply(&AssignmentCommit{Assignment: Assignment{Generation: 1, Configured: map[string]int{"a": 0}}})
	res := h.mustApply(&RestartRequest{Name: "a", Restart: Restart{Tasks: []int{0}}})
	s := h.f.State()
	if res.Connector.RestartIndex == 0 || s.ConnectorStatus("a").State != StateRunning || s.TaskStatus("a", 0).State != StateRestarting {
		t.Fatal("restart must mark exactly the chosen instances RESTARTING")
	}

	// A plan is resolved against the state at apply time: only FAILED instances, tasks included.
	h.mustApply(&TaskConfigs{Name: "a", Tasks: []map[string]string{{}, {}}})
	h.mustApply(&AssignmentCommit{Assignment: Assignment{Generation: 2, Configured: map[string]int{"a": 2}}, ExpectGeneration: 1})
	h.mustApply(&StatusUpdate{Records: []Status{{Connector: "a", Task: 0, State: StateRunning}, {Connector: "a", Task: 1, State: StateFailed, Trace: "x"}}})
	res = h.mustApply(&RestartRequest{Name: "a", Plan: &RestartPlan{IncludeTasks: true, OnlyFailed: true}})
	if r := res.Connector.Restart; r.Connector || len(r.Tasks) != 1 || r.Tasks[0] != 1 {
		t.Fatalf("plan chose %+v, want task 1 only", r)
	}
	s = h.f.State()
	if s.TaskStatus("a", 0).State != StateRunning || s.TaskStatus("a", 1).State != StateRestarting {
		t.Fatal("only the failed task must be RESTARTING")
	}
	before := res.Connector.RestartIndex
	res = h.mustApply(&RestartRequest{Name: "a", Plan: &RestartPlan{IncludeTasks: true, OnlyFailed: true}})
	if res.Connector.RestartIndex != before {
		t.Fatal("a plan that chooses nothing must change nothing")
	}
}

func TestWorkerRegistry(t *testing.T) {
	h := newHarness(t)
	h.mustApply(&WorkerRegister{Worker: Worker{Node: "n2", Session: "s", RESTURL: "http://h:2"}})
	h.mustApply(&WorkerRegister{Worker: Worker{Node: "n1", Session: "s"}})
	if ws := h.f.State().Workers(); len(ws) != 2 || ws[0].Node != "n1" {
		t.Fatalf("workers %+v", ws)
	}
	h.mustApply(&WorkerDeregister{Node: "n1"})
	if h.f.State().Worker("n1") != nil {
		t.Fatal("deregister left the worker")
	}
}

func TestSessionKeyAndAssignment(t *testing.T) {
	h := newHarness(t)
	h.mustApply(&SessionKeyChange{Key: []byte("k")})
	if string(h.f.State().SessionKey()) != "k" {
		t.Fatal("session key not stored")
	}
	a := Assignment{Generation: 1, Sessions: map[string]string{"n1": "s1"}, PendingStops: map[string]Items{"n1": {Connectors: []string{"x"}}}}
	h.mustApply(&AssignmentCommit{Assignment: a})
	if res := h.apply(&AssignmentCommit{Assignment: Assignment{Generation: 2}, ExpectGeneration: 0}); res.Err == nil {
		t.Fatal("a stale assignment was accepted")
	}
	h.mustApply(&StopAck{Node: "n1", Session: "other", Generation: 1})
	if len(h.f.State().Assignment().PendingStops) != 1 {
		t.Fatal("an ack from another session cleared pending stops")
	}
	h.mustApply(&StopAck{Node: "n1", Session: "s1", Generation: 1})
	if len(h.f.State().Assignment().PendingStops) != 0 {
		t.Fatal("ack did not clear pending stops")
	}
}

func TestNodeDrained(t *testing.T) {
	h := newHarness(t)
	a := Assignment{Generation: 3, Owned: map[string]Items{"n1": {Connectors: []string{"a"}}, "n2": {}},
		Sessions: map[string]string{"n1": "s1", "n2": "s2"}, PendingStops: map[string]Items{"n1": {Connectors: []string{"b"}}}}
	h.mustApply(&AssignmentCommit{Assignment: a})
	h.mustApply(&NodeDrained{Node: "n1", Session: "old"})
	if got := h.f.State().Assignment(); got.Generation != 3 || len(got.Owned) != 2 {
		t.Fatal("a drain from another session changed the assignment")
	}
	h.mustApply(&NodeDrained{Node: "n1", Session: "s1"})
	got := h.f.State().Assignment()
	if got.Generation != 4 || len(got.Owned) != 1 || got.Sessions["n1"] != "" || len(got.PendingStops) != 0 {
		t.Fatalf("drain: %+v", got)
	}
}

func TestOffsetsTopicsLoggers(t *testing.T) {
	h := newHarness(t)
	h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a")})
	p1, p2 := map[string]any{"filename": "x"}, map[string]any{"filename": "y"}
	big := json.Number("9007199254740993")
	h.mustApply(&SourceOffsets{Connector: "a", Offsets: []OffsetEntry{{SourcePartition: p1, Offset: map[string]any{"position": big}}, {SourcePartition: p2, Offset: map[string]any{"position": 1}}}})
	if got := h.f.State().SourceOffset("a", p1)["position"]; got != big {
		t.Fatalf("64-bit offset lost precision: %v", got)
	}
	h.mustApply(&SourceOffsets{Connector: "a", Offsets: []OffsetEntry{{SourcePartition: p2}}})
	if offs := h.f.State().SourceOffsets("a"); len(offs) != 1 {
		t.Fatalf("tombstone did not remove the partition: %v", offs)
	}
	h.mustApply(&OffsetsReset{Connector: "a"})
	if len(h.f.State().SourceOffsets("a")) != 0 {
		t.Fatal("reset left offsets")
	}
	wantErr(t, h.apply(&ActiveTopicsAdd{Connector: "b", Topics: []string{"t"}}), KindNotFound, "Connector b not found")
	h.mustApply(&ActiveTopicsAdd{Connector: "a", Topics: []string{"t2", "t1", "t2"}})
	if got := h.f.State().ActiveTopics("a"); !reflect.DeepEqual(got, []string{"t1", "t2"}) {
		t.Fatalf("topics %v", got)
	}
	h.mustApply(&TopicsReset{Connector: "a"})
	if len(h.f.State().ActiveTopics("a")) != 0 {
		t.Fatal("topics reset left topics")
	}
	h.mustApply(&LoggerLevelSet{Level: LoggerLevel{Logger: "runtime", Level: "DEBUG", SetAt: 7}})
	if ls := h.f.State().LoggerLevels(); len(ls) != 1 || ls[0].Level != "DEBUG" {
		t.Fatalf("loggers %+v", ls)
	}
}

func TestUnknownCommandType(t *testing.T) {
	h := newHarness(t)
	if res := h.f.ApplyCommand([]byte{byte(IgnoreUnknownTypeFlag | 99), '{', '}'}, 1); res.Err != nil {
		t.Fatal("an ignorable unknown command must be skipped")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("an unknown command without the ignore flag must panic")
		}
	}()
	h.f.ApplyCommand([]byte{99, '{', '}'}, 2)
}

func TestWatchChClosesOnChange(t *testing.T) {
	h := newHarness(t)
	ch := h.f.State().WatchCh()
	h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a")})
	select {
	case <-ch:
	default:
		t.Fatal("watch channel not closed by a change")
	}
}

type memSink struct {
	bytes.Buffer
	cancelled bool
}

func (s *memSink) ID() string    { return "mem" }
func (s *memSink) Cancel() error { s.cancelled = true; return nil }
func (s *memSink) Close() error  { return nil }

func TestSnapshotRoundTrip(t *testing.T) {
	h := newHarness(t)
	h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a", "k", "v"), Target: TargetPaused})
	h.mustApply(&ConnectorPut{Name: "b", Config: cfg("name", "b")})
	h.mustApply(&TaskConfigs{Name: "b", Tasks: []map[string]string{{"x": "1"}}})
	h.mustApply(&StatusUpdate{Records: []Status{{Connector: "b", Task: 0, State: StateFailed, Trace: "t", WorkerID: "w", Generation: 3}}})
	h.mustApply(&WorkerRegister{Worker: Worker{Node: "n1", Session: "s1"}})
	h.mustApply(&SessionKeyChange{Key: []byte{1, 2, 3}})
	h.mustApply(&AssignmentCommit{Assignment: Assignment{Generation: 4, Owned: map[string]Items{"n1": {Connectors: []string{"a", "b"}}}, Sessions: map[string]string{"n1": "s1"}}})
	h.mustApply(&SourceOffsets{Connector: "b", Offsets: []OffsetEntry{{SourcePartition: map[string]any{"p": "x"}, Offset: map[string]any{"o": json.Number("12")}}}})
	h.mustApply(&ActiveTopicsAdd{Connector: "b", Topics: []string{"t"}})
	h.mustApply(&LoggerLevelSet{Level: LoggerLevel{Logger: "api", Level: "WARN"}})
	h.mustApply(&SchemaCreate{Subject: "orders", SchemaType: 1, Bytes: []byte(`"string"`)})
	h.mustApply(&LastActiveConfigSet{Connector: "pg", Class: "io.conduit.connectors.PostgresSourceConnector", Config: cfg("url", "${file:/s:url}")})

	snap, err := h.f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink memSink
	if err := snap.Persist(&sink); err != nil || sink.cancelled {
		t.Fatalf("persist: %v", err)
	}
	restored := New()
	watch := restored.State().WatchCh()
	if err := restored.Restore(io.NopCloser(&sink)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-watch:
	default:
		t.Fatal("restore did not wake watchers")
	}
	if restored.AppliedIndex() != h.f.AppliedIndex() {
		t.Fatalf("restored applied index %d, snapshot taken at %d", restored.AppliedIndex(), h.f.AppliedIndex())
	}
	var again memSink
	snap2, _ := restored.Snapshot()
	if err := snap2.Persist(&again); err != nil {
		t.Fatal(err)
	}
	var first memSink
	snap3, _ := h.f.Snapshot()
	_ = snap3.Persist(&first)
	if first.String() != again.String() {
		t.Fatalf("snapshot changed across a round trip:\n%s\nvs\n%s", first.String(), again.String())
	}
	s := restored.State()
	if c := s.Connector("a"); c == nil || c.Target != TargetPaused || c.Config["k"] != "v" {
		t.Fatalf("connector a: %+v", c)
	}
	if st := s.TaskStatus("b", 0); st == nil || st.Trace != "t" || st.Generation != 3 {
		t.Fatalf("status: %+v", st)
	}
	if s.Assignment().Generation != 4 || string(s.SessionKey()) != "\x01\x02\x03" || len(s.LoggerLevels()) != 1 {
		t.Fatal("meta or loggers lost")
	}
	if sch := s.Schema("orders", 1); sch == nil || string(sch.Bytes) != `"string"` || sch.ID != 1 || sch.Type != 1 {
		t.Fatalf("schema lost: %+v", sch)
	}
	if la := s.LastActiveConfig("pg"); la == nil || la.Class != "io.conduit.connectors.PostgresSourceConnector" || la.Config["url"] != "${file:/s:url}" || la.ModifyIndex == 0 {
		t.Fatalf("last-active config lost: %+v", la)
	}
}

func TestSnapshotRejectsUnknownVersion(t *testing.T) {
	err := New().Restore(io.NopCloser(bytes.NewBufferString(`{"version":99}`)))
	if err == nil {
		t.Fatal("restored a snapshot of an unknown version")
	}
}

func TestConfigPending(t *testing.T) {
	h := newHarness(t)
	state := func() *State { return h.f.State() }
	if state().ConfigPending() {
		t.Fatal("an empty cluster has nothing pending")
	}
	h.mustApply(&ConnectorPut{Name: "a", Config: cfg("name", "a")})
	if !state().ConfigPending() {
		t.Fatal("a new connector is pending until a round places it")
	}
	h.mustApply(&AssignmentCommit{Assignment: Assignment{Generation: 1, Configured: map[string]int{"a": 0}}})
	if state().ConfigPending() {
		t.Fatal("the round acted on the config")
	}
	h.mustApply(&TaskConfigs{Name: "a", Tasks: []map[string]string{{}, {}}})
	if !state().ConfigPending() {
		t.Fatal("new task configs are pending until a round places them")
	}
	h.mustApply(&AssignmentCommit{Assignment: Assignment{Generation: 2, Configured: map[string]int{"a": 2}}, ExpectGeneration: 1})
	h.mustApply(&TaskConfigs{Name: "a", Tasks: []map[string]string{{"x": "1"}, {"x": "2"}}})
	if state().ConfigPending() {
		t.Fatal("same task count: tasks restart in place, no round is needed")
	}
	h.mustApply(&ConnectorDelete{Name: "a"})
	if !state().ConfigPending() {
		t.Fatal("a deleted connector is pending until a round revokes it")
	}
}

func TestAssignmentSameAs(t *testing.T) {
	base := Assignment{Generation: 1, Owned: map[string]Items{"n1": {Connectors: []string{"a"}, Tasks: []TaskID{{"a", 0}}}, "n2": {}},
		Configured: map[string]int{"a": 1}}
	same := Assignment{Generation: 7, Owned: map[string]Items{"n1": {Connectors: []string{"a"}, Tasks: []TaskID{{"a", 0}}}},
		Configured: map[string]int{"a": 1}, LostTaskOwner: map[string]string{}, Candidates: []string{}}
	same.Delay = 1234
	if !base.SameAs(&same) || !same.SameAs(&base) {
		t.Fatal("generation, the informational delay, empty nodes and empty collections must not count")
	}
	for name, change := range map[string]func(a *Assignment){
		"owner":      func(a *Assignment) { a.Owned["n2"] = Items{Tasks: []TaskID{{"a", 0}}} },
		"lost":       func(a *Assignment) { a.Lost = Items{Connectors: []string{"b"}} },
		"scheduled":  func(a *Assignment) { a.ScheduledAt = 5 },
		"configured": func(a *Assignment) { a.Configured = map[string]int{"a": 2} },
		"stops":      func(a *Assignment) { a.PendingStops = map[string]Items{"n1": {Connectors: []string{"a"}}} },
	} {
		other := base.Clone()
		change(&other)
		if base.SameAs(&other) {
			t.Errorf("a change of %s went unnoticed", name)
		}
	}
}

func TestAppliedChWakesOnEveryApply(t *testing.T) {
	h := newHarness(t)
	advanced := h.f.AppliedCh()
	// A command that changes nothing still advances the applied index.
	h.apply(&ConnectorDelete{Name: "absent"})
	select {
	case <-advanced:
	default:
		t.Fatal("an apply that changed nothing did not wake index waiters")
	}
	if h.f.AppliedIndex() != h.index {
		t.Fatalf("applied %d, want %d", h.f.AppliedIndex(), h.index)
	}
}

func TestItemsJSONRoundTrip(t *testing.T) {
	in := Items{Connectors: []string{"a", "b"}, Tasks: []TaskID{{"a", 0}, {"a", 2}, {"a", 10}, {"b", 1}}}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `{"connectors":["a","b"],"tasks":{"a":[0,2,10],"b":[1]}}` {
		t.Fatalf("stored form %s", data)
	}
	var out Items
	if err := json.Unmarshal([]byte(`{"connectors":["a","b"],"tasks":{"b":[1],"a":[10,0,2]}}`), &out); err != nil {
		t.Fatal(err)
	}
	if !out.Equal(in) {
		t.Fatalf("round trip gave %+v", out)
	}
}
