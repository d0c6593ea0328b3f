package worker_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

type stateInfo struct {
	Connector struct {
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
		Trace    string `json:"trace"`
	} `json:"connector"`
	Tasks []struct {
		ID       int    `json:"id"`
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
		Trace    string `json:"trace"`
	} `json:"tasks"`
}

func status(t *testing.T, url, name string) (stateInfo, error) {
	code, body := testcluster.Do(t, "GET", url+"/connectors/"+name+"/status", "")
	var s stateInfo
	if code != 200 {
		return s, fmt.Errorf("status %d %s", code, body)
	}
	return s, json.Unmarshal([]byte(body), &s)
}

// waitState waits until the connector and exactly tasks tasks are in state.
func waitState(t *testing.T, url, name, state string, tasks int) stateInfo {
	t.Helper()
	var s stateInfo
	testcluster.Eventually(t, 30*time.Second, func() error {
		var err error
		if s, err = status(t, url, name); err != nil {
			return err
		}
		if s.Connector.State != state || len(s.Tasks) != tasks {
			return fmt.Errorf("%+v", s)
		}
		for _, task := range s.Tasks {
			if task.State != state {
				return fmt.Errorf("%+v", s)
			}
		}
		return nil
	})
	return s
}

func countLines(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n
}

func writeLines(t *testing.T, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := from; i < to; i++ {
		fmt.Fprintf(f, "line-%d\n", i)
	}
}

const stringConverters = `"key.converter":"org.apache.kafka.connect.storage.StringConverter","value.converter":"org.apache.kafka.connect.storage.StringConverter"`

func newCluster(t *testing.T, opts ...testcluster.Option) *testcluster.Cluster {
	opts = append([]testcluster.Option{
		testcluster.With("bootstrap.servers", testcluster.StartBroker(t)),
		testcluster.With("offset.flush.interval.ms", "200"),
		testcluster.With("scheduled.rebalance.max.delay.ms", "0"),
	}, opts...)
	return testcluster.New(t, 3, opts...)
}

// TestFilePipelineSurvivesSourceNodeKill sends a file through a topic into another file, kills
// the node running the source task mid-way, and checks that every line arrives.
func TestFilePipelineSurvivesSourceNodeKill(t *testing.T) {
	c := newCluster(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	writeLines(t, in, 0, 500)
	testcluster.MustDo(t, 201, "POST", c.URL(1)+"/connectors", fmt.Sprintf(`{"name":"src","config":{"connector.class":"FileStreamSource","file":%q,"topic":"lines",%s}}`, in, stringConverters))
	testcluster.MustDo(t, 201, "PUT", c.URL(2)+"/connectors/sink/config", fmt.Sprintf(`{"connector.class":"FileStreamSink","file":%q,"topics":"lines","tasks.max":"2",%s}`, out, stringConverters))
	src := waitState(t, c.URL(0), "src", "RUNNING", 1)
	waitState(t, c.URL(0), "sink", "RUNNING", 2)
	testcluster.Eventually(t, 20*time.Second, func() error {
		if n := countLines(out); n < 500 {
			return fmt.Errorf("%d lines delivered", n)
		}
		return nil
	})

	victim := -1
	for i := 0; i < c.Size(); i++ {
		if strings.HasSuffix(c.URL(i), src.Tasks[0].WorkerID) {
			victim = i
		}
	}
	c.Kill(victim)
	writeLines(t, in, 500, 1000)
	survivor := (victim + 1) % c.Size()
	testcluster.Eventually(t, 30*time.Second, func() error {
		s, err := status(t, c.URL(survivor), "src")
		if err != nil || len(s.Tasks) != 1 || s.Tasks[0].State != "RUNNING" || strings.HasSuffix(c.URL(victim), s.Tasks[0].WorkerID) {
			return fmt.Errorf("source task not running elsewhere yet: %+v %v", s, err)
		}
		return nil
	})
	// Every line must arrive; duplicates are allowed (at-least-once), losses are not.
	testcluster.Eventually(t, 30*time.Second, func() error {
		seen := map[string]bool{}
		f, err := os.Open(out)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			seen[sc.Text()] = true
		}
		for i := 0; i < 1000; i++ {
			if !seen[fmt.Sprintf("line-%d", i)] {
				return fmt.Errorf("line-%d has not arrived", i)
			}
		}
		return nil
	})
}

