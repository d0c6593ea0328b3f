package coordinator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/fsm"
)

// inmemRafts starts n Raft nodes on in-memory transports that bootstrap together and returns
// them once one leads.
func inmemRafts(t *testing.T, n int) []*raft.Raft {
	t.Helper()
	var transports []*raft.InmemTransport
	var servers []raft.Server
	for i := 0; i < n; i++ {
		addr, tr := raft.NewInmemTransport("")
		transports = append(transports, tr)
		servers = append(servers, raft.Server{ID: raft.ServerID(fmt.Sprint("n", i)), Address: addr})
	}
	for _, a := range transports {
		for _, b := range transports {
			a.Connect(b.LocalAddr(), b)
		}
	}
	var rafts []*raft.Raft
	for i, tr := range transports {
		conf := raft.DefaultConfig()
		conf.LocalID = servers[i].ID
		conf.HeartbeatTimeout = 50 * time.Millisecond
		conf.ElectionTimeout = 50 * time.Millisecond
		conf.LeaderLeaseTimeout = 50 * time.Millisecond
		conf.CommitTimeout = 5 * time.Millisecond
		conf.LogOutput = io.Discard
		store := raft.NewInmemStore()
		r, err := raft.NewRaft(conf, fsm.New(), store, store, raft.NewInmemSnapshotStore(), tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Shutdown().Error() })
		rafts = append(rafts, r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for leaderOf(rafts) == nil {
		if time.Now().After(deadline) {
			t.Fatal("no leader")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return rafts
}

func leaderOf(rafts []*raft.Raft) *raft.Raft {
	for _, r := range rafts {
		if r.State() == raft.Leader {
			return r
		}
	}
	return nil
}

func testCoordinator(r *raft.Raft, barrier func(time.Duration) error) *Coordinator {
	return New(Deps{Raft: r, FSM: fsm.New(), Barrier: barrier, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

func TestEstablishRetriesAFailedBarrier(t *testing.T) {
	leader := leaderOf(inmemRafts(t, 1))
	var calls atomic.Int32
	c := testCoordinator(leader, func(time.Duration) error {
		if calls.Add(1) <= 3 {
			return errors.New("injected barrier failure")
		}
		return nil
	})
	if !c.establish(context.Background(), c.deps.Logger) {
		t.Fatal("leadership was not established after the barrier recovered")
	}
	if got := calls.Load(); got != 4 {
		t.Fatalf("barrier called %d times, want 4 (three failures, then success)", got)
	}
	if leader.State() != raft.Leader {
		t.Fatal("the leader stepped down although the barrier recovered within the bound")
	}
}

func TestEstablishStepsDownWhenTheBarrierKeepsFailing(t *testing.T) {
	rafts := inmemRafts(t, 3)
	leader := leaderOf(rafts)
	c := testCoordinator(leader, func(time.Duration) error { return errors.New("injected barrier failure") })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c.establish(ctx, c.deps.Logger) {
		t.Fatal("establish reported success with a failing barrier")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if l := leaderOf(rafts); l != nil && l != leader {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("leadership did not move off the node whose barrier fails (state %s)", leader.State())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNoLeaseBeforeLeadershipIsEstablished(t *testing.T) {
	leader := leaderOf(inmemRafts(t, 1))
	c := testCoordinator(leader, nil)
	if _, ok := c.Heartbeat(context.Background(), "n1", "s1"); ok {
		t.Fatal("a lease was granted before the barrier established leadership")
	}
	c.established.Store(true)
	if _, ok := c.Heartbeat(context.Background(), "n1", "s1"); !ok {
		t.Fatal("no lease granted by an established leader")
	}
}
