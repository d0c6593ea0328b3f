package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/kafka"
	"github.com/connectd/connectd/plugins"
)

// localState is a replicated state with a log of one: commands apply at once, in order.
type localState struct {
	fsm   *fsm.FSM
	mu    sync.Mutex
	index uint64
}

func (s *localState) apply(_ context.Context, cmd fsm.Command) (fsm.Result, error) {
	data, err := fsm.Encode(cmd)
	if err != nil {
		return fsm.Result{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	return s.fsm.ApplyCommand(data, s.index), nil
}

func (s *localState) mustApply(t *testing.T, cmd fsm.Command) {
	t.Helper()
	if res, err := s.apply(context.Background(), cmd); err != nil || res.Err != nil {
		t.Fatalf("apply %T: %v %v", cmd, err, res.Err)
	}
}

func (s *localState) assign(t *testing.T, tasks ...fsm.TaskID) {
	t.Helper()
	prev := s.fsm.State().Assignment()
	s.mustApply(t, &fsm.AssignmentCommit{ExpectGeneration: prev.Generation, Assignment: fsm.Assignment{
		Generation: prev.Generation + 1,
		Owned:      map[string]fsm.Items{"n1": {Tasks: tasks}},
		Sessions:   map[string]string{"n1": "s1"},
	}})
}

// TestThawedWorkerRunsNothingItsRenewalDidNotConfirm reproduces the zombie window the chaos suite
// found: a worker's lease lapses (a freeze) while its worker loop is busy, the leader moves the
// worker's source task elsewhere, and the next heartbeat renews the lease before the worker loop
// has looked at the new assignment. The task must produce nothing from the moment its work moved:
// neither a new poll nor a request it had built before.
func TestThawedWorkerRunsNothingItsRenewalDidNotConfirm(t *testing.T) {
	broker, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "zombie"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)

	state := &localState{fsm: fsm.New()}
	registry := plugins.New()
	registry.AddTestPlugins()
	src := fsm.TaskID{Connector: "src", Task: 0}
	blk := fsm.TaskID{Connector: "blk", Task: 0}
	srcConfig := map[string]string{"connector.class": "VerifiableSource", "topic": "zombie", "throughput": "2000", "tasks.max": "1"}
	// A task that takes 3 s to stop keeps the worker loop busy while the lease lapses and renews.
	blkConfig := map[string]string{"connector.class": "io.connectd.test.FailingSourceConnector", "topic": "other",
		"block.in": "stop", "block.ms": "3000", "tasks.max": "1"}
	for name, config := range map[string]map[string]string{"src": srcConfig, "blk": blkConfig} {
		state.mustApply(t, &fsm.ConnectorPut{Name: name, Config: config, Create: true})
		state.mustApply(t, &fsm.TaskConfigs{Name: name, Tasks: []map[string]string{registry.TaskConfig(config, config)}})
	}
	state.assign(t, blk, src)

	var granting atomic.Bool
	granting.Store(true)
	w := New(Config{
		WorkerID: "n1:8083", BootstrapServers: broker.ListenAddrs(),
		OffsetFlushInterval: 100 * time.Millisecond, OffsetFlushTimeout: time.Second,
		TaskShutdownTimeout: 5 * time.Second, SessionTimeout: 300 * time.Millisecond, HeartbeatInterval: 50 * time.Millisecond,
		WorkerProps: map[string]string{"key.converter": "org.apache.kafka.connect.json.JsonConverter",
			"value.converter": "org.apache.kafka.connect.storage.StringConverter"},
	}, Deps{Node: "n1", Session: "s1", FSM: state.fsm, Registry: registry, Apply: state.apply, Logger: slog.New(slog.DiscardHandler),
		Heartbeat: func(context.Context) error {
			if granting.Load() {
				return nil
			}
			return errors.New("frozen")
		}})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { w.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })

	client := newProducerClient(t, broker.ListenAddrs())
	waitFor(t, 10*time.Second, "the source task producing", func() bool { return endOffset(t, client) > 100 })

	// The worker loop starts stopping blk (3 s); meanwhile the lease lapses, the task moves to
	// another worker, and the lease is renewed on a state that already has the move.
	state.assign(t, src)
	granting.Store(false)
	waitFor(t, 2*time.Second, "the lease lapsing", func() bool { return !w.lease.valid(time.Now()) })
	time.Sleep(100 * time.Millisecond) // requests already sent are answered
	state.assign(t)
	moved := endOffset(t, client)
	granting.Store(true)
	waitFor(t, 2*time.Second, "the lease renewing", func() bool { return w.lease.valid(time.Now()) })
	if running := w.Running(); len(running) != 2 {
		t.Fatalf("test setup: the worker loop was not busy stopping blk when the lease renewed (running %v)", running)
	}

	waitFor(t, 10*time.Second, "the worker stopping everything", func() bool { return len(w.Running()) == 0 })
	if after := endOffset(t, client); after != moved {
		t.Fatalf("the worker produced %d records for a task after it had moved to another worker (end offset %d at the move, %d after)", after-moved, moved, after)
	}
}

func endOffset(t *testing.T, client sarama.Client) int64 {
	t.Helper()
	offset, err := client.GetOffset("zombie", 0, sarama.OffsetNewest)
	if err != nil {
		t.Fatal(err)
	}
	return offset
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestProducerHoldsBuiltRequestsUntilThePermitAllows checks the last step before Kafka: batches
// built while the lease was valid are not sent after it lapsed, nor after a renewal the worker
// has not confirmed, and are given up, unsent, when the task stops.
func TestProducerHoldsBuiltRequestsUntilThePermitAllows(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, testTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	l := newLease()
	l.extend(time.Now(), time.Minute)
	p := newPermit(l, l.current().epoch)
	lapse := func() { l.extend(time.Now().Add(-time.Hour), time.Second) }
	h := startProducer(t, cluster, newProducerClient(t, cluster.ListenAddrs()), kafka.DefaultProducerSettings, p)
	inTopic := func() int64 {
		end, err := h.client.GetOffset(testTopic, 0, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		return end
	}

	lapse()
	if err := h.send(5, nil); err != nil {
		t.Fatal(err)
	}
	l.extend(time.Now(), time.Minute)
	time.Sleep(200 * time.Millisecond) // time for a request to go, were it not held
	if n := inTopic(); n != 0 {
		t.Fatalf("%d records reached Kafka on a renewal the worker had not confirmed", n)
	}
	p.authorize(l.current().epoch)
	if last := h.drained(t); last != 4 {
		t.Fatalf("after the worker confirmed the task, the acknowledged prefix ends at %v, want 4", last)
	}

	lapse()
	if err := h.send(5, nil); err != nil {
		t.Fatal(err)
	}
	h.producer.close()
	h.drained(t)
	if n := inTopic(); n != 5 {
		t.Fatalf("%d records in the topic, want the 5 sent before the lapse: a held request was sent on close", n)
	}
}
