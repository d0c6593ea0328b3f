// Package agent wires one connectd node together: the replicated state machine on Raft, gossip
// membership, the leader's coordinator, the worker runtime and the REST server.
package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/api"
	"github.com/connectd/connectd/clustertls"
	"github.com/connectd/connectd/commit"
	"github.com/connectd/connectd/config"
	"github.com/connectd/connectd/coordinator"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/retry"
	"github.com/connectd/connectd/kafka"
	"github.com/connectd/connectd/logging"
	"github.com/connectd/connectd/membership"
	"github.com/connectd/connectd/metrics"
	"github.com/connectd/connectd/plugins"
	"github.com/connectd/connectd/plugins/external"
	"github.com/connectd/connectd/worker"
)

// Agent is one running connectd node.
type Agent struct {
	cfg     *config.Config
	logger  *slog.Logger
	session string
	health  *health

	fsm       *fsm.FSM
	stores    *raftStores
	transport *raft.NetworkTransport
	raft      *raft.Raft
	members   *membership.Membership
	registry  *plugins.Registry
	// pluginHost runs the connector plugins found on plugin.path; loadedPlugins names them.
	pluginHost    *external.Host
	loadedPlugins []string
	levels        *logging.Levels
	coord         *coordinator.Coordinator
	// commit is the replicated-write path: commands through the leader, and the worker's lease.
	commit *commit.Committer
	worker *worker.Worker
	// metrics is nil when metrics.enable is false.
	metrics *metrics.Node

	restURL string
	// https are the REST servers, one per listener (admin listeners included).
	https []*http.Server
	// clusterTLS secures the cluster channel; nil without cluster.tls.*.
	clusterTLS *clustertls.Config
	// internalAPI serves the internal requests on the cluster channel, which internalServer (nil
	// without cluster TLS) serves on the Raft port.
	internalAPI    http.Handler
	internalServer *http.Server
	// client sends internal requests to the leader.
	client *http.Client
	// wrapTransport, when set, wraps client's transport (WithInternalTransport).
	wrapTransport func(http.RoundTripper) http.RoundTripper
	clusterID     atomic.Value

	ctx    context.Context
	cancel context.CancelFunc
	// done closes once the node has stopped, for instance after a decommission.
	done chan struct{}
	// workerDone closes when the worker has stopped its instances and sent their last statuses.
	workerDone chan struct{}
	// raftClosing closes just before Raft shuts down: a write's local apply will never come.
	raftClosing chan struct{}
	wg          sync.WaitGroup
	once        sync.Once
}

// Option changes how a node is built.
type Option func(*Agent)

// WithFSM builds the node's state machine with opts; tests use it to run a node of an earlier
// build (fsm.WithoutTypes) in a cluster of newer ones.
func WithFSM(opts ...fsm.Option) Option {
	return func(a *Agent) { a.fsm = fsm.New(opts...) }
}

// WithInternalTransport wraps the transport of the node's calls to other nodes (forwarded
// writes, lease renewals); tests use it to lose a leader's answer.
func WithInternalTransport(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return func(a *Agent) { a.wrapTransport = wrap }
}

