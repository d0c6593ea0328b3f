package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/connectd/connectd/internal/freeport"
)

// runMainEnv makes the test binary run as the connectd command, so that tests can start real
// connectd processes and watch them exit.
const runMainEnv = "CONNECTD_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) != "" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// writeNewerLog leaves in dataDir the Raft state a newer build would: a one-voter configuration
// naming nodeID at raftAddr, then, at index 2, an entry of a command type this build does not know.
func writeNewerLog(t *testing.T, dataDir, nodeID, raftAddr string, entryType byte) {
	t.Helper()
	dir := filepath.Join(dataDir, "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	store, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	snaps, err := raft.NewFileSnapshotStore(dir, 2, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(nodeID)
	_, trans := raft.NewInmemTransport(raft.ServerAddress(raftAddr))
	servers := raft.Configuration{Servers: []raft.Server{{ID: conf.LocalID, Address: raft.ServerAddress(raftAddr), Suffrage: raft.Voter}}}
	if err := raft.BootstrapCluster(conf, store, store, snaps, trans, servers); err != nil {
		t.Fatal(err)
	}
	if err := store.StoreLog(&raft.Log{Index: 2, Term: 1, Type: raft.LogCommand, Data: []byte{entryType, '{', '}'}}); err != nil {
		t.Fatal(err)
	}
}

// TestEntryOfANewerBuildStopsTheNodeAtEveryStart: a node whose log holds an entry of a command
// type its build does not know exits with one line naming the entry's index and type and the
// version it needs, no panic trace, and does the same when started again on the same data dir.
func TestEntryOfANewerBuildStopsTheNodeAtEveryStart(t *testing.T) {
	const newerType = 0x7e
	dataDir := t.TempDir()
	ports := freeport.Take(t, 3)
	raftAddr := "127.0.0.1:" + strconv.Itoa(ports[1])
	writeNewerLog(t, dataDir, "node-1", raftAddr, newerType)
	props := strings.Join([]string{
		"node.id=node-1", "data.dir=" + dataDir, "listeners=http://127.0.0.1:" + strconv.Itoa(ports[0]),
		"raft.listener=" + raftAddr, "cluster.listener=127.0.0.1:" + strconv.Itoa(ports[2]),
		"cluster.bootstrap.expect=1", "bootstrap.servers=127.0.0.1:1",
		"raft.heartbeat.timeout.ms=300", "raft.election.timeout.ms=300", "raft.leader.lease.timeout.ms=150",
	}, "\n")
	configFile := filepath.Join(t.TempDir(), "worker.properties")
	if err := os.WriteFile(configFile, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("cannot apply Raft log entry 2 of command type %d (unknown command type): this node needs a connectd version that knows command type %d", newerType, newerType)
	for start := 1; start <= 2; start++ {
		var out bytes.Buffer
		cmd := exec.Command(os.Args[0], "agent", "--config", configFile)
		cmd.Env = append(os.Environ(), runMainEnv+"=1")
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		timer := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
		err := cmd.Wait()
		timer.Stop()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 3 {
			t.Fatalf("start %d: %v, want exit status 3; output:\n%s", start, err, out.String())
		}
		var lines []string
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Contains(line, "cannot apply") {
				lines = append(lines, line)
			}
		}
		if len(lines) != 1 || !strings.Contains(lines[0], want) || !strings.Contains(lines[0], "level=ERROR") {
			t.Fatalf("start %d: lines about the entry %q, want one saying %q; output:\n%s", start, lines, want, out.String())
		}
		if s := out.String(); strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
			t.Fatalf("start %d: a panic trace:\n%s", start, s)
		}
		t.Logf("start %d exited 3 with: %s", start, lines[0])
	}
}
