package worker_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// A task under restart.policy=on-failure is restarted after each failure, shows FAILED with the
// next attempt, then RUNNING again, and stays FAILED once restart.max.attempts is used up.
func TestTaskRestartsAutomaticallyOnFailure(t *testing.T) {
	c, _ := errorsCluster(t)
	putConfig(t, c.URL(0)+"/connectors/flaky/config", `{"connector.class":"io.connectd.test.FailingSourceConnector","fail.after.ms":"400","fail.message":"flaky",
		"restart.policy":"on-failure","restart.backoff.initial.ms":"100","restart.backoff.max.ms":"5000","restart.max.attempts":"3"}`)
	var seen []string
	testcluster.Eventually(t, 30*time.Second, func() error {
		s, err := status(t, c.URL(1), "flaky")
		if err != nil || len(s.Tasks) != 1 {
			return fmt.Errorf("%+v %v", s, err)
		}
		task := s.Tasks[0]
		state := task.State
		if task.State == "FAILED" && strings.Contains(task.Trace, "Automatic restart attempt") {
			state = "FAILED+retry"
		}
		if len(seen) == 0 || seen[len(seen)-1] != state {
			seen = append(seen, state)
		}
		if task.State == "FAILED" && strings.Contains(task.Trace, "No automatic restart: restart.max.attempts (3) reached.") {
			return nil
		}
		return fmt.Errorf("states so far %v", seen)
	})
	joined := strings.Join(seen, " ")
	if !strings.Contains(joined, "FAILED+retry RUNNING") && !strings.Contains(joined, "FAILED+retry RESTARTING") {
		t.Fatalf("never saw a restart after a failure: %v", seen)
	}
	// Given up: it stays FAILED.
	time.Sleep(time.Second)
	waitTaskFailed(t, c.URL(2), "flaky", "restart.max.attempts (3) reached")
}

// A connector that fails to start is retried the same way; without the policy it is not.
func TestConnectorRestartsAutomaticallyOnFailure(t *testing.T) {
	c, _ := errorsCluster(t)
	putConfig(t, c.URL(0)+"/connectors/conn/config", `{"connector.class":"io.connectd.test.FailingSourceConnector","connector.fail.on.start":"true",
		"restart.policy":"on-failure","restart.backoff.initial.ms":"100","restart.max.attempts":"2"}`)
	putConfig(t, c.URL(0)+"/connectors/plain/config", `{"connector.class":"io.connectd.test.FailingSourceConnector","connector.fail.on.start":"true"}`)
	testcluster.Eventually(t, 30*time.Second, func() error {
		s, err := status(t, c.URL(1), "conn")
		if err != nil || s.Connector.State != "FAILED" || !strings.Contains(s.Connector.Trace, "No automatic restart: restart.max.attempts (2) reached.") {
			return fmt.Errorf("%+v %v", s, err)
		}
		return nil
	})
	// Eventually: a rebalance while the cluster settles may be moving it, UNASSIGNED meanwhile.
	testcluster.Eventually(t, 10*time.Second, func() error {
		s, err := status(t, c.URL(0), "plain")
		if err != nil || s.Connector.State != "FAILED" {
			return fmt.Errorf("%+v %v", s, err)
		}
		if strings.Contains(s.Connector.Trace, "restart") {
			t.Fatalf("a connector without the policy: %+v", s)
		}
		return nil
	})
}

