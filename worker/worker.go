// Package worker runs the connectors and tasks the committed assignment gives
// this node, moves their records through Kafka with sarama, and reports their status and source
// offsets through the Raft leader.
package worker

import (
	"context"
	"github.com/connectd/connectd/configprovider"
	"github.com/connectd/connectd/kafka"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/retry"
	"github.com/connectd/connectd/metrics"
	"github.com/connectd/connectd/plugins"
)

// Config holds the worker settings the worker uses.
type Config struct {
	WorkerID            string
	BootstrapServers    []string
	OffsetFlushInterval time.Duration
	OffsetFlushTimeout  time.Duration
	TaskShutdownTimeout time.Duration
	SessionTimeout      time.Duration
	HeartbeatInterval   time.Duration
	TopicTracking       bool
	TopicCreation       bool
	// WorkerProps are the worker's properties; converter defaults and client settings come from them.
	WorkerProps map[string]string
	// ConfigProviders resolve ${provider:path:key} placeholders when a connector or task starts.
	ConfigProviders *configprovider.Providers
}

// Deps is what the worker needs from its node.
type Deps struct {
	Node     string
	Session  string
	FSM      *fsm.FSM
	Registry *plugins.Registry
	// Apply commits a command through the Raft leader.
	Apply func(ctx context.Context, cmd fsm.Command) (fsm.Result, error)
	// Heartbeat asks the current leader to renew this session's lease.
	Heartbeat func(ctx context.Context) error
	Logger    *slog.Logger
	// Metrics counts what the worker does; nil when metrics.enable is false.
	Metrics *metrics.Node
}

// instance is a running connector or task. Its methods never block on plugin code.
type instance interface {
	// update hands the instance the latest committed spec; it reacts asynchronously.
	update(spec *fsm.Connector)
	// authorize lets the instance's data-plane steps go on in a lease epoch (see permit).
	authorize(epoch uint64)
	// stop stops the instance, waiting at most timeout for the plugin; when it returns, the
	// instance's Kafka clients are closed, so it can no longer produce or commit.
	stop(timeout time.Duration)
}

// Worker runs this node's share of the work.
type Worker struct {
	cfg    Config
	deps   Deps
	logger *slog.Logger
	lease  *lease
	status *statusReporter
	// running is owned by the Run goroutine; runningMu guards it for Running.
	running map[fsm.TaskID]instance
	// pushed is the spec each instance last received; stored specs are immutable and replaced on
	// change, so an unchanged pointer means nothing to tell the instance.
	pushed    map[fsm.TaskID]*fsm.Connector
	runningMu sync.Mutex
	acked     uint64
	// draining is set by Drain: the worker gives up all its work for good.
	draining atomic.Bool
	wake     chan struct{}
	// progress tells /health whether the loop is stuck in a reconcile.
	progress progress

	// clientMu guards client, the Kafka connections this worker's source tasks share; each task
	// still has its own producer, which is what stopping a task closes. A connector that logs in
	// as its own principal (producer.override.sasl.* and the like) has connections of its own,
	// in own; losing the lease drops them too.
	clientMu sync.Mutex
	client   sarama.Client
	own      map[sarama.Client]bool

	wg sync.WaitGroup
}

// New returns a worker; Run starts it.
func New(cfg Config, deps Deps) *Worker {
	w := &Worker{cfg: cfg, deps: deps, logger: deps.Logger.With("component", "worker"), lease: newLease(),
		running: map[fsm.TaskID]instance{}, pushed: map[fsm.TaskID]*fsm.Connector{}, wake: make(chan struct{}, 1)}
	w.status = newStatusReporter(w)
	return w
}

