package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/connectd/connectd/clustertls"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// raftStores are the durable parts of a node's Raft state under data.dir.
type raftStores struct {
	bolt  *raftboltdb.BoltStore
	snaps *raft.FileSnapshotStore
}

func openRaftStores(dataDir string, logger hclog.Logger) (*raftStores, error) {
	dir := filepath.Join(dataDir, "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	bolt, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
	if err != nil {
		return nil, fmt.Errorf("open raft log store: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, logger)
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("open snapshot store: %w", err)
	}
	return &raftStores{bolt: bolt, snaps: snaps}, nil
}

func (s *raftStores) hasState() (bool, error) {
	return raft.HasExistingState(s.bolt, s.bolt, s.snaps)
}

// newTransport listens on bind and advertises advertise (defaulting to bind when it names a host),
// over mutual TLS when tlsConf is set; it then also returns the listener of the internal REST
// requests that share the port.
func newTransport(bind, advertise string, tlsConf *clustertls.Config, logger hclog.Logger) (*raft.NetworkTransport, net.Listener, error) {
	if advertise == "" {
		advertise = bind
	}
	addr, err := net.ResolveTCPAddr("tcp", advertise)
	if err != nil {
		return nil, nil, fmt.Errorf("raft advertise address %q: %w", advertise, err)
	}
	if addr.IP == nil || addr.IP.IsUnspecified() {
		return nil, nil, fmt.Errorf("raft advertise address %q must name a reachable host (set raft.advertised.address)", advertise)
	}
	// The I/O timeout bounds how long the leader stays stuck on a connection a partition killed;
	// with the usual 10 s, a healed follower waited that long, plus raft's back-off, before it
	// was sent the entries it missed, and could not renew its worker lease meanwhile. Snapshot
	// transfers scale the deadline with their size.
	if tlsConf != nil {
		stream, err := tlsConf.Listen(bind, addr)
		if err != nil {
			return nil, nil, err
		}
		return raft.NewNetworkTransportWithLogger(stream, 3, raftIOTimeout, logger), stream.HTTP(), nil
	}
	t, err := raft.NewTCPTransportWithLogger(bind, addr, 3, raftIOTimeout, logger)
	return t, nil, err
}

// hclogAdapter routes hashicorp/raft's hclog output into slog, keeping one log stream per node.
func hclogAdapter(logger *slog.Logger, name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      hclog.Debug,
		JSONFormat: true,
		Output:     &slogWriter{logger: logger.With("component", name)},
	})
}

// slogWriter decodes hclog's JSON lines and re-emits them through slog.
type slogWriter struct{ logger *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	var line map[string]any
	if err := json.Unmarshal(p, &line); err != nil {
		w.logger.Info(string(p))
		return len(p), nil
	}
	level := slog.LevelInfo
	switch line["@level"] {
	case "trace", "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	msg, _ := line["@message"].(string)
	var attrs []any
	for k, v := range line {
		if k != "@level" && k != "@message" && k != "@timestamp" && k != "@module" {
			attrs = append(attrs, k, v)
		}
	}
	w.logger.Log(context.Background(), level, msg, attrs...)
	return len(p), nil
}

var _ io.Writer = (*slogWriter)(nil)

// raftIOTimeout is the Raft transport's per-RPC I/O timeout.
const raftIOTimeout = 2 * time.Second
