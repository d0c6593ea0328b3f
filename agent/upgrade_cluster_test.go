package agent_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/agent"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/testcluster"
)

// TestNodeOfThePreviousBuildHoldsBackTheNewestCommandType: a voter restarted as a build that
// does not know the newest command type (offsets alteration) keeps the leader from committing
// one: the write answers 503 naming the node to upgrade, and the old node keeps running. Once
// it runs the current build again, the same write commits.
func TestNodeOfThePreviousBuildHoldsBackTheNewestCommandType(t *testing.T) {
	c := testcluster.New(t, 3)
	createConnector(t, c.URL(c.WaitLeader()), `{"name":"src","config":{"connector.class":"FileStreamSource","file":"/nonexistent/in.txt","topic":"t"}}`)
	if code, body := call(t, "PUT", c.URL(c.WaitLeader())+"/connectors/src/stop", ""); code != http.StatusNoContent {
		t.Fatalf("stop: %d %s", code, body)
	}
	old := (c.WaitLeader() + 1) % 3
	oldID := c.Node(old).NodeID()
	c.Shutdown(old)
	c.StartWith(old, agent.WithFSM(fsm.WithoutTypes(fsm.OffsetsAlterType)))
	c.WaitHealthy()
	// Were the write sent before the leader learned the old build's command types, it would commit
	// and stop the old node, and this test process with it.
	testcluster.Eventually(t, 20*time.Second, func() error {
		for _, m := range c.Node(c.WaitLeader()).Cluster().Members {
			if m.NodeID == oldID && m.Status == "alive" && !fsm.KnowsType(m.Commands, fsm.OffsetsAlterType) {
				return nil
			}
		}
		return fmt.Errorf("the leader has not learned that %s lacks command type %d", oldID, fsm.OffsetsAlterType)
	})

	want := fmt.Sprintf("Cannot commit command type %d until every voter can apply it; upgrade %s (version", fsm.OffsetsAlterType, oldID)
	testcluster.Eventually(t, 20*time.Second, func() error {
		code, body := call(t, "DELETE", c.URL(c.WaitLeader())+"/connectors/src/offsets", "")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, `"error_code":503`) || !strings.Contains(body, want) {
			return fmt.Errorf("offsets reset with %s on the previous build: %d %s, want 503 %q", oldID, code, body, want)
		}
		return nil
	})
	if c.Node(old) == nil || c.Node(old).FSM().State().Connector("src") == nil {
		t.Fatalf("the node of the previous build stopped or lost the state")
	}

	c.Shutdown(old)
	c.Start(old)
	c.WaitHealthy()
	testcluster.Eventually(t, 20*time.Second, func() error {
		code, body := call(t, "DELETE", c.URL(c.WaitLeader())+"/connectors/src/offsets", "")
		if code != http.StatusOK || !strings.Contains(body, "have been reset successfully") {
			return fmt.Errorf("offsets reset once %s is upgraded: %d %s", oldID, code, body)
		}
		return nil
	})
}
