package external

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/retry"
)

// fsmLog is a StateLog over a bare state machine: every command commits at the next index.
type fsmLog struct {
	mu    sync.Mutex
	f     *fsm.FSM
	index uint64
}

func (l *fsmLog) Apply(_ context.Context, cmd fsm.Command) (fsm.Result, error) {
	data, err := fsm.Encode(cmd)
	if err != nil {
		return fsm.Result{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.index++
	return l.f.ApplyCommand(data, l.index), nil
}

func (l *fsmLog) State() *fsm.State { return l.f.State() }

// syncBuffer is a log destination safe for the deletion goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestDeletedConnectorOfAMissingPlugin: the leader logs a deleted connector whose plugin is not
// on its plugin.path and clears its last-active config; a follower does nothing, and a connector
// that still exists is not deleted.
func TestDeletedConnectorOfAMissingPlugin(t *testing.T) {
	log := &fsmLog{f: fsm.New()}
	var out syncBuffer
	h, err := NewHost(slog.New(slog.NewTextHandler(&out, nil)), log, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	const class = "io.conduit.connectors.GoneSourceConnector"
	ctx := context.Background()
	_, _ = log.Apply(ctx, &fsm.ConnectorPut{Name: "alive", Config: map[string]string{"name": "alive", "connector.class": class}})
	for _, name := range []string{"alive", "gone"} {
		if res, _ := log.Apply(ctx, &fsm.LastActiveConfigSet{Connector: name, Class: class, Config: map[string]string{"url": "x"}}); res.Err != nil {
			t.Fatal(res.Err)
		}
	}

	var leader sync.Mutex
	leading := false
	isLeader := func() bool { leader.Lock(); defer leader.Unlock(); return leading }
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { h.RunDeletions(runCtx, isLeader); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })

	time.Sleep(100 * time.Millisecond)
	if log.State().LastActiveConfig("gone") == nil {
		t.Fatal("a follower cleared a deleted connector's last-active config")
	}
	leader.Lock()
	leading = true
	leader.Unlock()
	wait, cancelWait := context.WithTimeout(ctx, 10*time.Second)
	defer cancelWait()
	if !retry.Until(wait, retry.Ready, func() bool { return log.State().LastActiveConfig("gone") == nil }) {
		t.Fatal("the leader did not clear the deleted connector's last-active config")
	}
	if !strings.Contains(out.String(), "plugin is not on plugin.path") || !strings.Contains(out.String(), "connector=gone") {
		t.Fatalf("the missing plugin is not logged:\n%s", out.String())
	}
	if log.State().LastActiveConfig("alive") == nil {
		t.Fatal("the last-active config of a connector that exists was cleared")
	}
}
