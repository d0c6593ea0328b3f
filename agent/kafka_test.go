package agent_test

import (
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/connectd/connectd/agent"
	"github.com/connectd/connectd/config"
	"github.com/connectd/connectd/internal/freeport"
	"github.com/connectd/connectd/logging"
)

// A node refuses to start on a Kafka security setting that no client could use, naming it in
// one line, rather than fail its tasks later.
func TestStartRefusesKafkaSecuritySettingsNoClientCanUse(t *testing.T) {
	for _, tc := range []struct {
		key, value, extraKey, extraValue, want string
	}{
		{"security.protocol", "SASL_SSL", "sasl.mechanism", "GSSAPI", "config: sasl.mechanism GSSAPI is not supported"},
		{"producer.security.protocol", "SSL", "producer.ssl.truststore.location", "/etc/ts.jks", "config: ssl.truststore.type JKS is not supported"},
	} {
		ports := freeport.Take(t, 3)
		cfg, err := config.Parse(map[string]string{
			"node.id": "n1", "data.dir": filepath.Join(t.TempDir(), "n1"), "bootstrap.servers": "127.0.0.1:1",
			"listeners":     "http://127.0.0.1:" + strconv.Itoa(ports[0]),
			"raft.listener": "127.0.0.1:" + strconv.Itoa(ports[1]), "cluster.listener": "127.0.0.1:" + strconv.Itoa(ports[2]),
			tc.key: tc.value, tc.extraKey: tc.extraValue,
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		levels := logging.New(cfg.LogLevel)
		a, err := agent.Start(cfg, slog.New(slog.DiscardHandler), levels)
		if err == nil {
			a.Shutdown()
			t.Fatalf("%s=%s: the node started", tc.extraKey, tc.extraValue)
		}
		if !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("got %q, want one line starting with %q", err, tc.want)
		}
	}
}
