package ctl_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/ctl"
	"github.com/connectd/connectd/internal/freeport"
	"github.com/connectd/connectd/internal/testcluster"
)

// cli runs `connectd ctl` in process with CONNECTD_URL set to urls.
type cli struct {
	t    *testing.T
	urls string
}

func (c cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	env := func(k string) string {
		if k == ctl.URLEnv {
			return c.urls
		}
		return ""
	}
	code = ctl.Main(args, env, &out, &errOut)
	return code, out.String(), errOut.String()
}

// ok runs a command that must succeed, retrying while the cluster answers 409 (an election or
// rebalance under way, which clients retry).
func (c cli) ok(args ...string) string {
	c.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, out, errOut := c.run(args...)
		if code == ctl.ExitOK {
			return out
		}
		if !strings.Contains(errOut, "momentarily") && !strings.Contains(errOut, "rebalance") || time.Now().After(deadline) {
			c.t.Fatalf("ctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCtlEndToEnd drives a three-node cluster with the client only, trying a dead node first.
func TestCtlEndToEnd(t *testing.T) {
	c := testcluster.New(t, 3,
		testcluster.With("bootstrap.servers", testcluster.StartBroker(t)),
		testcluster.With("offset.flush.interval.ms", "100"),
		testcluster.With("scheduled.rebalance.max.delay.ms", "0"))
	c.WaitHealthy()
	dead := fmt.Sprintf("http://127.0.0.1:%d", freeport.Take(t, 1)[0])
	cl := cli{t: t, urls: dead + "," + c.URL(1) + "," + c.URL(2)}

	in := writeFile(t, "in.txt", "a\nb\nc\n")
	props := writeFile(t, "src.properties", fmt.Sprintf("name=src\nconnector.class=FileStreamSource\nfile=%s\ntopic=lines\ntasks.max=1\n", in))
	if out := cl.ok("apply", "-f", props, "--wait", "running"); !strings.Contains(out, "Created connector src") {
		t.Fatalf("apply: %q", out)
	}
	if out := cl.ok("apply", "-f", props); !strings.Contains(out, "Updated connector src") {
		t.Fatalf("apply again: %q", out)
	}
	out := cl.ok("get", "connectors")
	if !regexp.MustCompile(`(?m)^NAME\s+TYPE\s+STATE\s+TASKS RUNNING\s+WORKER\s+CLASS$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^src\s+source\s+RUNNING\s+1/1\s+127\.0\.0\.1:\d+\s+FileStreamSource\s*$`).MatchString(out) {
		t.Fatalf("get connectors:\n%s", out)
	}
	var asJSON map[string]struct {
		Status struct {
			Connector struct{ State string } `json:"connector"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(cl.ok("get", "connectors", "-o", "json")), &asJSON); err != nil || asJSON["src"].Status.Connector.State != "RUNNING" {
		t.Fatalf("get connectors -o json: %v %+v", err, asJSON)
	}
	out = cl.ok("describe", "connector", "src")
	for _, want := range []string{"Name:", "src", "State:", "RUNNING", "file:", in, "Tasks:", "Topics:", "lines"} {
		if !strings.Contains(out, want) {
			t.Fatalf("describe lacks %q:\n%s", want, out)
		}
	}
	if out := cl.ok("patch", "connector", "src", "-s", "topic=lines2", "--wait", "running"); !strings.Contains(out, "Patched connector src") {
		t.Fatalf("patch: %q", out)
	}
	if out := cl.ok("describe", "connector", "src", "-o", "json"); !strings.Contains(out, `"topic": "lines2"`) {
		t.Fatalf("patch did not change the topic:\n%s", out)
	}
	cl.ok("pause", "connector", "src", "--wait", "paused")
	if out := cl.ok("get", "connectors"); !regexp.MustCompile(`(?m)^src\s+source\s+PAUSED\s+0/1`).MatchString(out) {
		t.Fatalf("after pause:\n%s", out)
	}
	cl.ok("stop", "connector", "src", "--wait", "stopped")
	if out := cl.ok("get", "offsets", "src"); !strings.Contains(out, "PARTITION") || !strings.Contains(out, `"position":6`) {
		t.Fatalf("get offsets:\n%s", out)
	}
	if out := cl.ok("offsets", "reset", "src"); !strings.Contains(out, "The offsets for this connector have been reset successfully") {
		t.Fatalf("offsets reset: %q", out)
	}
	alter := writeFile(t, "offsets.json", fmt.Sprintf(`{"offsets":[{"partition":{"filename":%q},"offset":{"position":2}}]}`, in))
	if out := cl.ok("offsets", "alter", "src", "-f", alter); !strings.Contains(out, "altered successfully") {
		t.Fatalf("offsets alter: %q", out)
	}
	cl.ok("resume", "connector", "src", "--wait", "running")
	if out := cl.ok("restart", "connector", "src", "--tasks", "--failed"); !strings.Contains(out, "Restarted connector src") {
		t.Fatalf("restart: %q", out)
	}

	out = cl.ok("get", "nodes")
	if n := len(regexp.MustCompile(`(?m)^node-\S+\s+alive\s+(leader|follower)\s+http://`).FindAllString(out, -1)); n != 3 {
		t.Fatalf("get nodes shows %d nodes:\n%s", n, out)
	}
	if n := strings.Count(out, " leader "); n != 1 {
		t.Fatalf("get nodes shows %d leaders:\n%s", n, out)
	}
	if out := cl.ok("get", "plugins"); !strings.Contains(out, "org.apache.kafka.connect.file.FileStreamSinkConnector") {
		t.Fatalf("get plugins:\n%s", out)
	}
	cl.ok("logs", "level", "connectd.api", "DEBUG")
	if out := cl.ok("get", "loggers"); !regexp.MustCompile(`(?m)^connectd\.api\s+DEBUG$`).MatchString(out) {
		t.Fatalf("get loggers:\n%s", out)
	}
	if out := cl.ok("delete", "connector", "src"); !strings.Contains(out, "Deleted connector src") {
		t.Fatalf("delete: %q", out)
	}

	// Errors: Kafka Connect's message, and an exit code per kind.
	cases := []struct {
		args       []string
		urls       string
		wantCode   int
		wantStderr string
	}{
		{[]string{"describe", "connector", "nope"}, "", ctl.ExitRefused, "Connector nope not found\n"},
		{[]string{"apply", "-f", writeFile(t, "bad.json", `{"name":"bad","config":{"connector.class":"FileStreamSource","topic":"t","tasks.max":"0"}}`)}, "", ctl.ExitRefused, "Invalid value 0 for configuration tasks.max: Value must be at least 1"},
		{[]string{"get", "widgets"}, "", ctl.ExitUsage, `cannot get "widgets"`},
		{[]string{"pause", "connector"}, "", ctl.ExitUsage, "needs a connector name"},
		{[]string{"get", "connectors", "-o", "yaml"}, "", ctl.ExitUsage, "unknown output format"},
		{[]string{"get", "connectors"}, dead, ctl.ExitUnreachable, "no connectd node answered"},
		{[]string{"apply", "-f", writeFile(t, "fail.json", `{"name":"fails","config":{"connector.class":"io.connectd.test.FailingSourceConnector","task.fail.on.start":"true","fail.message":"boom"}}`), "--wait", "running"}, "", ctl.ExitWait, "connector fails failed while waiting for RUNNING"},
	}
	for _, tc := range cases {
		runner := cl
		if tc.urls != "" {
			runner.urls = tc.urls
		}
		code, stdout, stderr := runner.run(tc.args...)
		if code != tc.wantCode || !strings.Contains(stderr, tc.wantStderr) {
			t.Errorf("ctl %s: exit %d (want %d)\nstdout: %s\nstderr: %s (want %q)", strings.Join(tc.args, " "), code, tc.wantCode, stdout, stderr, tc.wantStderr)
		}
	}
}

// TestWaitPrintsProgress checks the progress line of a long --wait and its time-out exit code.
func TestWaitPrintsProgress(t *testing.T) {
	c := testcluster.New(t, 1, testcluster.With("cluster.bootstrap.expect", "1"))
	cl := cli{t: t, urls: c.URL(0)}
	// Without a broker the source task cannot produce, but it runs; a connector that blocks in
	// start stays short of RUNNING.
	spec := writeFile(t, "slow.json", `{"name":"slow","config":{"connector.class":"io.connectd.test.FailingSourceConnector","block.in":"connector.start"}}`)
	code, out, errOut := cl.run("apply", "-f", spec, "--wait", "running", "--timeout", "3s")
	if code != ctl.ExitWait || !strings.Contains(errOut, "waiting for connector slow to be RUNNING") || !strings.Contains(errOut, "not RUNNING after 3s") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}
