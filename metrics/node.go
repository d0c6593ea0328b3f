// Package metrics measures a connectd node for Prometheus: Kafka Connect's seven metric groups
// (connector-metrics, connector-task-metrics, source-task-metrics, sink-task-metrics,
// task-error-metrics, connect-worker-metrics, connect-worker-rebalance-metrics) named
// kafka_connect_<group>_<metric>, and connectd's own (Raft, gossip, leases, REST, producer).
// Most values are read from existing state when scraped; the runtime counts the rest with
// atomics on per-task handles.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/connectd/connectd/fsm"
)

// Sources are what a node's collector reads at scrape time.
type Sources struct {
	// Node is the node id, as the assignment names it.
	Node string
	// Protocol is the worker's connect.protocol.
	Protocol string
	State    func() *fsm.State
	// ConnectorInfo gives a connector class's type ("source", "sink") and version.
	ConnectorInfo func(class string) (kind, version string)
	// LeaderURL is the REST URL of the current Raft leader ("" when there is none).
	LeaderURL func() string
	// Raft is hashicorp/raft's Stats().
	Raft func() map[string]string
	// Members counts gossip members by state (alive, suspect, dead, left).
	Members func() map[string]int
	// Lease is the worker's lease renewals and lapses so far.
	Lease func() (renewals, lapses int64)
}

// Node holds one node's metrics. A nil *Node (metrics.enable=false) records nothing, and the
// runtime's calls on it cost a nil check.
type Node struct {
	src      Sources
	registry *prometheus.Registry

	mu    sync.Mutex
	tasks map[fsm.TaskID]*Task

	// scrapeMu serializes scrapes, which share expo: its buffers, megabytes on a large worker,
	// are kept from one scrape to the next because growing them again was most of a scrape's
	// time (a sync.Pool loses them to the garbage collections that the page itself causes).
	scrapeMu sync.Mutex
	expo     *exposition

	connectorStarts, connectorFailures atomic.Int64
	taskStarts, taskFailures           atomic.Int64

	rebalances    atomic.Int64
	rebalanceTime stat // ns
	lastRebalance atomic.Int64
	rebalancing   atomic.Bool

	producerBatch prometheus.Histogram
	requests      *prometheus.HistogramVec
	commitLatency prometheus.Histogram
	leaderChanges prometheus.Counter
	snapshots     prometheus.Counter
	restores      prometheus.Counter
}

// New returns a node's metrics, registered with a registry of their own (several nodes can
// share a process in tests and in `connectd dev`).
func New(src Sources) *Node {
	n := &Node{src: src, registry: prometheus.NewRegistry(), tasks: map[fsm.TaskID]*Task{}, expo: newExposition()}
	n.producerBatch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "connectd_producer_batch_records", Help: "Records per batch that a source task's producer sent to Kafka.",
		Buckets: prometheus.ExponentialBuckets(1, 4, 9),
	})
	n.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "connectd_rest_request_duration_seconds", Help: "REST requests by route, method and status code, with their latency.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"route", "method", "code"})
	n.commitLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "connectd_raft_commit_seconds", Help: "Time from raft.Apply on this node, as leader, to the entry's commit and apply.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
	})
	n.leaderChanges = prometheus.NewCounter(prometheus.CounterOpts{Name: "connectd_raft_leader_changes_total", Help: "Raft leader changes this node observed."})
	n.snapshots = prometheus.NewCounter(prometheus.CounterOpts{Name: "connectd_raft_snapshots_total", Help: "Raft snapshots this node took."})
	n.restores = prometheus.NewCounter(prometheus.CounterOpts{Name: "connectd_raft_restores_total", Help: "Raft snapshots this node restored."})
	n.registry.MustRegister(n.producerBatch, n.requests, n.commitLatency, n.leaderChanges, n.snapshots, n.restores)
	return n
}

// Handler serves the node's metrics in Prometheus' text format: the registry's, then the
// state-derived series.
func (n *Node) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fams, err := n.registry.Gather()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		n.scrapeMu.Lock()
		defer n.scrapeMu.Unlock()
		e := n.expo
		defer e.reset()
		(&collector{n: n}).collect(e)
		w.Header().Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
		enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, f := range fams {
			if err := enc.Encode(f); err != nil {
				return
			}
		}
		_ = e.writeTo(w)
	})
}

// NewTask returns the counters of a task that starts on this worker. sink says the task's kind.
func (n *Node) NewTask(connector string, task int, sink bool) *Task {
	if n == nil {
		return nil
	}
	t := newTask(connector, task, sink, time.Now())
	n.mu.Lock()
	n.tasks[fsm.TaskID{Connector: connector, Task: task}] = t
	n.mu.Unlock()
	return t
}

// RemoveTask forgets a task that stopped on this worker, unless another start replaced it.
func (n *Node) RemoveTask(t *Task) {
	if n == nil || t == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if k := (fsm.TaskID{Connector: t.connector, Task: t.task}); n.tasks[k] == t {
		delete(n.tasks, k)
	}
}

func (n *Node) taskList() []*Task {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*Task, 0, len(n.tasks))
	for _, t := range n.tasks {
		out = append(out, t)
	}
	return out
}

// ConnectorStarted records a connector start attempt and whether it failed.
func (n *Node) ConnectorStarted(err error) {
	if n == nil {
		return
	}
	n.connectorStarts.Add(1)
	if err != nil {
		n.connectorFailures.Add(1)
	}
}

// TaskStarted records a task start attempt and whether it failed.
func (n *Node) TaskStarted(err error) {
	if n == nil {
		return
	}
	n.taskStarts.Add(1)
	if err != nil {
		n.taskFailures.Add(1)
	}
}

// Rebalancing records that the worker started acting on a new assignment.
func (n *Node) Rebalancing() {
	if n == nil {
		return
	}
	n.rebalancing.Store(true)
}

// Rebalanced records that the worker finished acting on a new assignment, and how long it took.
func (n *Node) Rebalanced(took time.Duration) {
	if n == nil {
		return
	}
	n.rebalances.Add(1)
	n.rebalanceTime.observe(int64(took))
	n.lastRebalance.Store(time.Now().UnixNano())
	n.rebalancing.Store(false)
}

// ProducerBatch records the size of a batch a source task's producer had acknowledged.
func (n *Node) ProducerBatch(records int) {
	if n == nil {
		return
	}
	n.producerBatch.Observe(float64(records))
}

// Request records a REST request: its route template, method, status code and latency.
func (n *Node) Request(route, method string, code int, took time.Duration) {
	if n == nil {
		return
	}
	n.requests.WithLabelValues(route, method, strconv.Itoa(code)).Observe(took.Seconds())
}

// RaftCommit records how long a write this node led took to commit and apply.
func (n *Node) RaftCommit(took time.Duration) {
	if n == nil {
		return
	}
	n.commitLatency.Observe(took.Seconds())
}

// LeaderChanged records a change of Raft leader.
func (n *Node) LeaderChanged() {
	if n == nil {
		return
	}
	n.leaderChanges.Inc()
}

// Snapshotted records a Raft snapshot of the state machine.
func (n *Node) Snapshotted() {
	if n == nil {
		return
	}
	n.snapshots.Inc()
}

// Restored records a Raft snapshot restored into the state machine.
func (n *Node) Restored() {
	if n == nil {
		return
	}
	n.restores.Inc()
}
