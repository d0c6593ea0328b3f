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

// TestCommandNumbersAreFixed pins each command type's number: they are in every log entry on disk,
// so a reordering of the constants must fail here rather than corrupt existing logs.
func TestCommandNumbersAreFixed(t *testing.T) {
	want := map[MessageType]Command{
		1: &ConnectorPut{}, 2: &ConnectorPatch{}, 3: &ConnectorDelete{}, 4: &TargetStateChange{},
		5: &TaskConfigs{}, 6: &StatusUpdate{}, 7: &WorkerRegister{}, 8: &WorkerDeregister{},
		9: &SessionKeyChange{}, 10: &AssignmentCommit{}, 11: &StopAck{}, 12: &SourceOffsets{},
		13: &RestartRequest{}, 14: &ActiveTopicsAdd{}, 15: &TopicsReset{}, 16: &LoggerLevelSet{},
		17: &OffsetsReset{}, 18: &NodeDrained{}, 19: &OffsetsAlter{}, 20: &SchemaCreate{},
		21: &LastActiveConfigSet{},
	}
	for n, cmd := range want {
		if cmd.Type() != n {
			t.Errorf("%T has type %d, the log format says %d", cmd, cmd.Type(), n)
		}
		if !Known(n) {
			t.Errorf("command type %d (%T) is not registered", n, cmd)
		}
	}
}

func TestRegisteringACommandTypeTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a second registration of ConnectorPutType did not panic")
		}
	}()
	registerCommand(func() *ConnectorPut { return new(ConnectorPut) }, applyConnectorPut)
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
