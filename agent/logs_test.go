package agent_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/agent"
	"github.com/connectd/connectd/config"
	"github.com/connectd/connectd/internal/freeport"
	"github.com/connectd/connectd/internal/testcluster"
	"github.com/connectd/connectd/logging"
)

// syncBuffer is a bytes.Buffer safe for the node's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestJSONLogsCarryConnectorAndTask runs a node with log.format=json and a task that fails to
// start (no broker answers): each line is a JSON object, and the lines about the task name its
// connector and task.
func TestJSONLogsCarryConnectorAndTask(t *testing.T) {
	ports := freeport.Take(t, 3)
	cfg, err := config.Parse(map[string]string{
		"node.id": "n1", "data.dir": filepath.Join(t.TempDir(), "n1"), "log.format": "json",
		"listeners":     "http://127.0.0.1:" + strconv.Itoa(ports[0]),
		"raft.listener": "127.0.0.1:" + strconv.Itoa(ports[1]), "cluster.listener": "127.0.0.1:" + strconv.Itoa(ports[2]),
		"cluster.bootstrap.expect": "1", "bootstrap.servers": "127.0.0.1:1",
		"raft.heartbeat.timeout.ms": "300", "raft.election.timeout.ms": "300", "raft.leader.lease.timeout.ms": "150",
		"session.timeout.ms": "1500", "heartbeat.interval.ms": "300",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TestPlugins = true
	var out syncBuffer
	levels := logging.New(cfg.LogLevel)
	a, err := agent.Start(cfg, logging.NewLogger(levels, cfg.LogFormat, &out), levels)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Shutdown)
	body := `{"name":"boom","config":{"connector.class":"io.connectd.test.FailingSourceConnector"}}`
	testcluster.Eventually(t, 20*time.Second, func() error {
		resp, err := http.Post(a.RESTURL()+"/connectors", "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusConflict {
			return fmt.Errorf("create: %s", resp.Status)
		}
		if resp.StatusCode == http.StatusConflict {
			// Created by an earlier try that timed out, or a leader election under way.
			if r, err := http.Get(a.RESTURL() + "/connectors/boom"); err != nil || r.StatusCode != http.StatusOK {
				return fmt.Errorf("create: %s", resp.Status)
			}
		}
		return nil
	})
	testcluster.Eventually(t, 20*time.Second, func() error {
		found := false
		for _, line := range out.lines() {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				return fmt.Errorf("not a JSON log line: %q", line)
			}
			if !strings.HasPrefix(fmt.Sprint(rec["msg"]), "task failed") {
				continue
			}
			if rec["connector"] != "boom" || rec["task"] != 0.0 {
				return fmt.Errorf("a line about task boom-0 lacks its connector and task: %q", line)
			}
			found = true
		}
		if !found {
			return fmt.Errorf("no log line about the failed task yet")
		}
		return nil
	})
}