// Run runs the worker until ctx ends, then stops everything it runs.
func (w *Worker) Run(ctx context.Context) {
	w.wg.Add(2)
	go func() {
		defer w.wg.Done()
		w.renewLease(ctx)
	}()
	go func() {
		defer w.wg.Done()
		w.status.run(ctx)
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var last reconcileInputs
	for {
		// The lease is read before the state: a renewal counts only once the state it was
		// granted on is applied, so this state is at least that new.
		g := w.lease.current()
		state := w.deps.FSM.State()
		// Status and offset writes change the state far more often than what a worker runs.
		if in := w.inputs(state, g); in.differ(last) {
			began := time.Now()
			w.progress.busy(began)
			rebalance := last.assignment == nil || in.assignment.Generation != last.assignment.Generation
			if rebalance {
				w.deps.Metrics.Rebalancing()
			}
			w.reconcile(ctx, state, g)
			if rebalance {
				w.deps.Metrics.Rebalanced(time.Since(began))
			}
			last = in
			w.progress.idle()
		}
		timer.Reset(untilLeaseCheck(g.expires))
		select {
		case <-ctx.Done():
			w.stopAll(nil)
			w.wg.Wait()
			w.dropProducerConnections()
			return
		case <-state.WatchCh():
		case <-w.lease.changed:
		case <-w.wake:
		case <-timer.C:
		}
	}
}

// reconcileInputs is what a reconcile depends on.
type reconcileInputs struct {
	assignment *fsm.Assignment
	connectors <-chan struct{}
	leased     bool
	epoch      uint64
	draining   bool
	ackDue     bool
}

func (w *Worker) inputs(state *fsm.State, g grant) reconcileInputs {
	a := state.Assignment()
	_, pending := a.PendingStops[w.deps.Node]
	return reconcileInputs{assignment: a, connectors: state.ConnectorsWatch(), leased: g.valid(time.Now()), epoch: g.epoch,
		draining: w.draining.Load(), ackDue: pending && w.acked != a.Generation}
}

// differ reports whether a reconcile is due: the assignment, a connector or the lease (its
// validity or epoch) changed since last, or a stop acknowledgement is still to be committed.
func (in reconcileInputs) differ(last reconcileInputs) bool {
	if in.ackDue || last.connectors == nil || in.assignment != last.assignment || in.leased != last.leased ||
		in.epoch != last.epoch || in.draining != last.draining {
		return true
	}
	select {
	case <-last.connectors:
		return true
	default:
		return false
	}
}

func untilLeaseCheck(expiry time.Time) time.Duration {
	d := time.Until(expiry)
	if d <= 0 {
		return time.Second
	}
	return d + time.Millisecond
}

// reconcile makes the set of running instances match this node's slice of the assignment in
// state, which is at least as new as the lease reading g.
func (w *Worker) reconcile(ctx context.Context, state *fsm.State, g grant) {
	a := state.Assignment()
	ours := a.Sessions[w.deps.Node] == w.deps.Session
	desired := make(map[fsm.TaskID]*fsm.Connector, len(w.running))
	leased := g.valid(time.Now())
	if !leased {
		// Cut the producers' connections before stopping the tasks: records they still buffer
		// must not reach Kafka after the work has moved (a cut-off node delivered them seconds
		// late once the network healed), and without connections the tasks stop at once.
		w.dropProducerConnections()
	}
	if ours && leased && !w.draining.Load() {
		mine := a.Owned[w.deps.Node]
		for _, name := range mine.Connectors {
			if c := state.Connector(name); c != nil {
				desired[fsm.ConnectorInstance(name)] = c
			}
		}
		// Tasks are sorted by connector: look each connector up once.
		var c *fsm.Connector
		for _, t := range mine.Tasks {
			if c == nil || c.Name != t.Connector {
				c = state.Connector(t.Connector)
			}
			if c != nil && t.Task < len(c.Tasks) {
				desired[fsm.TaskID{Connector: t.Connector, Task: t.Task}] = c
			}
		}
	}
	// What this state still gives the worker may go on in the lease's epoch at once; the rest
	// stays held by its permit while it stops.
	for k := range desired {
		if inst, ok := w.running[k]; ok {
			inst.authorize(g.epoch)
		}
	}
	w.stopAll(desired)
	if _, pending := a.PendingStops[w.deps.Node]; pending && ours && w.acked != a.Generation {
		res, err := w.deps.Apply(ctx, &fsm.StopAck{Node: w.deps.Node, Session: w.deps.Session, Generation: a.Generation})
		if err == nil && res.Err == nil {
			w.acked = a.Generation
		} else if ctx.Err() == nil {
			w.logger.Warn("stop acknowledgement failed; will retry", "generation", a.Generation, "err", err)
		}
	}
	var toStart []fsm.TaskID
	for k, c := range desired {
		if inst, ok := w.running[k]; ok {
			if w.pushed[k] != c {
				inst.update(c)
				w.pushed[k] = c
			}
			continue
		}
		toStart = append(toStart, k)
	}
	sort.Slice(toStart, func(i, j int) bool { return toStart[i].Less(toStart[j]) })
	for _, k := range toStart {
		inst := w.start(k, desired[k], g.epoch)
		w.pushed[k] = desired[k]
		w.runningMu.Lock()
		w.running[k] = inst
		w.runningMu.Unlock()
	}
}

// stopAll stops, in parallel, every running instance not in keep, and waits for them. Items
// leave the running set only once stopped, so Running never hides an instance still stopping.
func (w *Worker) stopAll(keep map[fsm.TaskID]*fsm.Connector) {
	var wg sync.WaitGroup
	var stopped []fsm.TaskID
	for k, inst := range w.running {
		if _, ok := keep[k]; ok {
			continue
		}
		stopped = append(stopped, k)
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst.stop(w.cfg.TaskShutdownTimeout)
		}()
	}
	wg.Wait()
	w.runningMu.Lock()
	for _, k := range stopped {
		delete(w.running, k)
		delete(w.pushed, k)
	}
	w.runningMu.Unlock()
}

