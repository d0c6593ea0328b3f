// Package testcluster starts in-process connectd clusters for tests: real Raft over loopback
// TCP, real memberlist gossip, bolt stores in temp dirs, and tightened timings.
package testcluster

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/agent"
	"github.com/connectd/connectd/broker"
	"github.com/connectd/connectd/config"
	"github.com/connectd/connectd/internal/freeport"
	"github.com/connectd/connectd/logging"
)

// Cluster is a set of in-process nodes. Node i keeps its ports and data dir across restarts.
type Cluster struct {
	t     testing.TB
	props []map[string]string
	// mu guards nodes, which tests read from watcher goroutines while they kill and start nodes.
	mu    sync.Mutex
	nodes []*agent.Agent
}

// Option changes every node's worker properties.
type Option func(props map[string]string)

// With sets a worker property on every node.
func With(key, value string) Option {
	return func(props map[string]string) { props[key] = value }
}

// TightTimings are the Raft and gossip timings of test clusters: elections in a few hundred
// milliseconds and failure detection in about a second.
var TightTimings = map[string]string{
	"raft.heartbeat.timeout.ms":    "300",
	"raft.election.timeout.ms":     "300",
	"raft.leader.lease.timeout.ms": "150",
	"raft.commit.timeout.ms":       "5",
	"gossip.probe.interval.ms":     "100",
	"gossip.probe.timeout.ms":      "50",
	"gossip.suspicion.mult":        "2",
	"gossip.interval.ms":           "20",
	"session.timeout.ms":           "1500",
	"heartbeat.interval.ms":        "300",
}

// New starts an n-node cluster that bootstraps together and stops it when the test ends. It
// returns once every node reports healthy.
func New(t testing.TB, n int, opts ...Option) *Cluster {
	t.Helper()
	c := &Cluster{t: t}
	dir := t.TempDir()
	ports := freeport.Take(t, 3*n)
	var joins []string
	for i := 0; i < n; i++ {
		joins = append(joins, "127.0.0.1:"+strconv.Itoa(ports[3*i+2]))
	}
	for i := 0; i < n; i++ {
		props := map[string]string{
			"node.id":                  fmt.Sprintf("node-%d", i+1),
			"data.dir":                 filepath.Join(dir, fmt.Sprintf("node-%d", i+1)),
			"listeners":                "http://127.0.0.1:" + strconv.Itoa(ports[3*i]),
			"raft.listener":            "127.0.0.1:" + strconv.Itoa(ports[3*i+1]),
			"cluster.listener":         "127.0.0.1:" + strconv.Itoa(ports[3*i+2]),
			"cluster.join":             strings.Join(joins, ","),
			"cluster.bootstrap.expect": strconv.Itoa(n),
			"bootstrap.servers":        "127.0.0.1:1",
			// Tests write their FileStream files in their own temp dirs.
			"filestream.allowed.paths": "*",
		}
		for k, v := range TightTimings {
			props[k] = v
		}
		for _, o := range opts {
			o(props)
		}
		c.props = append(c.props, props)
		c.nodes = append(c.nodes, nil)
	}
	t.Cleanup(c.Stop)
	for i := range c.nodes {
		c.Start(i)
	}
	c.WaitHealthy()
	return c
}

// AddNode starts one more node that joins the running cluster; it returns its index.
func (c *Cluster) AddNode(opts ...Option) int {
	c.t.Helper()
	ports := freeport.Take(c.t, 3)
	c.mu.Lock()
	i := len(c.props)
	first := c.props[0]
	c.mu.Unlock()
	props := map[string]string{}
	for k, v := range first {
		props[k] = v
	}
	props["node.id"] = fmt.Sprintf("node-%d", i+1)
	props["data.dir"] = filepath.Join(filepath.Dir(first["data.dir"]), fmt.Sprintf("node-%d", i+1))
	props["listeners"] = "http://127.0.0.1:" + strconv.Itoa(ports[0])
	props["raft.listener"] = "127.0.0.1:" + strconv.Itoa(ports[1])
	props["cluster.listener"] = "127.0.0.1:" + strconv.Itoa(ports[2])
	for _, o := range opts {
		o(props)
	}
	c.mu.Lock()
	c.props = append(c.props, props)
	c.nodes = append(c.nodes, nil)
	c.mu.Unlock()
	c.Start(i)
	return i
}

