package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/connectd/connectd/agent"
	"github.com/connectd/connectd/broker"
	"github.com/connectd/connectd/config"
	"github.com/connectd/connectd/logging"
)

// setFlags collects repeated --set key=value flags.
type setFlags map[string]string

func (s setFlags) String() string { return "" }

func (s setFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("--set %q: want key=value", v)
	}
	s[k] = val
	return nil
}

func runDev(args []string) error { return runDevUntil(args, signalled()) }

// runDevUntil runs a dev cluster until stop closes.
func runDevUntil(args []string, stop <-chan struct{}) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	nodes := fs.Int("nodes", 3, "number of `nodes`")
	dataDir := fs.String("data-dir", "", "state `dir` (default: a directory under the user cache dir); reuse it to keep state")
	brokerAddr := fs.String("broker", "", "`host:port` of the embedded Kafka-protocol broker (default 127.0.0.1:9092 with the default --rest-port, else the port after the cluster's ports); \"none\" to use bootstrap.servers from --set")
	restPort := fs.Int("rest-port", defaultRESTPort, "first `port` of the cluster: node i serves REST on port+i, Raft on port+nodes+i and gossip on port+2*nodes+i")
	testPlugins := fs.Bool("test-plugins", false, "also register the io.connectd.test.* connectors, which fail on command (for trying error handling)")
	secure := fs.Bool("secure", false, "turn every security feature on with a throwaway CA and printed credentials: https, Basic auth, cluster TLS, gossip encryption")
	sets := setFlags{}
	fs.Var(sets, "set", "worker config `key=value` applied to every node (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *nodes < 1 {
		return errors.New("dev: --nodes must be at least 1")
	}
	layout, err := newDevLayout(*restPort, *nodes)
	if err != nil {
		return err
	}
	if *brokerAddr == "" {
		*brokerAddr = layout.broker()
	}
	dir, err := devDataDir(*dataDir)
	if err != nil {
		return err
	}
	bootstrap := sets["bootstrap.servers"]
	if *brokerAddr != "none" {
		b, err := broker.Start(broker.Options{Listen: *brokerAddr, DataDir: filepath.Join(dir, "broker")})
		if err != nil {
			return err
		}
		defer b.Close()
		bootstrap = b.Addr()
		fmt.Printf("embedded Kafka-protocol broker (development only): %s\n", bootstrap)
	}
	var secureProps map[string]string
	if *secure {
		if secureProps, err = devSecurity(filepath.Join(dir, "secure"), *restPort); err != nil {
			return err
		}
	}
	pluginPath := devPluginPath(sets)
	var levels *logging.Levels
	var logger *slog.Logger
	var agents []*agent.Agent
	defer func() {
		for _, a := range agents {
			a.Shutdown()
		}
	}()
	for i := 0; i < *nodes; i++ {
		props := map[string]string{
			"node.id":                  fmt.Sprintf("node-%d", i+1),
			"data.dir":                 filepath.Join(dir, fmt.Sprintf("node-%d", i+1)),
			"listeners":                fmt.Sprintf("http://127.0.0.1:%d", layout.rest(i)),
			"raft.listener":            fmt.Sprintf("127.0.0.1:%d", layout.raft(i)),
			"cluster.listener":         fmt.Sprintf("127.0.0.1:%d", layout.gossip(i)),
			"cluster.join":             strings.Join(layout.joins(), ","),
			"cluster.bootstrap.expect": strconv.Itoa(*nodes),
			"offset.flush.interval.ms": "1000",
			// The quick start reads and writes files anywhere; a real node lists its directories.
			"filestream.allowed.paths": "*",
		}
		if bootstrap != "" {
			props["bootstrap.servers"] = bootstrap
		}
		for k, v := range secureProps {
			props[k] = v
		}
		if *secure {
			props["listeners"] = strings.Replace(props["listeners"], "http://", "https://", 1)
		}
		if pluginPath != "" {
			props["plugin.path"] = pluginPath
		}
		for k, v := range sets {
			props[k] = v
		}
		cfg, err := config.Parse(props, nil)
		if err != nil {
			return err
		}
		cfg.TestPlugins = *testPlugins
		if i == 0 {
			// The nodes share one process and so one set of log levels.
			levels = logging.New(cfg.LogLevel)
			logger = newLogger(levels, cfg.LogFormat)
		}
		a, err := agent.Start(cfg, logger, levels)
		if err != nil {
			return err
		}
		agents = append(agents, a)
	}
	if pluginPath != "" {
		fmt.Printf("plugin.path: %s\n", pluginPath)
		for _, p := range agents[0].LoadedPlugins() {
			fmt.Printf("  loaded %s\n", p)
		}
	}
	fmt.Printf("state: %s\n", dir)
	for i, a := range agents {
		fmt.Printf("%s: %s (raft 127.0.0.1:%d, gossip 127.0.0.1:%d)\n", a.NodeID(), a.RESTURL(), layout.raft(i), layout.gossip(i))
	}
	fmt.Println("press Ctrl-C to stop")
	<-stop
	return nil
}

// devPluginPath is plugin.path for the dev cluster: the one --set gives, else build/plugins
// (where scripts/plugins.sh builds the shipped plugins) when it exists.
func devPluginPath(sets setFlags) string {
	if p, ok := sets["plugin.path"]; ok {
		return p
	}
	if info, err := os.Stat(filepath.Join("build", "plugins")); err == nil && info.IsDir() {
		if abs, err := filepath.Abs(filepath.Join("build", "plugins")); err == nil {
			return abs
		}
	}
	return ""
}

func devDataDir(dir string) (string, error) {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		dir = filepath.Join(base, "connectd", "dev")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("dev: data dir: %w", err)
	}
	return dir, nil
}

// devLayout derives every port of a dev cluster from --rest-port: the cluster takes the block of
// 3*nodes ports from it (REST, then Raft, then gossip), so clusters whose blocks do not overlap
// run side by side, and a restart with the same flags finds its Raft peers where it left them.
type devLayout struct{ first, nodes int }

func newDevLayout(first, nodes int) (devLayout, error) {
	l := devLayout{first: first, nodes: nodes}
	if last := first + 3*nodes; first < 1 || last > 65535 {
		return l, fmt.Errorf("dev: --rest-port %d with %d nodes needs ports %d-%d, beyond 65535", first, nodes, first, last)
	}
	return l, nil
}

func (l devLayout) rest(i int) int   { return l.first + i }
func (l devLayout) raft(i int) int   { return l.first + l.nodes + i }
func (l devLayout) gossip(i int) int { return l.first + 2*l.nodes + i }

func (l devLayout) joins() []string {
	var out []string
	for i := 0; i < l.nodes; i++ {
		out = append(out, "127.0.0.1:"+strconv.Itoa(l.gossip(i)))
	}
	return out
}

// broker is the embedded broker's default address: Kafka's usual port for the default cluster,
// else the port after the cluster's block, so a second dev cluster does not collide with it.
func (l devLayout) broker() string {
	if l.first == defaultRESTPort {
		return "127.0.0.1:9092"
	}
	return "127.0.0.1:" + strconv.Itoa(l.first+3*l.nodes)
}

const defaultRESTPort = 8083