// TestTargetStates walks pause, resume, stop, resume and delete (docs/rest-contract.md §7).
func TestTargetStates(t *testing.T) {
	c := newCluster(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	writeLines(t, in, 0, 10)
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"src","config":{"connector.class":"FileStreamSource","file":%q,"topic":"t"}}`, in))
	waitState(t, c.URL(1), "src", "RUNNING", 1)
	testcluster.MustDo(t, 202, "PUT", c.URL(1)+"/connectors/src/pause", "")
	waitState(t, c.URL(2), "src", "PAUSED", 1)
	testcluster.MustDo(t, 202, "PUT", c.URL(2)+"/connectors/src/resume", "")
	waitState(t, c.URL(0), "src", "RUNNING", 1)
	testcluster.MustDo(t, 204, "PUT", c.URL(0)+"/connectors/src/stop", "")
	waitState(t, c.URL(1), "src", "STOPPED", 0)
	if body := testcluster.MustDo(t, 200, "GET", c.URL(2)+"/connectors/src/tasks", ""); strings.TrimSpace(body) != "[]" {
		t.Fatalf("a stopped connector has tasks: %s", body)
	}
	testcluster.MustDo(t, 202, "PUT", c.URL(1)+"/connectors/src/resume", "")
	waitState(t, c.URL(0), "src", "RUNNING", 1)
	testcluster.MustDo(t, 204, "DELETE", c.URL(0)+"/connectors/src", "")
	testcluster.Eventually(t, 10*time.Second, func() error {
		if code, _ := testcluster.Do(t, "GET", c.URL(2)+"/connectors/src/status", ""); code != 404 {
			return fmt.Errorf("status still %d after delete", code)
		}
		return nil
	})
}

// TestInitialStates creates connectors PAUSED and STOPPED (KIP-980).
func TestInitialStates(t *testing.T) {
	c := newCluster(t)
	in := filepath.Join(t.TempDir(), "in.txt")
	writeLines(t, in, 0, 1)
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"p","config":{"connector.class":"FileStreamSource","file":%q,"topic":"t"},"initial_state":"PAUSED"}`, in))
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"s","config":{"connector.class":"FileStreamSource","file":%q,"topic":"t"},"initial_state":"stopped"}`, in))
	waitState(t, c.URL(1), "p", "PAUSED", 1)
	waitState(t, c.URL(2), "s", "STOPPED", 0)
}

// TestFailedTaskShowsTraceAndRestarts fails a task on purpose, checks its trace, and recovers it
// through the restart API (docs/rest-contract.md §7).
func TestFailedTaskShowsTraceAndRestarts(t *testing.T) {
	c := newCluster(t)
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", `{"name":"f","config":{"connector.class":"io.connectd.test.FailingSourceConnector","tasks.max":"2","task.fail.on.start":"true","fail.message":"boom"}}`)
	var s stateInfo
	testcluster.Eventually(t, 20*time.Second, func() error {
		var err error
		if s, err = status(t, c.URL(1), "f"); err != nil {
			return err
		}
		if len(s.Tasks) != 2 || s.Tasks[0].State != "FAILED" || s.Tasks[1].State != "FAILED" {
			return fmt.Errorf("%+v", s)
		}
		return nil
	})
	if !strings.Contains(s.Tasks[0].Trace, "boom") || s.Connector.State != "RUNNING" {
		t.Fatalf("want FAILED tasks with the failure in the trace and a RUNNING connector: %+v", s)
	}
	body := testcluster.MustDo(t, 202, "POST", c.URL(2)+"/connectors/f/restart?includeTasks=true&onlyFailed=true", "")
	if !strings.Contains(body, `"state":"RESTARTING"`) || !strings.Contains(body, `"connector":{"state":"RUNNING"`) {
		t.Fatalf("restart plan: %s", body)
	}
	// Reconfigure so that the restarted tasks start cleanly; the config change restarts them.
	testcluster.MustDo(t, 200, "PATCH", c.URL(0)+"/connectors/f/config", `{"task.fail.on.start":"false"}`)
	waitState(t, c.URL(1), "f", "RUNNING", 2)
	testcluster.MustDo(t, 204, "POST", c.URL(1)+"/connectors/f/tasks/0/restart", "")
	testcluster.MustDo(t, 204, "POST", c.URL(1)+"/connectors/f/restart", "")
	waitState(t, c.URL(2), "f", "RUNNING", 2)
}

// TestSinkFailuresFailTheTask: a sink task's Open hook is called with its partitions before
// delivery, and its error fails the task with the error in the trace; so does a failing put.
func TestSinkFailuresFailTheTask(t *testing.T) {
	c := newCluster(t)
	in := filepath.Join(t.TempDir(), "in.txt")
	writeLines(t, in, 0, 3)
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"src","config":{"connector.class":"FileStreamSource","file":%q,"topic":"open-t"}}`, in))
	waitState(t, c.URL(0), "src", "RUNNING", 1)
	testcluster.MustDo(t, 201, "POST", c.URL(1)+"/connectors", `{"name":"snk","config":{"connector.class":"io.connectd.test.FailingSinkConnector","topics":"open-t","task.fail.on.open":"true","fail.message":"cannot open"}}`)
	waitTaskFailed(t, c.URL(2), "snk", "opening partitions: cannot open")
	// A failing put fails the task the same way (the run used to wait for its flush loop).
	testcluster.MustDo(t, 201, "POST", c.URL(1)+"/connectors", `{"name":"put","config":{"connector.class":"io.connectd.test.FailingSinkConnector","topics":"open-t","fail.after.ms":"1","fail.message":"cannot put"}}`)
	waitTaskFailed(t, c.URL(0), "put", "cannot put")
}

