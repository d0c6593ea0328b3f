package external_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// pluginDir is where scripts/plugins.sh puts the plugins; CONNECTD_PLUGIN_DIR overrides it.
func pluginDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CONNECTD_PLUGIN_DIR")
	if dir == "" {
		dir, _ = filepath.Abs("../../build/plugins")
	}
	for _, name := range []string{"conduit-connector-generator", "conduit-connector-postgres"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Skipf("plugin %s not built in %s: run scripts/plugins.sh (or set CONNECTD_PLUGIN_DIR)", name, dir)
		}
	}
	return dir
}

// newCluster starts a cluster with the plugins on plugin.path and an embedded broker.
func newCluster(t *testing.T, nodes int, opts ...testcluster.Option) *testcluster.Cluster {
	opts = append([]testcluster.Option{
		testcluster.With("plugin.path", pluginDir(t)),
		testcluster.With("bootstrap.servers", testcluster.StartBroker(t)),
		testcluster.With("offset.flush.interval.ms", "200"),
		testcluster.With("scheduled.rebalance.max.delay.ms", "0"),
	}, opts...)
	return testcluster.New(t, nodes, opts...)
}

// waitTasks waits until the connector's task 0 is in state and returns its status body.
func waitTask(t *testing.T, url, name, state string) string {
	t.Helper()
	var body string
	testcluster.Eventually(t, 60*time.Second, func() error {
		var code int
		code, body = testcluster.Do(t, "GET", url+"/connectors/"+name+"/status", "")
		if code != 200 || !strings.Contains(body, `"tasks":[{"id":0,"state":"`+state+`"`) {
			return fmt.Errorf("%d %s", code, body)
		}
		return nil
	})
	return body
}

// readLines returns a file's lines (none when it does not exist yet).
func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
