package fsm

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// designedPanic tells whether a panic is one the FSM raises on purpose for a log entry no
// connectd node writes: an unknown command type or a body that does not decode.
func designedPanic(v any) bool {
	err, ok := v.(error)
	var unknown *UnknownEntryError
	return ok && errors.As(err, &unknown)
}

// FuzzApplyCommand applies arbitrary log entries, twice, then snapshots and restores the state:
// an entry that decodes must apply without panicking, and the state must survive a snapshot.
func FuzzApplyCommand(f *testing.F) {
	for _, c := range []Command{
		&ConnectorPut{Name: "a", Config: map[string]string{"connector.class": "FileStreamSource", "tasks.max": "1"}},
		&ConnectorPatch{Name: "a"},
		&TaskConfigs{Name: "a", Tasks: []map[string]string{{"k": "v"}}},
		&StatusUpdate{Records: []Status{{Connector: "a", Task: 0, State: StateFailed}}},
		&SourceOffsets{Connector: "a", Offsets: []OffsetEntry{{SourcePartition: map[string]any{"f": "x"}, Offset: map[string]any{"position": 1}}}},
		&RestartRequest{Name: "a"},
		&ConnectorDelete{Name: "a"},
		&SchemaCreate{Subject: "a", SchemaType: 1, Bytes: []byte(`{"type":"record","name":"r","fields":[]}`)},
		&LastActiveConfigSet{Connector: "a", Class: "io.conduit.connectors.PostgresSourceConnector", Config: map[string]string{"url": "x"}},
	} {
		data, err := Encode(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return // Raft applies no empty command entries: Encode always writes the type byte.
		}
		m := New()
		m.ApplyCommand(append([]byte{byte(ConnectorPutType)}, `{"name":"a","config":{"connector.class":"FileStreamSource"}}`...), 1)
		func() {
			defer func() {
				if v := recover(); v != nil && !designedPanic(v) {
					panic(v)
				}
			}()
			m.ApplyCommand(data, 2)
			m.ApplyCommand(data, 3)
		}()
		snap, err := m.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		var sink memSink
		if err := snap.Persist(&sink); err != nil {
			t.Fatal(err)
		}
		if err := New().Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
			t.Fatalf("a snapshot of the state after %q does not restore: %v", data, err)
		}
	})
}

// FuzzRestore restores arbitrary snapshots: an error or a state, never a panic.
func FuzzRestore(f *testing.F) {
	m := New()
	m.ApplyCommand(append([]byte{byte(ConnectorPutType)}, `{"name":"a","config":{"connector.class":"FileStreamSource"}}`...), 1)
	m.ApplyCommand(append([]byte{byte(SourceOffsetsType)}, `{"connector":"a","task":0,"offsets":[{"partition":{"f":"x"},"offset":{"position":1}}]}`...), 2)
	snap, _ := m.Snapshot()
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		f.Fatal(err)
	}
	f.Add(sink.Bytes())
	f.Add([]byte(`{"version":1,"index":3}` + "\n" + `{"kind":"connector","data":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = New().Restore(io.NopCloser(bytes.NewReader(data)))
	})
}

// Commands whose rows the tables cannot hold (empty keys, found by fuzzing) are refused with a
// 400 result on every replica instead of panicking in Apply, which took every node down.
func TestUnstorableCommandIsAnError(t *testing.T) {
	h := newHarness(t)
	for _, c := range []Command{&ConnectorPut{Name: ""}, &LoggerLevelSet{}} {
		res := h.apply(c)
		if res.Err == nil || res.Err.Kind != KindBadRequest {
			t.Fatalf("%T with an empty key: %+v", c, res)
		}
	}
	if n := len(h.f.State().Connectors()); n != 0 {
		t.Fatalf("%d connectors stored", n)
	}
}