// Start starts (or restarts) node i with its data dir and ports.
func (c *Cluster) Start(i int) {
	c.t.Helper()
	c.StartWith(i)
}

// StartWith starts (or restarts) node i as Start does, built with opts.
func (c *Cluster) StartWith(i int, opts ...agent.Option) {
	c.t.Helper()
	cfg, err := config.Parse(c.propsOf(i), nil)
	if err != nil {
		c.t.Fatalf("node %d config: %v", i, err)
	}
	cfg.TestPlugins = true
	// Formatting debug records only to discard them would slow every test down.
	root := slog.LevelInfo
	if os.Getenv("CONNECTD_TEST_LOG") != "" {
		root = slog.LevelDebug
	}
	levels := logging.New(root)
	a, err := agent.Start(cfg, c.logger(i, levels), levels, opts...)
	if err != nil {
		c.t.Fatalf("start node %d: %v", i, err)
	}
	c.mu.Lock()
	c.nodes[i] = a
	c.mu.Unlock()
}

// take removes node i from the cluster's running set and returns it (nil if stopped).
func (c *Cluster) take(i int) *agent.Agent {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.nodes[i]
	c.nodes[i] = nil
	return a
}

// logger discards logs unless CONNECTD_TEST_LOG is set.
func (c *Cluster) logger(i int, levels *logging.Levels) *slog.Logger {
	w := io.Discard
	if os.Getenv("CONNECTD_TEST_LOG") != "" {
		w = os.Stderr
	}
	return slog.New(levels.Handler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))).With("test_node", i)
}

// Kill stops node i as a crash would: no leadership hand-over, no leave.
func (c *Cluster) Kill(i int) {
	if a := c.take(i); a != nil {
		a.Halt()
	}
}

// Shutdown stops node i as SIGTERM would: a leader hands over leadership; the node stays a member.
func (c *Cluster) Shutdown(i int) {
	if a := c.take(i); a != nil {
		a.Shutdown()
	}
}

// Stop stops every node.
func (c *Cluster) Stop() {
	for i := 0; i < c.Size(); i++ {
		c.Shutdown(i)
	}
}

// Node returns node i (nil while it is stopped).
func (c *Cluster) Node(i int) *agent.Agent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

// Size is the number of nodes, running or not.
func (c *Cluster) Size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.nodes)
}

// URL is node i's REST base URL.
func (c *Cluster) URL(i int) string {
	return c.propsOf(i)["listeners"]
}

// Prop is one of node i's worker properties.
func (c *Cluster) Prop(i int, key string) string {
	return c.propsOf(i)[key]
}

// DataDir is node i's data directory.
func (c *Cluster) DataDir(i int) string {
	return c.propsOf(i)["data.dir"]
}

// propsOf is node i's configuration; AddNode may grow the list while tests read it.
func (c *Cluster) propsOf(i int) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.props[i]
}

// Leader returns the index of the running node that is Raft leader, or -1.
func (c *Cluster) Leader() int {
	for i := 0; i < c.Size(); i++ {
		if a := c.Node(i); a != nil && a.IsLeader() {
			return i
		}
	}
	return -1
}

// WaitLeader waits until some running node leads and returns its index.
func (c *Cluster) WaitLeader() int {
	c.t.Helper()
	leader := -1
	Eventually(c.t, 15*time.Second, func() error {
		if leader = c.Leader(); leader < 0 {
			return fmt.Errorf("no leader")
		}
		return nil
	})
	return leader
}

// WaitHealthy waits until every running node answers GET /health with 200.
func (c *Cluster) WaitHealthy() {
	c.t.Helper()
	Eventually(c.t, 30*time.Second, func() error {
		for i := 0; i < c.Size(); i++ {
			a := c.Node(i)
			if a == nil {
				continue
			}
			if h := a.Health(); !h.Healthy {
				return fmt.Errorf("node %d: %s", i, h.Stage)
			}
		}
		return nil
	})
}

// Eventually retries f until it returns nil or timeout passes, then fails the test with f's last
// error. Tests wait with it instead of sleeping.
func Eventually(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// StartBroker starts an embedded Kafka-protocol broker on a free loopback port for the test and
// returns its bootstrap address; use it with With("bootstrap.servers", addr).
func StartBroker(t testing.TB) string {
	t.Helper()
	b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b.Addr()
}
