package fsm

import "testing"

// FuzzCheck: whatever a forwarded body holds, Check answers without panicking, refuses unknown command
// types.
func FuzzCheck(f *testing.F) {
	for _, c := range []Command{&ConnectorPut{Name: "a", Config: map[string]string{"k": "v"}}, &TargetStateChange{Name: "a", Target: TargetPaused}} {
		data, _ := Encode(c)
		f.Add(data)
	}
	f.Add([]byte{0x7e, '{', '}'})
	f.Add([]byte{byte(ConnectorPutType), 'x'})
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Check(data)
		if len(data) > 0 && !Known(MessageType(data[0])) && err == nil {
			t.Fatalf("Check accepted unknown command type %d", data[0])
		}
	})
}

// TestStateMachineOfAnEarlierBuild: a state machine built without a command type gossips a mask
// without it and stops at an entry of that type as at any unknown one; other types still apply.
func TestStateMachineOfAnEarlierBuild(t *testing.T) {
	f := New(WithoutTypes(OffsetsAlterType))
	if KnowsType(f.KnownTypes(), OffsetsAlterType) || !KnowsType(f.KnownTypes(), ConnectorPutType) || !KnowsType(KnownTypes(), OffsetsAlterType) {
		t.Fatalf("known types %s: want every type but %d", f.KnownTypes(), OffsetsAlterType)
	}
	put, _ := Encode(&ConnectorPut{Name: "a", Config: map[string]string{"connector.class": "X"}})
	f.ApplyCommand(put, 1)
	if f.State().Connector("a") == nil {
		t.Fatal("a known command did not apply")
	}
	alter, _ := Encode(&OffsetsAlter{Connector: "a"})
	defer func() {
		unknown, ok := recover().(*UnknownEntryError)
		if !ok || unknown.Index != 2 || unknown.Type != OffsetsAlterType {
			t.Fatalf("applying a type the build lacks: recovered %v, want an UnknownEntryError at 2", unknown)
		}
	}()
	f.ApplyCommand(alter, 2)
}
