package coordinator_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// exclusivity samples every running node's worker and records any item that two workers run at
// the same moment (no item on two nodes at once: docs/assignment.md §8).
type exclusivity struct {
	mu         sync.Mutex
	violations []string
	stop       chan struct{}
	done       chan struct{}
}

func watchExclusivity(c *testcluster.Cluster) *exclusivity {
	e := &exclusivity{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(e.done)
		for {
			select {
			case <-e.stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			owners := map[string]string{}
			for i := 0; i < c.Size(); i++ {
				a := c.Node(i)
				if a == nil {
					continue
				}
				for _, item := range a.Running() {
					if other, ok := owners[item]; ok {
						e.mu.Lock()
						e.violations = append(e.violations, fmt.Sprintf("%s runs on %s and %s", item, other, a.NodeID()))
						e.mu.Unlock()
					}
					owners[item] = a.NodeID()
				}
			}
		}
	}()
	return e
}

func (e *exclusivity) check(t *testing.T) {
	t.Helper()
	close(e.stop)
	<-e.done
	if len(e.violations) > 0 {
		t.Fatalf("items ran on two workers at once: %v", e.violations[:min(5, len(e.violations))])
	}
}

// post creates a connector as a Kafka Connect client does: a 409 for want of a leader (an
// election under way on a loaded machine) is tried again, and then "already exists" means an
// earlier attempt, whose answer was that 409, did commit.
func post(t *testing.T, url, body string) {
	t.Helper()
	retried := false
	testcluster.Eventually(t, 20*time.Second, func() error {
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == 201, retried && resp.StatusCode == 409 && strings.Contains(string(b), "already exists"):
			return nil
		case resp.StatusCode == 409 && strings.Contains(string(b), "no known leader"):
			retried = true
			return fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, b)
		}
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
		return nil
	})
}

// placement maps each running task to the node that runs it, from the workers themselves.
func placement(c *testcluster.Cluster) map[string]string {
	out := map[string]string{}
	for i := 0; i < c.Size(); i++ {
		if a := c.Node(i); a != nil {
			for _, item := range a.Running() {
				out[item] = a.NodeID()
			}
		}
	}
	return out
}

func itemsOn(c *testcluster.Cluster, i int) []string {
	if a := c.Node(i); a != nil {
		return a.Running()
	}
	return nil
}