// waitTaskFailed waits until the connector's only task is FAILED with trace in its trace.
func waitTaskFailed(t *testing.T, url, name, trace string) {
	t.Helper()
	testcluster.Eventually(t, 30*time.Second, func() error {
		s, err := status(t, url, name)
		if err != nil {
			return err
		}
		if len(s.Tasks) != 1 || s.Tasks[0].State != "FAILED" || !strings.Contains(s.Tasks[0].Trace, trace) {
			return fmt.Errorf("%+v", s)
		}
		return nil
	})
}

// TestStuckTaskDoesNotBlockOthers deletes a connector whose task blocks in poll and checks that
// other connectors keep answering to target-state changes meanwhile.
func TestStuckTaskDoesNotBlockOthers(t *testing.T) {
	c := newCluster(t, testcluster.With("task.shutdown.graceful.timeout.ms", "500"))
	in := filepath.Join(t.TempDir(), "in.txt")
	writeLines(t, in, 0, 1)
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", `{"name":"stuck","config":{"connector.class":"io.connectd.test.FailingSourceConnector","block.in":"poll","block.ms":"60000"}}`)
	waitState(t, c.URL(0), "stuck", "RUNNING", 1)
	testcluster.MustDo(t, 201, "POST", c.URL(1)+"/connectors", fmt.Sprintf(`{"name":"ok","config":{"connector.class":"FileStreamSource","file":%q,"topic":"t"}}`, in))
	waitState(t, c.URL(2), "ok", "RUNNING", 1)
	start := time.Now()
	testcluster.MustDo(t, 204, "DELETE", c.URL(2)+"/connectors/stuck", "")
	testcluster.MustDo(t, 202, "PUT", c.URL(2)+"/connectors/ok/pause", "")
	waitState(t, c.URL(0), "ok", "PAUSED", 1)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("a stuck task held up other work for %s", d)
	}
}

