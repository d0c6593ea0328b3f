package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/commit"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/signing"
	"github.com/connectd/connectd/internal/testcluster"
)

// call sends a JSON request and returns the status and body.
func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	return testcluster.Do(t, method, url, body)
}

// createConnector POSTs a connector, retrying Kafka Connect's retryable 409 as clients do; a
// retry (ours or the node's own, after a lost answer) that finds it there counts as created.
func createConnector(t *testing.T, url, body string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		code, resp := call(t, "POST", url+"/connectors", body)
		switch {
		case code == 201:
			return
		case code == 409 && strings.Contains(resp, "already exists"):
			return
		case code == 409 && strings.Contains(resp, "no known leader") && attempt < 20:
			continue
		}
		t.Fatalf("create: %d %s", code, resp)
	}
}

// TestRestartedNodeAnswersStartingUntilCaughtUp: after a full restart, a node that cannot yet
// reach a quorum answers connector reads 503 "starting" (and /health the same) instead of 404
// for a connector committed before the stop; once the cluster is back, no node ever says 404.
func TestRestartedNodeAnswersStartingUntilCaughtUp(t *testing.T) {
	c := testcluster.New(t, 3)
	createConnector(t, c.URL(0), `{"name":"src","config":{"connector.class":"FileStreamSource","file":"/nonexistent/in.txt","topic":"t"}}`)
	c.Stop()

	c.Start(0)
	code, body := call(t, "GET", c.URL(0)+"/connectors/src/config", "")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"error_code":503`) || !strings.Contains(body, "starting") {
		t.Fatalf("config read on a node without a quorum: %d %s, want 503 starting", code, body)
	}
	code, body = call(t, "GET", c.URL(0)+"/health", "")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"starting"`) {
		t.Fatalf("health on a starting node: %d %s", code, body)
	}
	if code, _ := call(t, "GET", c.URL(0)+"/", ""); code != 200 {
		t.Fatalf("GET / on a starting node: %d, want 200 at once", code)
	}

	c.Start(1)
	c.Start(2)
	for i := 0; i < 3; i++ {
		testcluster.Eventually(t, 20*time.Second, func() error {
			code, body := call(t, "GET", c.URL(i)+"/connectors/src/config", "")
			switch code {
			case 200:
				return nil
			case 503:
				return fmt.Errorf("node %d still starting: %s", i, body)
			}
			t.Fatalf("node %d answered %d %s for a committed connector", i, code, body)
			return nil
		})
	}
}

// TestStatusRightAfterCreate: a connector whose first status takes a few hundred ms (its start
// blocks) answers status, task status and task restart requests at once after its create,
// instead of 404 for a connector that exists.
func TestStatusRightAfterCreate(t *testing.T) {
	// A generous wait keeps the test steady on a loaded machine; without the wait the first
	// status is missing for the 400 ms the connector's start blocks.
	c := testcluster.New(t, 3, testcluster.With("rest.first.status.wait.ms", "10000"))
	follower := c.URL((c.WaitLeader() + 1) % 3)
	create := `{"name":"slow","config":{"connector.class":"io.connectd.test.FailingSourceConnector","tasks.max":"2","block.in":"connector.start","block.ms":"400"}}`
	createConnector(t, follower, create)
	code, body := call(t, "GET", follower+"/connectors/slow/status", "")
	if code != 200 {
		t.Fatalf("status right after create: %d %s", code, body)
	}
	var status struct {
		Connector struct{ State string } `json:"connector"`
	}
	if err := json.Unmarshal([]byte(body), &status); err != nil || status.Connector.State == "" {
		t.Fatalf("status body %s: %v", body, err)
	}
	if code, body := call(t, "GET", follower+"/connectors/slow/tasks/1/status", ""); code != 200 {
		t.Fatalf("task status right after create: %d %s", code, body)
	}

	createConnector(t, follower, strings.Replace(create, `"slow"`, `"slow2"`, 1))
	if code, body := call(t, "POST", follower+"/connectors/slow2/tasks/0/restart", ""); code != 204 {
		t.Fatalf("task restart right after create: %d %s", code, body)
	}
	createConnector(t, follower, strings.Replace(create, `"slow"`, `"slow3"`, 1))
	code, body = call(t, "GET", follower+"/connectors/slow3/tasks-config", "")
	if code != 200 || !strings.Contains(body, `"slow3-0":{`) || !strings.Contains(body, `"slow3-1":{`) {
		t.Fatalf("tasks-config right after create: %d %s", code, body)
	}
	// A read that finds nothing to wait for answers at once.
	start := time.Now()
	if code, _ := call(t, "GET", follower+"/connectors/nope/status", ""); code != 404 {
		t.Fatalf("status of an unknown connector: %d", code)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("status of an unknown connector took %s", d)
	}
}

// defaultRaftTimings are Raft's production timings: entries of several MiB take longer to encode,
// write and ship under the race detector than the tight test timings allow a leader.
var defaultRaftTimings = []testcluster.Option{testcluster.With("raft.heartbeat.timeout.ms", "1000"),
	testcluster.With("raft.election.timeout.ms", "1000"), testcluster.With("raft.leader.lease.timeout.ms", "500")}