// startWork creates a source connector with n tasks that produce nothing and waits until all run.
func startWork(t *testing.T, c *testcluster.Cluster, n int) {
	t.Helper()
	post(t, c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"w","config":{"connector.class":"io.connectd.test.FailingSourceConnector","tasks.max":"%d"}}`, n))
	testcluster.Eventually(t, 20*time.Second, func() error {
		if p := placement(c); len(p) != n+1 {
			return fmt.Errorf("running: %v", p)
		}
		return nil
	})
}

// waitRunningSomewhere waits until every item runs on some node.
func waitRunningSomewhere(t *testing.T, c *testcluster.Cluster, items []string) {
	t.Helper()
	testcluster.Eventually(t, 30*time.Second, func() error {
		p := placement(c)
		for _, item := range items {
			if _, ok := p[item]; !ok {
				return fmt.Errorf("%s not running yet", item)
			}
		}
		return nil
	})
}

// victimWithTasks picks a non-leader node that runs at least one task.
func victimWithTasks(t *testing.T, c *testcluster.Cluster) int {
	t.Helper()
	leader := c.WaitLeader()
	for i := 0; i < c.Size(); i++ {
		if i == leader {
			continue
		}
		for _, item := range itemsOn(c, i) {
			if strings.Contains(item, "-") {
				return i
			}
		}
	}
	t.Fatal("no follower runs a task")
	return -1
}

func cluster(t *testing.T, n int, delay time.Duration) *testcluster.Cluster {
	return testcluster.New(t, n,
		testcluster.With("bootstrap.servers", testcluster.StartBroker(t)),
		testcluster.With("scheduled.rebalance.max.delay.ms", fmt.Sprint(delay.Milliseconds())))
}

// TestLostWorkWaitsForTheDelay (docs/assignment.md §4): a crashed node's work stays unassigned for
// scheduled.rebalance.max.delay.ms and then runs on the survivors.
func TestLostWorkWaitsForTheDelay(t *testing.T) {
	const delay = 4 * time.Second
	c := cluster(t, 3, delay)
	startWork(t, c, 6)
	excl := watchExclusivity(c)
	victim := victimWithTasks(t, c)
	lost := itemsOn(c, victim)
	killed := time.Now()
	c.Kill(victim)
	waitRunningSomewhere(t, c, lost)
	took := time.Since(killed)
	t.Logf("lost work ran elsewhere %s after the crash (delay %s)", took, delay)
	if took < delay {
		t.Fatalf("lost work moved after %s, before the %s delay", took, delay)
	}
	excl.check(t)
}

// TestReturningNodeGetsItsWorkBack (docs/assignment.md §4): a node restarted within the delay
// gets exactly its own work back when the delay expires.
func TestReturningNodeGetsItsWorkBack(t *testing.T) {
	c := cluster(t, 3, 10*time.Second)
	startWork(t, c, 6)
	excl := watchExclusivity(c)
	victim := victimWithTasks(t, c)
	before := itemsOn(c, victim)
	c.Kill(victim)
	time.Sleep(time.Second)
	c.Start(victim)
	testcluster.Eventually(t, 30*time.Second, func() error {
		if got := itemsOn(c, victim); strings.Join(got, ",") != strings.Join(before, ",") {
			return fmt.Errorf("node runs %v, before the restart %v", got, before)
		}
		return nil
	})
	if p := placement(c); len(p) != 7 {
		t.Fatalf("not everything runs: %v", p)
	}
	excl.check(t)
}

// TestZeroDelayReassignsOnceTheLeaseRunsOut (docs/assignment.md §4 row L3, §8).
func TestZeroDelayReassignsOnceTheLeaseRunsOut(t *testing.T) {
	c := cluster(t, 3, 0)
	startWork(t, c, 6)
	excl := watchExclusivity(c)
	victim := victimWithTasks(t, c)
	lost := itemsOn(c, victim)
	killed := time.Now()
	c.Kill(victim)
	waitRunningSomewhere(t, c, lost)
	t.Logf("crash -> running elsewhere: %s (session timeout %s + skew)", time.Since(killed), testcluster.TightTimings["session.timeout.ms"])
	excl.check(t)
}

// TestLeaderFailoverDuringDelay: the delay is stored in the replicated state, so a new leader
// neither restarts nor forgets it.
func TestLeaderFailoverDuringDelay(t *testing.T) {
	const delay = 10 * time.Second
	c := cluster(t, 5, delay)
	startWork(t, c, 8)
	excl := watchExclusivity(c)
	victim := victimWithTasks(t, c)
	lost := itemsOn(c, victim)
	killed := time.Now()
	c.Kill(victim)
	// Wait until the departure is committed, read on any running node (all apply the same log,
	// and a loaded machine may be between leaders), then kill the leader while the delay runs.
	var scheduled int64
	testcluster.Eventually(t, 30*time.Second, func() error {
		for i := 0; i < c.Size(); i++ {
			if n := c.Node(i); n != nil {
				if a := n.FSM().State().Assignment(); a.ScheduledAt != 0 && !a.Lost.Empty() {
					scheduled = a.ScheduledAt
					return nil
				}
			}
		}
		return fmt.Errorf("departure not committed yet")
	})
	c.Kill(c.WaitLeader())
	c.WaitLeader()
	waitRunningSomewhere(t, c, lost)
	placed := time.Now()
	if placed.UnixMilli() < scheduled {
		t.Fatalf("lost work placed before the scheduled time")
	}
	if late := placed.Sub(time.UnixMilli(scheduled)); late > 4*time.Second {
		t.Fatalf("the new leader restarted the delay: placed %s after the scheduled time", late)
	}
	t.Logf("lost work placed %s after the crash; scheduled at +%s", placed.Sub(killed), time.UnixMilli(scheduled).Sub(killed))
	excl.check(t)
}

// TestStatusNeverShowsTwoOwners asks every node for the status of every task and checks that all
// running nodes agree on at most one worker per RUNNING task once settled.
func TestStatusNeverShowsTwoOwners(t *testing.T) {
	c := cluster(t, 3, 0)
	startWork(t, c, 4)
	testcluster.Eventually(t, 10*time.Second, func() error {
		seen := map[int]map[string]bool{}
		for i := 0; i < 3; i++ {
			resp, err := http.Get(c.URL(i) + "/connectors/w/status")
			if err != nil {
				return err
			}
			var st struct {
				Tasks []struct {
					ID       int    `json:"id"`
					State    string `json:"state"`
					WorkerID string `json:"worker_id"`
				} `json:"tasks"`
			}
			json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			for _, task := range st.Tasks {
				if task.State == "RUNNING" {
					if seen[task.ID] == nil {
						seen[task.ID] = map[string]bool{}
					}
					seen[task.ID][task.WorkerID] = true
				}
			}
		}
		for id, workers := range seen {
			if len(workers) > 1 {
				var ws []string
				for w := range workers {
					ws = append(ws, w)
				}
				sort.Strings(ws)
				return fmt.Errorf("task %d RUNNING on %v", id, ws)
			}
		}
		if len(seen) != 4 {
			return fmt.Errorf("%d tasks RUNNING", len(seen))
		}
		return nil
	})
}

// TestDecommissionHandsOffAtOnce: a node that leaves on purpose hands its work to the others
// without waiting for the delay, and leaves the Raft configuration.
func TestDecommissionHandsOffAtOnce(t *testing.T) {
	c := cluster(t, 3, time.Minute)
	startWork(t, c, 6)
	excl := watchExclusivity(c)
	victim := victimWithTasks(t, c)
	moved := itemsOn(c, victim)
	start := time.Now()
	resp, err := http.Post(c.URL(victim)+"/connectd/leave", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Fatalf("leave: %d", resp.StatusCode)
	}
	<-c.Node(victim).Done()
	testcluster.Eventually(t, 15*time.Second, func() error {
		p := placement(c)
		for _, item := range moved {
			if w, ok := p[item]; !ok || w == c.Node(victim).NodeID() {
				return fmt.Errorf("%s not moved yet", item)
			}
		}
		return nil
	})
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("hand-off took %s", took)
	}
	testcluster.Eventually(t, 10*time.Second, func() error {
		leader := c.Leader()
		if leader < 0 || leader == victim {
			return fmt.Errorf("no leader among the survivors")
		}
		future := c.Node(leader).Raft().GetConfiguration()
		if err := future.Error(); err != nil {
			return err
		}
		if n := len(future.Configuration().Servers); n != 2 {
			return fmt.Errorf("%d servers in the raft configuration", n)
		}
		return nil
	})
	excl.check(t)
}

// counts returns, per running node, how many connectors and tasks it runs.
func counts(c *testcluster.Cluster) (connectors, tasks map[string]int) {
	connectors, tasks = map[string]int{}, map[string]int{}
	for i := 0; i < c.Size(); i++ {
		a := c.Node(i)
		if a == nil {
			continue
		}
		connectors[a.NodeID()], tasks[a.NodeID()] = 0, 0
		for _, item := range a.Running() {
			if strings.Contains(item, "-") {
				tasks[a.NodeID()]++
			} else {
				connectors[a.NodeID()]++
			}
		}
	}
	return connectors, tasks
}

func spread(m map[string]int) int {
	lo, hi := 1<<30, 0
	for _, n := range m {
		lo, hi = min(lo, n), max(hi, n)
	}
	return hi - lo
}

func waitBalanced(t *testing.T, c *testcluster.Cluster, items int) {
	t.Helper()
	testcluster.Eventually(t, 60*time.Second, func() error {
		conns, tasks := counts(c)
		total := 0
		for _, n := range conns {
			total += n
		}
		for _, n := range tasks {
			total += n
		}
		if total != items || spread(conns) > 1 || spread(tasks) > 1 {
			return fmt.Errorf("%d of %d items, connectors %v, tasks %v", total, items, conns, tasks)
		}
		return nil
	})
}

func createWork(t *testing.T, c *testcluster.Cluster, name string, tasks int) {
	t.Helper()
	post(t, c.URL(0)+"/connectors", fmt.Sprintf(`{"name":%q,"config":{"connector.class":"io.connectd.test.FailingSourceConnector","tasks.max":"%d"}}`, name, tasks))
}

// TestSecondConnectorDoesNotDisruptTheFirst (docs/assignment.md §6).
func TestSecondConnectorDoesNotDisruptTheFirst(t *testing.T) {
	c := cluster(t, 3, 30*time.Second)
	createWork(t, c, "first", 4)
	waitBalanced(t, c, 5)
	before := placement(c)
	createWork(t, c, "second", 4)
	waitBalanced(t, c, 10)
	after := placement(c)
	for item, node := range before {
		if after[item] != node {
			t.Errorf("%s moved from %s to %s when another connector was created", item, node, after[item])
		}
	}
}

// TestDeleteOneOfFourConnectorsRebalances (docs/assignment.md §5).
func TestDeleteOneOfFourConnectorsRebalances(t *testing.T) {
	c := cluster(t, 3, 30*time.Second)
	for _, name := range []string{"a", "b", "c", "d"} {
		createWork(t, c, name, 4)
	}
	waitBalanced(t, c, 20)
	req, _ := http.NewRequest(http.MethodDelete, c.URL(1)+"/connectors/b", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("delete: %v %v", err, resp)
	}
	resp.Body.Close()
	waitBalanced(t, c, 15)
	for item := range placement(c) {
		if strings.HasPrefix(item, "b") {
			t.Fatalf("%s still runs after delete", item)
		}
	}
}

// TestAddAndRemoveWorker (docs/assignment.md §5, §8): a fourth node (a Raft non-voter) takes its
// share of the work and hands it back when it is decommissioned.
func TestAddAndRemoveWorker(t *testing.T) {
	c := cluster(t, 3, 30*time.Second)
	createWork(t, c, "a", 7)
	waitBalanced(t, c, 8)
	excl := watchExclusivity(c)
	fourth := c.AddNode()
	waitBalanced(t, c, 8)
	if len(itemsOn(c, fourth)) == 0 {
		t.Fatal("the new node runs nothing")
	}
	resp, err := http.Post(c.URL(fourth)+"/connectd/leave", "application/json", nil)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("leave: %v %v", err, resp)
	}
	resp.Body.Close()
	<-c.Node(fourth).Done()
	c.Kill(fourth)
	waitBalanced(t, c, 8)
	excl.check(t)
}

// TestRequestsSucceedUnderRetriesDuringRebalances (docs/rest-contract.md §5): while nodes join
// and connectors come and go, every REST call succeeds within a small retry budget on 409.
func TestRequestsSucceedUnderRetriesDuringRebalances(t *testing.T) {
	c := cluster(t, 3, 30*time.Second)
	createWork(t, c, "base", 6)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.AddNode()
	}()
	for i := 0; i < 20; i++ {
		for attempt := 0; ; attempt++ {
			resp, err := http.Post(c.URL(i%3)+"/connectors", "application/json",
				strings.NewReader(fmt.Sprintf(`{"name":"r%d","config":{"connector.class":"io.connectd.test.FailingSourceConnector","tasks.max":"2"}}`, i)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == 201 {
				break
			}
			if resp.StatusCode != 409 || attempt == 5 {
				t.Fatalf("create r%d: %d after %d attempts", i, resp.StatusCode, attempt+1)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	<-done
	waitBalanced(t, c, 7+20*3)
}

// TestEagerProtocolMovesWorkSafely runs connect.protocol=eager through a node crash.
func TestEagerProtocolMovesWorkSafely(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.With("bootstrap.servers", testcluster.StartBroker(t)),
		testcluster.With("connect.protocol", "eager"), testcluster.With("scheduled.rebalance.max.delay.ms", "0"))
	createWork(t, c, "a", 5)
	waitBalanced(t, c, 6)
	excl := watchExclusivity(c)
	c.Kill(victimWithTasks(t, c))
	waitBalanced(t, c, 6)
	excl.check(t)
}
