package external_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// pluginProcesses counts the running plugin processes connectd started for a connector's task 0
// (the SDK's CONDUIT_CONNECTOR_ID is <connector>-<task>).
func pluginProcesses(t *testing.T, connector string) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	n := 0
	for _, p := range procs {
		env, err := os.ReadFile(p)
		if err == nil && bytes.Contains(env, []byte("CONDUIT_CONNECTOR_ID="+connector+"-0\x00")) {
			n++
		}
	}
	return n
}

func waitProcesses(t *testing.T, connector string, want int) {
	t.Helper()
	testcluster.Eventually(t, 30*time.Second, func() error {
		if n := pluginProcesses(t, connector); n != want {
			return fmt.Errorf("%d plugin processes for %s, want %d", n, connector, want)
		}
		return nil
	})
}

// TestPauseEndsThePluginProcess: pausing a plugin task ends its process, as stopping does;
// resuming starts it again, from the committed position, and records flow again.
func TestPauseEndsThePluginProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("needs /proc")
	}
	c := newCluster(t, 1)
	out := filepath.Join(t.TempDir(), "out.txt")
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", `{"name":"paused-gen","config":{"connector.class":"GeneratorSource","topic":"gen",
		"rate":"200","format.type":"raw","format.options.id":"int",
		"value.converter":"org.apache.kafka.connect.converters.ByteArrayConverter"}}`)
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"out","config":{"connector.class":"FileStreamSink","topics":"gen","file":%q,
		"value.converter":"org.apache.kafka.connect.storage.StringConverter"}}`, out))
	waitTask(t, c.URL(0), "paused-gen", "RUNNING")
	waitProcesses(t, "paused-gen", 1)

	testcluster.MustDo(t, 202, "PUT", c.URL(0)+"/connectors/paused-gen/pause", "")
	waitTask(t, c.URL(0), "paused-gen", "PAUSED")
	waitProcesses(t, "paused-gen", 0)
	time.Sleep(time.Second) // what was produced before the pause reaches the file
	before := len(readLines(out))

	testcluster.MustDo(t, 202, "PUT", c.URL(0)+"/connectors/paused-gen/resume", "")
	waitTask(t, c.URL(0), "paused-gen", "RUNNING")
	waitProcesses(t, "paused-gen", 1)
	testcluster.Eventually(t, 30*time.Second, func() error {
		if n := len(readLines(out)); n <= before {
			return fmt.Errorf("%d records after the resume, %d before", n, before)
		}
		return nil
	})
}