// TestLargeTaskConfigsFromAFollower: task configs over the public 1 MiB body cap (8 tasks of a
// 200 KiB config) reach the leader from whichever node owns the connector. Three connectors put
// at least one on a follower.
func TestLargeTaskConfigsFromAFollower(t *testing.T) {
	c := testcluster.New(t, 3, defaultRaftTimings...)
	big := strings.Repeat("x", 200<<10)
	for i := 0; i < 3; i++ {
		createConnector(t, c.URL(0), fmt.Sprintf(`{"name":"big-%d","config":{"connector.class":"io.connectd.test.FailingSinkConnector","topics":"t","tasks.max":"8","padding":%q}}`, i, big))
	}
	testcluster.Eventually(t, 10*time.Second, func() error {
		state := c.Node(c.WaitLeader()).FSM().State()
		for i := 0; i < 3; i++ {
			if conn := state.Connector(fmt.Sprintf("big-%d", i)); conn == nil || len(conn.Tasks) != 8 {
				return fmt.Errorf("big-%d has no 8 tasks yet", i)
			}
		}
		return nil
	})
}

// TestSourceOffsetsOfManyPartitionsFromAFollower: a follower commits source offsets for 20,000
// partitions (several MiB) through the leader.
func TestSourceOffsetsOfManyPartitionsFromAFollower(t *testing.T) {
	c := testcluster.New(t, 3, defaultRaftTimings...)
	follower := (c.WaitLeader() + 1) % 3
	offsets := make([]fsm.OffsetEntry, 20000)
	for i := range offsets {
		offsets[i] = fsm.OffsetEntry{SourcePartition: map[string]any{"filename": fmt.Sprintf("/data/in-%05d.txt", i)}, Offset: map[string]any{"position": json.Number("123456")}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Node(follower).Apply(ctx, &fsm.SourceOffsets{Connector: "src", Offsets: offsets})
	if err != nil || res.Err != nil {
		t.Fatalf("commit offsets from a follower: %v %v", err, res.Err)
	}
	if n := len(c.Node(c.WaitLeader()).FSM().State().SourceOffsets("src")); n != 20000 {
		t.Fatalf("%d offsets committed, want 20000", n)
	}
}

// TestCommandOverTheInternalBound: a command above internal.max.body.bytes fails at once with
// an error that says so, on a follower as on the leader, instead of being retried.
func TestCommandOverTheInternalBound(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.With("internal.max.body.bytes", "65536"))
	leader := c.WaitLeader()
	for _, node := range []int{leader, (leader + 1) % 3} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.Node(node).Apply(ctx, &fsm.TaskConfigs{Name: "x", Tasks: []map[string]string{{"padding": strings.Repeat("x", 100<<10)}}})
		cancel()
		if !errors.Is(err, fsm.ErrCommandTooLarge) || !strings.Contains(err.Error(), "internal.max.body.bytes") {
			t.Fatalf("node %d: %v, want a command-too-large error naming internal.max.body.bytes", node, err)
		}
	}
}

// TestSlowRequestBodyIsCutOff: a client that sends headers and then trickles nothing of its body
// does not pin a connection past rest.read.timeout.ms.
func TestSlowRequestBodyIsCutOff(t *testing.T) {
	c := testcluster.New(t, 1, testcluster.With("cluster.bootstrap.expect", "1"), testcluster.With("rest.read.timeout.ms", "500"))
	conn, err := net.Dial("tcp", strings.TrimPrefix(c.URL(0), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /connectors/slow/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(conn)
	if d := time.Since(start); err != nil || d > 5*time.Second {
		t.Fatalf("connection held %s (err %v), want it closed soon after the 500 ms read timeout", d, err)
	}
}

// TestSignedGarbageIsRefused: a correctly signed internal apply whose body is not a command this
// build knows answers 400 and never reaches the log: every node stays healthy, also after a restart.
func TestSignedGarbageIsRefused(t *testing.T) {
	c := testcluster.New(t, 3)
	leader := c.WaitLeader()
	key := c.Node(leader).FSM().State().SessionKey()
	for _, body := range [][]byte{{0x7e, '{', '}'}, append([]byte{byte(fsm.ConnectorPutType)}, "garbage"...), {byte(fsm.TargetStateType)}} {
		req, _ := http.NewRequest(http.MethodPost, c.URL(leader)+commit.ApplyPath, bytes.NewReader(body))
		signing.Sign(req, key, body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(got), `"error_code":400`) {
			t.Fatalf("signed garbage %q: %d %s, want 400", body, resp.StatusCode, got)
		}
	}
	c.Shutdown((leader + 1) % 3)
	c.Start((leader + 1) % 3)
	c.WaitHealthy()
	createConnector(t, c.URL((leader+1)%3), `{"name":"after","config":{"connector.class":"FileStreamSource","file":"/nonexistent/in.txt","topic":"t"}}`)
}