// Start brings a node up: REST first (so /health can say "starting"), then gossip and Raft.
// It returns once the node is serving; joining and bootstrapping continue in the background.
func Start(cfg *config.Config, logger *slog.Logger, levels *logging.Levels, opts ...Option) (*Agent, error) {
	a := &Agent{cfg: cfg, logger: logger.With("node", cfg.NodeID), levels: levels, session: newSessionID(), health: newHealth(),
		fsm: fsm.New(), registry: plugins.New()}
	if cfg.TestPlugins {
		a.registry.AddTestPlugins()
	}
	for _, o := range opts {
		o(a)
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.done, a.workerDone, a.raftClosing = make(chan struct{}), make(chan struct{}), make(chan struct{})
	if err := a.start(); err != nil {
		a.Shutdown()
		return nil, err
	}
	return a, nil
}

func (a *Agent) start() error {
	// Checked before anything starts, so that a node refuses a setting that no Kafka client could
	// use rather than fail its tasks later.
	if err := kafka.CheckSecurity(a.cfg.Raw); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := a.loadExternalPlugins(); err != nil {
		return err
	}
	if a.cfg.ClusterTLS() {
		var err error
		if a.clusterTLS, err = clustertls.Load(a.cfg.ClusterTLSCAFile, a.cfg.ClusterTLSCertFile, a.cfg.ClusterTLSKeyFile); err != nil {
			return err
		}
	}
	if err := a.serveREST(); err != nil {
		return err
	}

	a.health.enter("opening the Raft log")
	raftLog := hclogAdapter(a.logger, "raft")
	var err error
	if a.stores, err = openRaftStores(a.cfg.DataDir, raftLog); err != nil {
		return err
	}
	var internal net.Listener
	if a.transport, internal, err = newTransport(a.cfg.RaftListener, a.cfg.RaftAdvertisedAddress, a.clusterTLS, raftLog); err != nil {
		return fmt.Errorf("raft.listener: %w", err)
	}
	if internal != nil {
		a.serveInternal(internal)
	}
	if err := a.recoverFromPeersFile(); err != nil {
		return err
	}
	hasState, err := a.stores.hasState()
	if err != nil {
		return err
	}
	if a.raft, err = raft.NewRaft(a.raftConfig(), guardedFSM{FSM: a.raftFSM(), stop: a.stopOnUnknownEntry}, a.stores.bolt, a.stores.bolt, a.stores.snaps, a.transport); err != nil {
		return fmt.Errorf("start raft: %w", err)
	}

	a.health.enter("joining the cluster")
	if a.members, err = membership.New(a.membershipConfig(hasState)); err != nil {
		return fmt.Errorf("cluster.listener: %w", err)
	}
	a.coord = coordinator.New(coordinator.Deps{
		Raft: a.raft, FSM: a.fsm, Members: a.members, Apply: a.commit.CommitOnLeader, Logger: a.logger,
		SessionTimeout: a.cfg.SessionTimeout, LeaseSkew: a.cfg.LeaseSkew, RebalanceDelay: a.cfg.ScheduledRebalanceDelay,
		Eager: a.cfg.ConnectProtocol == "eager", KeyTTL: a.cfg.InterWorkerKeyTTL, VerifyPeer: verifyPeer(a.clusterTLS),
		DeadServerCleanup: a.cfg.DeadServerCleanup, ServerStats: a.serverStats, AutopilotLogger: hclogAdapter(a.logger, "raft"),
	})
	a.commit.Attach(commit.Cluster{Raft: a.raft, Members: a.members, Lease: a.coord.Heartbeat})
	a.goFunc(func() { a.coord.Run(a.ctx) })
	a.worker = worker.New(worker.Config{
		WorkerID: coordinator.WorkerID(a.restURL), BootstrapServers: a.cfg.BootstrapServers,
		OffsetFlushInterval: a.cfg.OffsetFlushInterval, OffsetFlushTimeout: a.cfg.OffsetFlushTimeout,
		TaskShutdownTimeout: a.cfg.TaskShutdownTimeout, SessionTimeout: a.cfg.SessionTimeout,
		HeartbeatInterval: a.cfg.HeartbeatInterval, TopicTracking: a.cfg.TopicTrackingEnable,
		TopicCreation: a.cfg.TopicCreationEnable, WorkerProps: a.cfg.Raw,
		ConfigProviders: a.cfg.ConfigProviders,
	}, worker.Deps{
		Node: a.cfg.NodeID, Session: a.session, FSM: a.fsm, Registry: a.registry,
		Apply: a.commit.CommitAndWait, Heartbeat: a.commit.Heartbeat, Logger: a.logger, Metrics: a.metrics,
	})
	a.goFunc(func() {
		defer close(a.workerDone)
		a.worker.Run(a.ctx)
	})
	a.goFunc(a.applyClusterLogLevels)
	if a.pluginHost != nil {
		a.goFunc(func() { a.pluginHost.RunDeletions(a.ctx, a.IsLeader) })
	}
	if a.metrics != nil {
		a.goFunc(a.observeLeaders)
	}
	// Not waited for on stop: a dial to an unreachable member cannot be interrupted.
	go a.rejoinFailedMembers()
	a.goFunc(func() { a.form(hasState) })
	a.goFunc(a.fetchKafkaClusterID)
	return nil
}

// rejoinFailedMembers retries failed gossip members often enough that a healed partition rejoins
// within a few probe intervals.
func (a *Agent) rejoinFailedMembers() {
	interval := max(10*a.cfg.GossipProbeInterval, time.Second)
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-time.After(interval):
			a.members.RejoinFailed()
		}
	}
}

