package coordinator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/internal/testcluster"
)

// TestReplacedHostsDoNotCostTheQuorum: twice, a node is killed, its data dir wiped and the host
// started again under a new node.id. The leader removes the dead voter once the replacement is
// there, so the cluster ends with three live voters and takes writes.
func TestReplacedHostsDoNotCostTheQuorum(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.With("raft.dead.server.cleanup.ms", "1000"), testcluster.With("scheduled.rebalance.max.delay.ms", "1000"))
	for round := 0; round < 2; round++ {
		victim := (c.WaitLeader() + 1) % c.Size()
		for c.Node(victim) == nil {
			victim = (victim + 1) % c.Size()
		}
		c.Kill(victim)
		if err := os.RemoveAll(c.DataDir(victim)); err != nil {
			t.Fatal(err)
		}
		c.AddNode(testcluster.With("data.dir", filepath.Join(t.TempDir(), "replacement")))
		testcluster.Eventually(t, 30*time.Second, func() error {
			leader := c.Leader()
			if leader < 0 {
				return fmt.Errorf("no leader")
			}
			servers := c.Node(leader).Raft().GetConfiguration().Configuration().Servers
			live := 0
			for _, s := range servers {
				if s.Suffrage != raft.Voter {
					return fmt.Errorf("round %d: %s is a %s", round, s.ID, s.Suffrage)
				}
				for i := 0; i < c.Size(); i++ {
					if a := c.Node(i); a != nil && a.NodeID() == string(s.ID) {
						live++
					}
				}
			}
			if len(servers) != 3 || live != 3 {
				return fmt.Errorf("round %d: %d servers, %d live voters: %v", round, len(servers), live, servers)
			}
			return nil
		})
	}
	post(t, c.URL(c.WaitLeader())+"/connectors", `{"name":"after","config":{"connector.class":"FileStreamSource","file":"/nonexistent","topic":"t"}}`)
}
