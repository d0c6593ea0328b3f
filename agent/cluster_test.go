package agent_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectd/connectd/agent"
	"github.com/connectd/connectd/commit"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/testcluster"
)

func put(t *testing.T, c *testcluster.Cluster, node int, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Node(node).Apply(ctx, &fsm.ConnectorPut{Name: name, Config: map[string]string{"name": name}})
	if err != nil || res.Err != nil {
		t.Fatalf("put %s on node %d: %v %v", name, node, err, res.Err)
	}
}

func waitConnector(t *testing.T, c *testcluster.Cluster, node int, name string, target fsm.TargetState) {
	t.Helper()
	testcluster.Eventually(t, 10*time.Second, func() error {
		conn := c.Node(node).FSM().State().Connector(name)
		if conn == nil || conn.Target != target {
			return fmt.Errorf("node %d: connector %s is %+v", node, name, conn)
		}
		return nil
	})
}

func TestLeaderFailover(t *testing.T) {
	c := testcluster.New(t, 3)
	leader := c.WaitLeader()
	put(t, c, (leader+1)%3, "before")
	c.Kill(leader)
	start := time.Now()
	survivor := (leader + 1) % 3
	put(t, c, survivor, "after")
	t.Logf("write accepted %s after the leader was killed", time.Since(start))
	for i := 0; i < 3; i++ {
		if i != leader {
			waitConnector(t, c, i, "after", fsm.TargetStarted)
		}
	}
}

func TestRestartedNodeCatchesUp(t *testing.T) {
	c := testcluster.New(t, 3)
	follower := (c.WaitLeader() + 1) % 3
	c.Kill(follower)
	other := (follower + 1) % 3
	for i := 0; i < 20; i++ {
		put(t, c, other, fmt.Sprintf("c%d", i))
	}
	c.Start(follower)
	waitConnector(t, c, follower, "c19", fsm.TargetStarted)
}

func TestFullClusterRestartKeepsState(t *testing.T) {
	c := testcluster.New(t, 3)
	put(t, c, 0, "running")
	put(t, c, 1, "paused")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Node(2).Apply(ctx, &fsm.TargetStateChange{Name: "paused", Target: fsm.TargetPaused}); err != nil {
		t.Fatal(err)
	}
	c.Stop()
	for i := 0; i < 3; i++ {
		c.Start(i)
	}
	c.WaitHealthy()
	for i := 0; i < 3; i++ {
		waitConnector(t, c, i, "running", fsm.TargetStarted)
		waitConnector(t, c, i, "paused", fsm.TargetPaused)
	}
	put(t, c, 0, "writable-again")
}

func TestFourthNodeJoinsAsNonVoter(t *testing.T) {
	c := testcluster.New(t, 3)
	i := c.AddNode()
	waitConnectorSeen := func() {
		put(t, c, 0, "seen-by-new-node")
		waitConnector(t, c, i, "seen-by-new-node", fsm.TargetStarted)
	}
	waitConnectorSeen()
	testcluster.Eventually(t, 10*time.Second, func() error {
		leader := c.Leader()
		if leader < 0 {
			return fmt.Errorf("no leader")
		}
		future := c.Node(leader).Raft().GetConfiguration()
		if err := future.Error(); err != nil {
			return err
		}
		voters, nonVoters := 0, 0
		for _, s := range future.Configuration().Servers {
			if s.Suffrage == 0 {
				voters++
			} else {
				nonVoters++
			}
		}
		if voters != 3 || nonVoters != 1 {
			return fmt.Errorf("%d voters, %d non-voters", voters, nonVoters)
		}
		return nil
	})
}