func (a *Agent) goFunc(f func()) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		f()
	}()
}

func (a *Agent) raftConfig() *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(a.cfg.NodeID)
	rc.HeartbeatTimeout = a.cfg.RaftHeartbeatTimeout
	rc.ElectionTimeout = a.cfg.RaftElectionTimeout
	rc.LeaderLeaseTimeout = a.cfg.RaftLeaderLeaseTimeout
	rc.CommitTimeout = a.cfg.RaftCommitTimeout
	rc.SnapshotThreshold = a.cfg.RaftSnapshotThreshold
	rc.SnapshotInterval = a.cfg.RaftSnapshotInterval
	rc.TrailingLogs = a.cfg.RaftTrailingLogs
	rc.Logger = hclogAdapter(a.logger, "raft")
	return rc
}

// form joins the gossip cluster and, when this is a brand-new cluster, bootstraps Raft together
// with the other cluster.bootstrap.expect nodes. It retries until it succeeds or the node stops.
func (a *Agent) form(hasState bool) {
	joined := len(a.cfg.ClusterJoin) == 0
	delays := retry.Join.Delays()
	for a.ctx.Err() == nil {
		if !joined {
			if _, err := a.members.Join(a.cfg.ClusterJoin); err != nil {
				a.logger.Warn("join failed; retrying", "err", err)
			} else {
				joined = true
			}
		}
		if joined && (hasState || a.tryBootstrap()) {
			break
		}
		wait := time.NewTimer(delays.Next())
		select {
		case <-a.ctx.Done():
			wait.Stop()
			return
		case <-a.members.Changed():
		case <-wait.C:
		}
		wait.Stop()
	}
	a.health.enter("waiting for a Raft leader")
	a.waitForLeaderAndState()
}

// tryBootstrap bootstraps Raft once exactly the expected number of fresh servers are alive;
// each of them computes the same configuration, so they agree without talking first. It
// reports whether this node needs to do nothing more (bootstrapped, or another cluster exists).
func (a *Agent) tryBootstrap() bool {
	var servers []raft.Server
	for _, m := range a.members.Members() {
		if m.Status != membership.StatusAlive {
			continue
		}
		if m.Bootstrapped {
			// An existing cluster will add this node through its leader.
			return true
		}
		servers = append(servers, raft.Server{ID: raft.ServerID(m.NodeID), Address: raft.ServerAddress(m.RaftAddr), Suffrage: raft.Voter})
	}
	if len(servers) < a.cfg.ClusterBootstrapExpect {
		return false
	}
	err := a.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error()
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		a.logger.Warn("bootstrap failed", "err", err)
		return false
	}
	a.logger.Info("bootstrapped raft", "servers", len(servers))
	return true
}

func (a *Agent) waitForLeaderAndState() {
	caughtUp := retry.Until(a.ctx, retry.Startup, func() bool {
		if _, id := a.raft.LeaderWithID(); id == "" {
			return false
		}
		a.health.enter("applying the replicated state")
		return a.caughtUp()
	})
	if caughtUp {
		a.health.ready()
		a.markBootstrapped()
	}
}

