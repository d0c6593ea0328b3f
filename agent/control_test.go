package agent_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// call sends a JSON request and returns the status and body.
func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
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