// TestQuorumLossRefusesWritesCleanly (docs/rest-contract.md §4): with two of three nodes down, a
// write to the survivor answers 409 (no leader) or 500 (timed out) within the request timeout,
// never hangs, and writes work again once a quorum is back.
func TestQuorumLossRefusesWritesCleanly(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.With("rest.request.timeout.ms", "3000"))
	put(t, c, 0, "before")
	survivor := c.WaitLeader()
	for i := 0; i < 3; i++ {
		if i != survivor {
			c.Kill(i)
		}
	}
	for attempt := 0; attempt < 2; attempt++ {
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPut, c.URL(survivor)+"/connectors/x/config",
			strings.NewReader(`{"connector.class":"FileStreamSource","topic":"t"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		ok409 := resp.StatusCode == 409 && strings.Contains(string(body), "no known leader URL")
		ok500 := resp.StatusCode == 500 && strings.Contains(string(body), "Request timed out")
		if !ok409 && !ok500 {
			t.Fatalf("write without quorum: %d %s", resp.StatusCode, body)
		}
		if took > 4*time.Second {
			t.Fatalf("write without quorum took %s, more than the request timeout", took)
		}
	}
	if code := getStatus(t, c.URL(survivor)+"/connectors/before"); code != 200 {
		t.Fatalf("reads must still be served from the applied state: %d", code)
	}
	for i := 0; i < 3; i++ {
		if i != survivor {
			c.Start(i)
		}
	}
	c.WaitLeader()
	put(t, c, survivor, "after")
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestLeasesHoldWhenTheLogEndsWithABarrier: entries that never reach the state machine (a
// barrier, the new leader's no-op, a configuration change) must not make a heartbeat wait for an
// index that no command will reach: the lease lapsed, and the worker stopped its instances.
func TestLeasesHoldWhenTheLogEndsWithABarrier(t *testing.T) {
	c := testcluster.New(t, 3)
	leader := c.WaitLeader()
	// Sources on a missing file run and then write nothing: a settled cluster stays quiet. Three
	// of them put instances on both followers, whose heartbeats are the ones that wait.
	for i := 0; i < 3; i++ {
		body := `{"connector.class":"FileStreamSource","file":"/nonexistent/in.txt","topic":"t","tasks.max":"1"}`
		req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/connectors/quiet-%d/config", c.URL((leader+1)%3), i), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	testcluster.Eventually(t, 10*time.Second, func() error {
		for i := 0; i < c.Size(); i++ {
			if len(c.Node(i).Running()) == 0 {
				return fmt.Errorf("node %d runs nothing yet", i)
			}
		}
		return nil
	})
	r := c.Node(leader).Raft()
	var settled uint64
	testcluster.Eventually(t, 10*time.Second, func() error {
		last := r.LastIndex()
		time.Sleep(time.Second)
		if settled = r.LastIndex(); settled != last {
			return fmt.Errorf("the log still grows: %d -> %d", last, settled)
		}
		return nil
	})
	if err := r.Barrier(time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	// Three lease lengths: a stalled heartbeat would have stopped and reported instances by then.
	time.Sleep(4500 * time.Millisecond)
	if grown := r.LastIndex() - settled; grown != 1 {
		t.Fatalf("%d entries after the barrier, want only the barrier: a lease lapsed", grown)
	}
}

// TestFollowerReadsItsOwnWrites: a write sent to a follower answers once the leader has
// committed it, and a read that follows on the same follower still sees it.
func TestFollowerReadsItsOwnWrites(t *testing.T) {
	c := testcluster.New(t, 3)
	follower := c.URL((c.WaitLeader() + 1) % 3)
	for i := 0; i < 50; i++ {
		file := fmt.Sprintf("/tmp/in-%d.txt", i)
		body := fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"t"}`, file)
		req, _ := http.NewRequest(http.MethodPut, follower+"/connectors/rw/config", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != 201 {
			t.Fatalf("write %d: status %d", i, resp.StatusCode)
		}
		resp, err = http.Get(follower + "/connectors/rw/config")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(got), fmt.Sprintf(`"file":%q`, file)) {
			t.Fatalf("read after write %d on the follower: %s", i, got)
		}
	}
}

// losingTransport loses the leader's answer to the next forwarded write once armed: the write
// reaches the leader, which commits it, and the forwarding node hears nothing back.
type losingTransport struct {
	next  http.RoundTripper
	armed atomic.Bool
}

func (l *losingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path != commit.ApplyPath || !l.armed.CompareAndSwap(true, false) {
		return l.next.RoundTrip(req)
	}
	resp, err := l.next.RoundTrip(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	<-req.Context().Done()
	return nil, req.Context().Err()
}

// A write on a follower whose forwarded command was committed but whose answer was lost is
// sent again. A PATCH applies its change again; a DELETE's second attempt finds the connector
// gone, and the client still hears 204, not 404, since its own delete did it.
func TestWritesWhoseAnswerWasLostSucceed(t *testing.T) {
	c := testcluster.New(t, 3)
	f := (c.WaitLeader() + 1) % 3
	losing := &losingTransport{}
	c.Shutdown(f)
	c.StartWith(f, agent.WithInternalTransport(func(next http.RoundTripper) http.RoundTripper {
		losing.next = next
		return losing
	}))
	c.WaitHealthy()
	testcluster.MustDo(t, 201, http.MethodPost, c.URL(f)+"/connectors",
		`{"name":"gone","config":{"connector.class":"FileStreamSource","file":"/tmp/gone.txt","topic":"t"}}`)
	losing.armed.Store(true)
	if code, body := testcluster.Do(t, http.MethodPatch, c.URL(f)+"/connectors/gone/config", `{"topic":"u"}`); code != http.StatusOK || !strings.Contains(body, `"topic":"u"`) {
		t.Fatalf("PATCH after a lost answer: %d %s, want 200 with the patched config", code, body)
	}
	losing.armed.Store(true)
	if code, body := testcluster.Do(t, http.MethodDelete, c.URL(f)+"/connectors/gone", ""); code != http.StatusNoContent {
		t.Fatalf("DELETE after a lost answer: %d %s, want 204", code, body)
	}
	if losing.armed.Load() {
		t.Fatal("the delete was not forwarded: no answer was lost")
	}
	testcluster.MustDo(t, 404, http.MethodGet, c.URL(f)+"/connectors/gone", "")
	if code, _ := testcluster.Do(t, http.MethodDelete, c.URL(f)+"/connectors/gone", ""); code != http.StatusNotFound {
		t.Fatalf("DELETE of a connector that is gone: %d, want 404", code)
	}
}