// markBootstrapped advertises that this node belongs to a formed cluster, so that fresh nodes join
// it instead of bootstrapping a new one.
func (a *Agent) markBootstrapped() {
	meta := a.members.Local().Meta
	if meta.Bootstrapped {
		return
	}
	meta.Bootstrapped = true
	// Not waited for long: memberlist's wait ignores shutdown, and gossip spreads it anyway.
	if err := a.members.UpdateMeta(meta, 500*time.Millisecond); err != nil {
		a.logger.Warn("update gossip metadata", "err", err)
	}
}

func (a *Agent) membershipConfig(bootstrapped bool) membership.Config {
	host, port := splitHostPort(a.cfg.ClusterListener)
	mc := membership.Config{
		BindAddr: host, BindPort: port,
		GossipKey: a.cfg.ClusterGossipKey,
		Meta: membership.Meta{NodeID: a.cfg.NodeID, RESTURL: a.restURL, RaftAddr: string(a.transport.LocalAddr()),
			Session: a.session, GroupID: a.cfg.GroupID, Version: api.Version, Bootstrapped: bootstrapped, Commands: a.fsm.KnownTypes()},
		ProbeInterval: a.cfg.GossipProbeInterval, ProbeTimeout: a.cfg.GossipProbeTimeout,
		GossipInterval: a.cfg.GossipInterval, SuspicionMult: a.cfg.GossipSuspicionMult,
		RetransmitMult: a.cfg.GossipRetransmitMult, Logger: a.logger.With("component", "memberlist"),
	}
	if a.cfg.ClusterAdvertisedAddress != "" {
		mc.AdvertiseAddr, mc.AdvertisePort = splitHostPort(a.cfg.ClusterAdvertisedAddress)
	}
	return mc
}

// raftShutdownWait bounds how long a stopping node waits for Raft's goroutines.
const raftShutdownWait = 5 * time.Second

// shutdownRaft stops Raft, waiting at most raftShutdownWait. hashicorp/raft v1.7.3 can leave a
// leader's replication goroutine blocked for good in a pipelined AppendEntries once the
// pipeline's decoder has stopped, and Shutdown waits for it; the node stops anyway, and that
// goroutine only ever waits.
func (a *Agent) shutdownRaft() {
	done := make(chan struct{})
	go func() {
		_ = a.raft.Shutdown().Error()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(raftShutdownWait):
		a.logger.Warn("Raft did not shut down in time; stopping without it", "waited", raftShutdownWait)
	}
}

// Shutdown stops the node without leaving the cluster: its work is held for
// scheduled.rebalance.max.delay.ms, as for a crash, so that a restart gets it back. A leader
// hands its leadership over first.
func (a *Agent) Shutdown() { a.stop(true) }

// Halt stops the node as a crash would look to the others: no leadership hand-over. Tests use it.
func (a *Agent) Halt() { a.stop(false) }

func (a *Agent) stop(graceful bool) {
	a.once.Do(func() {
		a.cancel()
		if a.pluginHost != nil {
			// After the worker: its tasks end their plugin processes first.
			defer a.pluginHost.Close()
		}
		for _, srv := range a.https {
			if graceful {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_ = srv.Shutdown(ctx)
				cancel()
			} else {
				// A crash answers nothing more, at once; a leader must not keep leading for the
				// seconds that draining requests would take.
				_ = srv.Close()
			}
		}
		if graceful && a.worker != nil {
			// Let the worker report its instances UNASSIGNED while Raft still commits.
			select {
			case <-a.workerDone:
			case <-time.After(a.cfg.TaskShutdownTimeout + time.Second):
			}
		}
		if graceful && a.raft != nil && a.raft.State() == raft.Leader {
			// Hand leadership over so the survivors need not wait for an election timeout.
			_ = a.raft.LeadershipTransfer().Error()
		}
		if a.members != nil {
			_ = a.members.Shutdown()
		}
		close(a.raftClosing)
		if a.raft != nil {
			a.shutdownRaft()
		}
		if a.transport != nil {
			_ = a.transport.Close()
		}
		if a.internalServer != nil {
			// Last: while Raft ran, followers still forwarded to this node.
			_ = a.internalServer.Close()
		}
		if a.stores != nil {
			_ = a.stores.bolt.Close()
		}
		a.wg.Wait()
		close(a.done)
	})
}