// TestVerifiablePipelineHasNoGapsAfterNodeKill runs the verifiable source and sink, kills a node
// that runs source tasks, and audits every task's sequence numbers: none may be missing.
func TestVerifiablePipelineHasNoGapsAfterNodeKill(t *testing.T) {
	c := newCluster(t)
	out := filepath.Join(t.TempDir(), "audit.jsonl")
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", `{"name":"vsrc","config":{"connector.class":"VerifiableSource","topic":"seq","tasks.max":"3","throughput":"200",`+stringConverters+`}}`)
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"vsink","config":{"connector.class":"VerifiableSink","topics":"seq","file":%q,"tasks.max":"2",%s}}`, out, stringConverters))
	src := waitState(t, c.URL(1), "vsrc", "RUNNING", 3)
	waitState(t, c.URL(1), "vsink", "RUNNING", 2)
	time.Sleep(time.Second)

	victim := -1
	for i := 0; i < c.Size() && victim < 0; i++ {
		if i != c.Leader() && strings.HasSuffix(c.URL(i), src.Tasks[0].WorkerID) {
			victim = i
		}
	}
	if victim < 0 {
		victim = (c.Leader() + 1) % c.Size()
	}
	c.Kill(victim)
	survivor := (victim + 1) % c.Size()
	waitState(t, c.URL(survivor), "vsrc", "RUNNING", 3)
	time.Sleep(time.Second)
	testcluster.MustDo(t, 204, "PUT", c.URL(survivor)+"/connectors/vsrc/stop", "")
	waitState(t, c.URL(survivor), "vsrc", "STOPPED", 0)

	// Every sequence number committed as a source offset must be in the sink's file.
	highest := map[int]int64{}
	code, body := testcluster.Do(t, "GET", c.URL(survivor)+"/connectors/vsrc/offsets", "")
	if code != 200 {
		t.Fatalf("offsets: %d %s", code, body)
	}
	var offsets struct {
		Offsets []struct {
			Partition map[string]any `json:"partition"`
			Offset    map[string]any `json:"offset"`
		} `json:"offsets"`
	}
	if err := json.Unmarshal([]byte(body), &offsets); err != nil {
		t.Fatal(err)
	}
	for _, o := range offsets.Offsets {
		highest[int(o.Partition["task"].(float64))] = int64(o.Offset["seqno"].(float64))
	}
	if len(highest) != 3 {
		t.Fatalf("offsets of %d tasks committed: %s", len(highest), body)
	}
	var gaps []string
	testcluster.Eventually(t, 30*time.Second, func() error {
		seen := map[int]map[int64]int{}
		f, err := os.Open(out)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var rec struct {
				Task  int   `json:"task"`
				Seqno int64 `json:"seqno"`
			}
			if json.Unmarshal(sc.Bytes(), &rec) == nil {
				if seen[rec.Task] == nil {
					seen[rec.Task] = map[int64]int{}
				}
				seen[rec.Task][rec.Seqno]++
			}
		}
		gaps = gaps[:0]
		for task, top := range highest {
			for n := int64(0); n <= top; n++ {
				if seen[task][n] == 0 {
					gaps = append(gaps, fmt.Sprintf("task %d seqno %d", task, n))
				}
			}
		}
		if len(gaps) > 0 {
			return fmt.Errorf("%d records missing, first %s", len(gaps), gaps[0])
		}
		return nil
	})
}

// A producer override Kafka would refuse fails the task at start with Kafka's message, as a
// producer that cannot be constructed does in Kafka Connect; a valid one is used.
func TestProducerOverridesReachTheProducer(t *testing.T) {
	c := newCluster(t)
	in := filepath.Join(t.TempDir(), "in.txt")
	writeLines(t, in, 0, 10)
	testcluster.MustDo(t, 201, "PUT", c.URL(0)+"/connectors/bad/config", fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"o","producer.override.compression.type":"brotli"}`, in))
	testcluster.Eventually(t, 20*time.Second, func() error {
		s, err := status(t, c.URL(0), "bad")
		if err != nil || len(s.Tasks) != 1 || s.Tasks[0].State != "FAILED" {
			return fmt.Errorf("%+v %v", s, err)
		}
		if want := "Invalid value brotli for configuration compression.type"; !strings.Contains(s.Tasks[0].Trace, want) {
			t.Fatalf("trace %q lacks %q", s.Tasks[0].Trace, want)
		}
		return nil
	})
	testcluster.MustDo(t, 201, "PUT", c.URL(0)+"/connectors/good/config", fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"o2","producer.override.compression.type":"zstd","producer.override.linger.ms":"50"}`, in))
	testcluster.Eventually(t, 20*time.Second, func() error {
		if pos := committedPosition(t, c.URL(0), "good"); pos < 70 {
			return fmt.Errorf("committed position %d", pos)
		}
		return nil
	})
}

// A sink with consumer.override.auto.offset.reset=latest starts at the end of a topic that
// already holds records: it gets only what is written after it joined.
func TestSinkStartsAtLatestWhenTheConnectorSaysSo(t *testing.T) {
	c := newCluster(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	writeLines(t, in, 0, 100)
	testcluster.MustDo(t, 201, "PUT", c.URL(0)+"/connectors/src/config", fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"late",%s}`, in, stringConverters))
	testcluster.Eventually(t, 20*time.Second, func() error {
		if pos := committedPosition(t, c.URL(0), "src"); pos < 790 {
			return fmt.Errorf("committed position %d", pos)
		}
		return nil
	})
	testcluster.MustDo(t, 201, "PUT", c.URL(0)+"/connectors/sink/config", fmt.Sprintf(`{"connector.class":"FileStreamSink","file":%q,"topics":"late","consumer.override.auto.offset.reset":"latest",%s}`, out, stringConverters))
	next := 100
	testcluster.Eventually(t, 30*time.Second, func() error {
		// Lines keep coming until the sink, once its group has joined, receives some.
		writeLines(t, in, next, next+10)
		next += 10
		if n := countLines(out); n == 0 {
			return fmt.Errorf("nothing delivered yet")
		}
		return nil
	})
	data := mustRead(t, out)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var n int
		if _, err := fmt.Sscanf(line, "line-%d", &n); err != nil || n < 100 {
			t.Fatalf("the sink received %q, written before it started", line)
		}
	}
}
