package agent

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/membership"
)

// TestNewCommandTypesWaitForEveryVoter: a voter on the previous build (which gossiped no command
// set, or an older one) holds back a command type it does not know; types it knows go through.
func TestNewCommandTypesWaitForEveryVoter(t *testing.T) {
	newType := fsm.OffsetsAlterType + 1
	servers := []raft.Server{{ID: "a", Suffrage: raft.Voter}, {ID: "b", Suffrage: raft.Voter}, {ID: "c", Suffrage: raft.Nonvoter}, {ID: "d", Suffrage: raft.Voter}}
	mine := fsm.KnownTypes()
	b, _ := hex.DecodeString(mine)
	b[newType/8] |= 1 << (newType % 8)
	newer := hex.EncodeToString(b)
	members := []membership.Member{
		{Meta: membership.Meta{NodeID: "a", Commands: newer}, Status: membership.StatusAlive},
		{Meta: membership.Meta{NodeID: "b", Version: "old"}, Status: membership.StatusAlive},
		{Meta: membership.Meta{NodeID: "c"}, Status: membership.StatusAlive},
		{Meta: membership.Meta{NodeID: "d"}, Status: membership.StatusFailed},
	}
	if got := votersLacking(fsm.ConnectorPutType, servers, members); len(got) != 0 {
		t.Fatalf("a baseline type held back by %v", got)
	}
	got := votersLacking(newType, servers, members)
	if len(got) != 1 || !strings.HasPrefix(got[0], "b (version old)") {
		t.Fatalf("a type the old build does not know: lacking %v, want only b", got)
	}
	if got := votersLacking(newType|fsm.IgnoreUnknownTypeFlag, servers, members); len(got) != 0 {
		t.Fatalf("an ignorable type held back by %v", got)
	}
	for typ := fsm.ConnectorPutType; typ <= fsm.OffsetsAlterType; typ++ {
		if !fsm.KnowsType(mine, typ) || fsm.Known(typ) != fsm.KnowsType(mine, typ) {
			t.Fatalf("type %d: gossiped set and registry disagree", typ)
		}
	}
}