// Done closes when the node has stopped.
func (a *Agent) Done() <-chan struct{} { return a.done }

// Leave decommissions the node: it stops taking work, stops everything it runs so that the
// leader hands the work to others at once, leaves gossip (the leader then removes it from the
// Raft configuration) and shuts down.
func (a *Agent) Leave(ctx context.Context) error {
	meta := a.members.Local().Meta
	meta.Leaving = true
	if err := a.members.UpdateMeta(meta, 5*time.Second); err != nil {
		return fmt.Errorf("announce leave: %w", err)
	}
	if err := a.worker.Drain(ctx); err != nil {
		return fmt.Errorf("hand off work: %w", err)
	}
	if a.IsLeader() {
		if err := a.raft.LeadershipTransfer().Error(); err != nil {
			a.logger.Warn("leadership transfer before leaving failed", "err", err)
		}
	}
	if err := a.members.Leave(5 * time.Second); err != nil {
		a.logger.Warn("gossip leave", "err", err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	a.waitRemovedFromRaft(waitCtx)
	cancel()
	go a.Shutdown()
	return nil
}

// waitRemovedFromRaft waits, bounded by ctx, until the leader has removed this node from the
// Raft configuration, so that the remaining voters keep their quorum arithmetic right.
func (a *Agent) waitRemovedFromRaft(ctx context.Context) {
	retry.Until(ctx, retry.Startup, func() bool {
		if a.commit.LeaderURL() == "" || a.IsLeader() {
			return false
		}
		future := a.raft.GetConfiguration()
		if future.Error() != nil {
			return false
		}
		for _, s := range future.Configuration().Servers {
			if string(s.ID) == a.cfg.NodeID {
				return false
			}
		}
		return true
	})
}

// RESTURL is the node's advertised REST base URL.
func (a *Agent) RESTURL() string { return a.restURL }

// NodeID is the node's id.
func (a *Agent) NodeID() string { return a.cfg.NodeID }

// Raft exposes the node's Raft instance to tests and benchmarks.
func (a *Agent) Raft() *raft.Raft { return a.raft }

// FSM exposes the node's state machine to tests.
func (a *Agent) FSM() *fsm.FSM { return a.fsm }

func newSessionID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func splitHostPort(addr string) (string, int) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	var port int
	fmt.Sscanf(portStr, "%d", &port)
	return host, port
}

// IsLeader reports whether this node is the Raft leader.
func (a *Agent) IsLeader() bool { return a.raft != nil && a.raft.State() == raft.Leader }

// Running lists what this node's worker runs now (tests check that no item runs twice).
func (a *Agent) Running() []string {
	if a.worker == nil {
		return nil
	}
	return a.worker.Running()
}

// Loggers implements api.Backend.
func (a *Agent) Loggers() *logging.Levels { return a.levels }

// applyClusterLogLevels applies cluster-scoped log levels from the replicated state as they
// change, including those set before this node started.
func (a *Agent) applyClusterLogLevels() {
	applied := map[string]int64{}
	for {
		state := a.fsm.State()
		for _, l := range state.LoggerLevels() {
			if applied[l.Logger] == l.SetAt {
				continue
			}
			if level, ok := logging.ParseLevel(l.Level); ok {
				a.levels.Set(l.Logger, level, l.SetAt)
			}
			applied[l.Logger] = l.SetAt
		}
		select {
		case <-a.ctx.Done():
			return
		case <-state.WatchCh():
		}
	}
}