func (w *Worker) start(k fsm.TaskID, c *fsm.Connector, epoch uint64) instance {
	log := w.logger.With("connector", k.Connector)
	if k.IsConnector() {
		return startConnector(w, c, log)
	}
	return startTask(w, k.Task, c, newPermit(w.lease, epoch), log.With("task", k.Task))
}

// fence identifies this worker's writes for the current generation.
func (w *Worker) fence() *fsm.Fence {
	return &fsm.Fence{Node: w.deps.Node, Session: w.deps.Session, Generation: w.deps.FSM.State().Assignment().Generation}
}

// recordTopic records that a connector used a topic (KIP-558 active topics), once per topic
// and worker, when topic tracking is on.
func (w *Worker) recordTopic(ctx context.Context, connector, topic string) {
	if !w.cfg.TopicTracking {
		return
	}
	for _, t := range w.deps.FSM.State().ActiveTopics(connector) {
		if t == topic {
			return
		}
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := w.deps.Apply(ctx, &fsm.ActiveTopicsAdd{Connector: connector, Topics: []string{topic}, Fence: w.fence()}); err != nil {
			w.logger.Debug("recording active topic failed", "connector", connector, "topic", topic, "err", err)
		}
	}()
}

// Running lists the connectors and tasks ("name" or "name-N") this worker runs now, sorted.
func (w *Worker) Running() []string {
	w.runningMu.Lock()
	defer w.runningMu.Unlock()
	out := make([]string, 0, len(w.running))
	for k := range w.running {
		if k.IsConnector() {
			out = append(out, k.Connector)
		} else {
			out = append(out, fsm.TaskID{Connector: k.Connector, Task: k.Task}.String())
		}
	}
	sort.Strings(out)
	return out
}

// Drain stops everything this worker runs, for good, and then tells the leader, which hands the
// work to other workers at once (a decommission, not a departure).
func (w *Worker) Drain(ctx context.Context) error {
	w.draining.Store(true)
	select {
	case w.wake <- struct{}{}:
	default:
	}
	if !retry.Until(ctx, retry.Drain, func() bool { return len(w.Running()) == 0 }) {
		return ctx.Err()
	}
	res, err := w.deps.Apply(ctx, &fsm.NodeDrained{Node: w.deps.Node, Session: w.deps.Session})
	if err == nil && res.Err != nil {
		err = res.Err
	}
	return err
}

// dropProducerConnections closes the source tasks' connections; producers that still hold
// records fail them, and the next task to start connects again.
func (w *Worker) dropProducerConnections() {
	w.clientMu.Lock()
	defer w.clientMu.Unlock()
	if w.client != nil {
		_ = w.client.Close()
		w.client = nil
	}
	for c := range w.own {
		_ = c.Close()
	}
	w.own = nil
}

// connectorProducerClient returns the connections a source task of connector config produces
// on: the shared ones, unless the connector overrides the producer's security settings; then
// connections of its own, which release closes.
func (w *Worker) connectorProducerClient(clientID string, config map[string]string) (client sarama.Client, release func(), err error) {
	if !kafka.OverridesSecurity(config, kafka.Producer) {
		client, err = w.producerClient()
		return client, func() {}, err
	}
	conf, err := kafka.ProducerConfig(clientID, kafka.ConnectorClientProps(w.cfg.WorkerProps, config, kafka.Producer))
	if err != nil {
		return nil, nil, err
	}
	if client, err = sarama.NewClient(w.cfg.BootstrapServers, conf); err != nil {
		return nil, nil, err
	}
	w.clientMu.Lock()
	defer w.clientMu.Unlock()
	if w.own == nil {
		w.own = map[sarama.Client]bool{}
	}
	w.own[client] = true
	return client, func() {
		w.clientMu.Lock()
		defer w.clientMu.Unlock()
		delete(w.own, client)
		_ = client.Close()
	}, nil
}

// producerClient returns the worker's shared producer connections, connecting on first use.
func (w *Worker) producerClient() (sarama.Client, error) {
	w.clientMu.Lock()
	defer w.clientMu.Unlock()
	if w.client != nil && !w.client.Closed() {
		return w.client, nil
	}
	conf, err := kafka.ProducerConfig("connectd-producer-"+w.deps.Node, w.cfg.WorkerProps)
	if err != nil {
		return nil, err
	}
	client, err := sarama.NewClient(w.cfg.BootstrapServers, conf)
	if err != nil {
		return nil, err
	}
	w.client = client
	return client, nil
}
