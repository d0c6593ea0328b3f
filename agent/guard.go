package agent

import (
	"errors"
	"os"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/fsm"
)

// guardedFSM is the state machine as Raft sees it: an entry this build cannot apply (a command
// type from a newer version, a body that does not decode) stops the node with one clear line
// naming the entry, instead of a panic trace. It stops again at every start until the node runs a
// build that knows the entry: skipping it would make this replica diverge.
type guardedFSM struct {
	raft.FSM
	stop func(*fsm.UnknownEntryError)
}

// Apply implements raft.FSM.
func (g guardedFSM) Apply(l *raft.Log) (res any) {
	defer func() {
		if r := recover(); r != nil {
			var unknown *fsm.UnknownEntryError
			if err, ok := r.(error); !ok || !errors.As(err, &unknown) {
				panic(r)
			}
			g.stop(unknown)
			res = nil
		}
	}()
	return g.FSM.Apply(l)
}

// stopOnUnknownEntry logs why the node cannot go on and exits: there is no safe way to continue.
func (a *Agent) stopOnUnknownEntry(err *fsm.UnknownEntryError) {
	a.logger.Error(err.Error(), "index", err.Index, "type", int(err.Type))
	os.Exit(3)
}
