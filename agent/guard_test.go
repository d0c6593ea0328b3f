package agent

import (
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/fsm"
)

func TestUnknownEntryStopsTheNodeWithOneClearError(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"newer command type", []byte{0x7e, '{', '}'}, "unknown command type"},
		{"undecodable body", append([]byte{byte(fsm.ConnectorPutType)}, "not json"...), "does not decode"},
	} {
		var got *fsm.UnknownEntryError
		g := guardedFSM{FSM: fsm.New(), stop: func(err *fsm.UnknownEntryError) { got = err }}
		g.Apply(&raft.Log{Index: 42, Type: raft.LogCommand, Data: tc.data})
		if got == nil || got.Index != 42 || got.Type != fsm.MessageType(tc.data[0]) || !strings.Contains(got.Error(), tc.want) ||
			!strings.Contains(got.Error(), "needs a connectd version") {
			t.Fatalf("%s: stopped with %v", tc.name, got)
		}
	}
}
