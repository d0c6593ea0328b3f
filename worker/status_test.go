package worker

import (
	"testing"

	"github.com/connectd/connectd/fsm"
)

func TestReplacedInstanceCannotOverwriteItsSuccessorsStatus(t *testing.T) {
	r := newStatusReporter(&Worker{cfg: Config{WorkerID: "w1:8083"}})
	k := fsm.TaskID{Connector: "sink", Task: 0}
	abandoned, successor := &taskInstance{}, &taskInstance{}
	state := func() string { return r.pending[k].State }

	r.claim(k, abandoned)
	r.report(abandoned, k, fsm.Status{State: fsm.StateRunning})
	if state() != fsm.StateRunning {
		t.Fatalf("the owner's report was dropped: %q", state())
	}

	// The worker gave up waiting for the first instance and started another for the same task;
	// the first one ends later and reports UNASSIGNED on its way out.
	r.claim(k, successor)
	r.report(successor, k, fsm.Status{State: fsm.StatePaused})
	r.report(abandoned, k, fsm.Status{State: fsm.StateUnassigned})
	r.release(k, abandoned)
	if state() != fsm.StatePaused {
		t.Fatalf("status %q, want the successor's PAUSED: the abandoned instance overwrote it", state())
	}
	r.report(successor, k, fsm.Status{State: fsm.StateRunning})
	if state() != fsm.StateRunning {
		t.Fatalf("the successor lost its claim when the abandoned instance released: %q", state())
	}

	r.release(k, successor)
	if len(r.owners) != 0 {
		t.Fatalf("claims left after every instance ended: %v", r.owners)
	}
}