// restart.max.attempts holds for the cluster, not per node: a task that always fails, moved to
// another node after its first automatic restart, is restarted there once more, not twice, and
// stays FAILED where it moved.
func TestRestartAttemptsSurviveAMove(t *testing.T) {
	c, _ := errorsCluster(t)
	c.WaitHealthy()
	starts := filepath.Join(t.TempDir(), "starts")
	putConfig(t, c.URL(0)+"/connectors/flaky/config", fmt.Sprintf(`{"connector.class":"io.connectd.test.FailingSourceConnector","task.fail.on.start":"true","starts.file":%q,
		"restart.policy":"on-failure","restart.backoff.initial.ms":"3000","restart.backoff.max.ms":"3000","restart.max.attempts":"2"}`, starts))
	// After its first restart, the task fails again and waits for its second attempt.
	var owner string
	testcluster.Eventually(t, 30*time.Second, func() error {
		s, err := status(t, c.URL(0), "flaky")
		if err != nil || len(s.Tasks) != 1 || s.Tasks[0].State != "FAILED" || !strings.Contains(s.Tasks[0].Trace, "Automatic restart attempt 2") {
			return fmt.Errorf("%+v %v", s, err)
		}
		owner = s.Tasks[0].WorkerID
		return nil
	})
	// A rebalance while the cluster settles may have moved it already, and a move starts a task
	// that did not fail: count from here.
	before := countLines(starts)
	victim, survivor := shutDownOwner(c, owner)
	testcluster.Eventually(t, 60*time.Second, func() error {
		s, err := status(t, c.URL(survivor), "flaky")
		if err != nil || len(s.Tasks) != 1 || s.Tasks[0].State != "FAILED" || strings.HasSuffix(c.URL(victim), s.Tasks[0].WorkerID) ||
			!strings.Contains(s.Tasks[0].Trace, "No automatic restart: restart.max.attempts (2) reached.") {
			return fmt.Errorf("%+v %v", s, err)
		}
		return nil
	})
	// Past the backoff, no further attempt came.
	time.Sleep(4 * time.Second)
	if n := countLines(starts) - before; n != 1 {
		t.Fatalf("the task started %d times after the move, want 1: max.attempts is not honoured across nodes", n)
	}
	waitTaskFailed(t, c.URL(survivor), "flaky", "restart.max.attempts (2) reached")
}

// The same holds for a connector: one that always fails to start, moved to another node after
// its first automatic restart, is restarted there once more, not twice, and stays FAILED.
func TestConnectorRestartAttemptsSurviveAMove(t *testing.T) {
	c, _ := errorsCluster(t)
	c.WaitHealthy()
	starts := filepath.Join(t.TempDir(), "starts")
	putConfig(t, c.URL(0)+"/connectors/flaky/config", fmt.Sprintf(`{"connector.class":"io.connectd.test.FailingSourceConnector","connector.fail.on.start":"true","connector.starts.file":%q,
		"restart.policy":"on-failure","restart.backoff.initial.ms":"3000","restart.backoff.max.ms":"3000","restart.max.attempts":"2"}`, starts))
	var owner string
	testcluster.Eventually(t, 30*time.Second, func() error {
		s, err := status(t, c.URL(0), "flaky")
		if err != nil || s.Connector.State != "FAILED" || !strings.Contains(s.Connector.Trace, "Automatic restart attempt 2") {
			return fmt.Errorf("%+v %v", s, err)
		}
		owner = s.Connector.WorkerID
		return nil
	})
	before := countLines(starts)
	victim, survivor := shutDownOwner(c, owner)
	testcluster.Eventually(t, 60*time.Second, func() error {
		s, err := status(t, c.URL(survivor), "flaky")
		if err != nil || s.Connector.State != "FAILED" || strings.HasSuffix(c.URL(victim), s.Connector.WorkerID) ||
			!strings.Contains(s.Connector.Trace, "No automatic restart: restart.max.attempts (2) reached.") {
			return fmt.Errorf("%+v %v", s, err)
		}
		return nil
	})
	time.Sleep(4 * time.Second)
	if n := countLines(starts) - before; n != 1 {
		t.Fatalf("the connector started %d times after the move, want 1: max.attempts is not honoured across nodes", n)
	}
}

// shutDownOwner shuts down the node whose worker id is owner; it returns that node and another.
func shutDownOwner(c *testcluster.Cluster, owner string) (victim, survivor int) {
	victim = -1
	for i := 0; i < c.Size(); i++ {
		if strings.HasSuffix(c.URL(i), owner) {
			victim = i
		}
	}
	c.Shutdown(victim)
	return victim, (victim + 1) % c.Size()
}
