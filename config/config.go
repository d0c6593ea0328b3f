// Package config reads a node's worker configuration: a Kafka-style properties file whose keys can
// be overridden from the environment (CONNECT_FOO_BAR sets foo.bar), checked strictly so that a
// typo stops start-up with the key named. The Kafka clients' settings (security.protocol, sasl.*,
// ssl.*) are kept in Raw for package kafka, which a node checks as it starts.
package config

import (
	"github.com/connectd/connectd/configprovider"
	"github.com/connectd/connectd/connect"

	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/magiconair/properties"
)

// DefaultLogLevel is the log level before a configuration is read.
const DefaultLogLevel = slog.LevelInfo

// Config is a node's resolved worker configuration.
type Config struct {
	// TestPlugins registers the io.connectd.test.* connectors. Not a worker property: only tests and
	// `connectd dev --test-plugins` set it.
	TestPlugins bool

	NodeID                   string
	DataDir                  string
	GroupID                  string
	Listeners                string
	RESTAdvertisedHostName   string
	RESTAdvertisedPort       int
	RaftListener             string
	RaftAdvertisedAddress    string
	ClusterListener          string
	ClusterAdvertisedAddress string
	ClusterJoin              []string
	ClusterBootstrapExpect   int
	ClusterGossipKey         []byte
	BootstrapServers         []string

	OffsetFlushInterval     time.Duration
	OffsetFlushTimeout      time.Duration
	TaskShutdownTimeout     time.Duration
	ScheduledRebalanceDelay time.Duration
	SessionTimeout          time.Duration
	LeaseSkew               time.Duration
	HeartbeatInterval       time.Duration
	ConnectProtocol         string
	TopicTrackingEnable     bool
	TopicTrackingAllowReset bool
	TopicCreationEnable     bool
	// ConnectorClientConfigOverridePolicy is All, None or Principal.
	ConnectorClientConfigOverridePolicy string
	RESTRequestTimeout                  time.Duration
	RESTMaxBodyBytes                    int64
	ControlPlane

	RaftHeartbeatTimeout   time.Duration
	RaftElectionTimeout    time.Duration
	RaftLeaderLeaseTimeout time.Duration
	RaftCommitTimeout      time.Duration
	RaftSnapshotThreshold  uint64
	RaftSnapshotInterval   time.Duration
	RaftTrailingLogs       uint64

	GossipProbeInterval  time.Duration
	GossipProbeTimeout   time.Duration
	GossipSuspicionMult  int
	GossipInterval       time.Duration
	GossipRetransmitMult int

	LogLevel slog.Level
	// LogFormat is "text" or "json".
	LogFormat string
	// MetricsEnable turns the collection behind GET /metrics on or off.
	MetricsEnable bool

	// RESTListeners are the parsed listeners; AdminListeners the parsed admin.listeners, which
	// AdminListenersSet tells apart from an unset key (admin resources on the REST listeners).
	RESTListeners     []Listener
	AdminListeners    []Listener
	AdminListenersSet bool
	// RESTCredentialsFile is the PropertyFileLoginModule file of BasicAuthSecurityRestExtension;
	// empty when REST authentication is off.
	RESTCredentialsFile string
	CORSAllowOrigin     string
	CORSAllowMethods    string
	// InterWorkerKeyTTL is how long a key that signs internal requests is used before rotation.
	InterWorkerKeyTTL time.Duration
	// ClusterTLSCAFile, ClusterTLSCertFile and ClusterTLSKeyFile secure Raft between nodes with
	// mutual TLS; all empty: plaintext (development).
	ClusterTLSCAFile   string
	ClusterTLSCertFile string
	ClusterTLSKeyFile  string
	// ConfigProviders resolve connector configs' placeholders where the work runs.
	ConfigProviders *configprovider.Providers
	// FileStreamAllowedPaths are the directories FileStream connectors may touch; "*" allows all.
	FileStreamAllowedPaths []string

	// Raw holds every key as finally resolved, defaults included; converters and Kafka clients
	// read their prefixed settings from it.
	Raw map[string]string
}

// KeyDoc documents one configuration key.
type KeyDoc struct {
	Name, Type, Default, Doc string
}

type keyType int

const (
	tString keyType = iota
	tInt
	tLong
	tBool
	tMillis
	tList
	tHostPort
	tBase64
	tLevel
)

// connectTypes are the worker key types that read like Kafka's config types.
var connectTypes = map[keyType]connect.ConfigType{tInt: connect.TypeInt, tLong: connect.TypeLong, tMillis: connect.TypeLong, tBool: connect.TypeBoolean}

var typeNames = map[keyType]string{tString: "string", tInt: "int", tLong: "long", tBool: "boolean",
	tMillis: "ms", tList: "list", tHostPort: "host:port", tBase64: "base64", tLevel: "level"}

type key struct {
	name string
	typ  keyType
	def  string
	doc  string
	// set stores the parsed value into the config.
	set func(c *Config, v any)
	// check validates a parsed value; it returns the reason it is invalid.
	check func(v any) string
}

func atLeast(n int64) func(v any) string {
	return func(v any) string {
		var x int64
		switch t := v.(type) {
		case int:
			x = int64(t)
		case int64:
			x = t
		case time.Duration:
			x = t.Milliseconds()
		}
		if x < n {
			return fmt.Sprintf("must be at least %d", n)
		}
		return ""
	}
}

func oneOf(values ...string) func(v any) string {
	return func(v any) string {
		for _, x := range values {
			if v.(string) == x {
				return ""
			}
		}
		return "must be one of " + strings.Join(values, ", ")
	}
}

var keys = []key{
	{name: "node.id", typ: tString, doc: "Unique node name; defaults to the host name.", set: func(c *Config, v any) { c.NodeID = v.(string) }},
	{name: "data.dir", typ: tString, doc: "Directory for the Raft log and snapshots (required).", set: func(c *Config, v any) { c.DataDir = v.(string) }},
	{name: "group.id", typ: tString, def: "connect-cluster", doc: "Cluster name; a node with another group.id is refused at join.", set: func(c *Config, v any) { c.GroupID = v.(string) }},
	{name: "listeners", typ: tString, def: "http://:8083", doc: "REST listeners, http://host:port or https://host:port, comma-separated; https uses the listeners.https.ssl.* keys, falling back to ssl.*.", set: func(c *Config, v any) { c.Listeners = v.(string) }},
	{name: "rest.advertised.host.name", typ: tString, doc: "Host other nodes and clients use to reach this node's REST API; also the worker_id host.", set: func(c *Config, v any) { c.RESTAdvertisedHostName = v.(string) }},
	{name: "rest.advertised.port", typ: tInt, def: "0", doc: "Advertised REST port (default: the listener's).", set: func(c *Config, v any) { c.RESTAdvertisedPort = v.(int) }},
	{name: "raft.listener", typ: tHostPort, def: ":8300", doc: "Raft TCP bind address.", set: func(c *Config, v any) { c.RaftListener = v.(string) }},
	{name: "raft.advertised.address", typ: tHostPort, doc: "Raft address other nodes dial (default: raft.listener, with rest.advertised.host.name as host when the bind host is empty).", set: func(c *Config, v any) { c.RaftAdvertisedAddress = v.(string) }},
	{name: "cluster.listener", typ: tHostPort, def: ":8301", doc: "Gossip (memberlist) bind address, TCP and UDP.", set: func(c *Config, v any) { c.ClusterListener = v.(string) }},
	{name: "cluster.advertised.address", typ: tHostPort, doc: "Gossip address other nodes dial (default: derived from cluster.listener).", set: func(c *Config, v any) { c.ClusterAdvertisedAddress = v.(string) }},
	{name: "cluster.join", typ: tList, doc: "Comma list of gossip addresses of existing nodes to join.", set: func(c *Config, v any) { c.ClusterJoin = v.([]string) }},
	{name: "cluster.bootstrap.expect", typ: tInt, def: "3", doc: "Number of fresh nodes that bootstrap Raft together.", set: func(c *Config, v any) { c.ClusterBootstrapExpect = v.(int) }, check: atLeast(1)},
	{name: "cluster.gossip.key", typ: tBase64, doc: "Optional base64 key (16, 24 or 32 bytes) that encrypts gossip.", set: func(c *Config, v any) { c.ClusterGossipKey = v.([]byte) }},
	{name: "cluster.tls.ca.file", typ: tString, doc: "PEM CA that signs every node's cluster certificate; with cluster.tls.cert.file and cluster.tls.key.file it turns on mutual TLS for Raft and requires cluster.gossip.key.", set: func(c *Config, v any) { c.ClusterTLSCAFile = v.(string) }},
	{name: "cluster.tls.cert.file", typ: tString, doc: "PEM certificate of this node, signed by cluster.tls.ca.file (connectd tls cert makes one).", set: func(c *Config, v any) { c.ClusterTLSCertFile = v.(string) }},
	{name: "cluster.tls.key.file", typ: tString, doc: "PEM private key of cluster.tls.cert.file (may be the same file).", set: func(c *Config, v any) { c.ClusterTLSKeyFile = v.(string) }},
	{name: "bootstrap.servers", typ: tList, def: "localhost:9092", doc: "Kafka brokers for connector data.", set: func(c *Config, v any) { c.BootstrapServers = v.([]string) }},
	{name: "security.protocol", typ: tString, def: "PLAINTEXT", doc: "How every Kafka client connects: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, with the sasl.* and ssl.* keys (producer.*, consumer.* and admin.* forms win for their clients)."},
	{name: "key.converter", typ: tString, def: "org.apache.kafka.connect.json.JsonConverter", doc: "Default key converter."},
	{name: "value.converter", typ: tString, def: "org.apache.kafka.connect.json.JsonConverter", doc: "Default value converter."},
	{name: "header.converter", typ: tString, def: "org.apache.kafka.connect.storage.SimpleHeaderConverter", doc: "Default header converter."},
	{name: "offset.flush.interval.ms", typ: tMillis, def: "60000", doc: "How often source offsets are committed.", set: func(c *Config, v any) { c.OffsetFlushInterval = v.(time.Duration) }, check: atLeast(1)},
	{name: "offset.flush.timeout.ms", typ: tMillis, def: "5000", doc: "Longest wait for a flush.", set: func(c *Config, v any) { c.OffsetFlushTimeout = v.(time.Duration) }, check: atLeast(1)},
	{name: "task.shutdown.graceful.timeout.ms", typ: tMillis, def: "5000", doc: "Longest wait for a task to stop before it is abandoned.", set: func(c *Config, v any) { c.TaskShutdownTimeout = v.(time.Duration) }, check: atLeast(0)},
	{name: "scheduled.rebalance.max.delay.ms", typ: tMillis, def: "300000", doc: "How long a departed worker's work stays UNASSIGNED waiting for it to return.", set: func(c *Config, v any) { c.ScheduledRebalanceDelay = v.(time.Duration) }, check: atLeast(0)},
	{name: "session.timeout.ms", typ: tMillis, def: "10000", doc: "Worker lease: a worker that cannot reach the leader this long stops its work.", set: func(c *Config, v any) { c.SessionTimeout = v.(time.Duration) }, check: atLeast(1)},
	{name: "session.lease.skew.ms", typ: tMillis, def: "2000", doc: "Margin the leader adds to a silent worker's lease before it treats the worker as gone, for clock-rate differences and stopping time.", set: func(c *Config, v any) { c.LeaseSkew = v.(time.Duration) }, check: atLeast(0)},
	{name: "heartbeat.interval.ms", typ: tMillis, def: "3000", doc: "How often a worker renews its lease.", set: func(c *Config, v any) { c.HeartbeatInterval = v.(time.Duration) }, check: atLeast(1)},
	{name: "connect.protocol", typ: tString, def: "sessioned", doc: "eager, compatible or sessioned (the last two: incremental cooperative).", set: func(c *Config, v any) { c.ConnectProtocol = v.(string) }, check: oneOf("eager", "compatible", "sessioned")},
	{name: "topic.tracking.enable", typ: tBool, def: "true", doc: "Record the topics connectors use (GET /connectors/{n}/topics).", set: func(c *Config, v any) { c.TopicTrackingEnable = v.(bool) }},
	{name: "topic.tracking.allow.reset", typ: tBool, def: "true", doc: "Allow PUT /connectors/{n}/topics/reset.", set: func(c *Config, v any) { c.TopicTrackingAllowReset = v.(bool) }},
	{name: "topic.creation.enable", typ: tBool, def: "true", doc: "Let source connectors' topic.creation.* settings create topics.", set: func(c *Config, v any) { c.TopicCreationEnable = v.(bool) }},
	{name: "connector.client.config.override.policy", typ: tString, def: "All", doc: "All, None or Principal.", set: func(c *Config, v any) { c.ConnectorClientConfigOverridePolicy = v.(string) }, check: oneOf("All", "None", "Principal")},
	{name: "rest.request.timeout.ms", typ: tMillis, def: "90000", doc: "Longest a REST request waits (then 500 Request timed out).", set: func(c *Config, v any) { c.RESTRequestTimeout = v.(time.Duration) }, check: atLeast(1)},
	{name: "rest.max.body.bytes", typ: tLong, def: "1048576", doc: "Largest accepted request body (413 beyond).", set: func(c *Config, v any) { c.RESTMaxBodyBytes = v.(int64) }, check: atLeast(1)},
	{name: "raft.heartbeat.timeout.ms", typ: tMillis, def: "1000", doc: "Raft follower heartbeat timeout.", set: func(c *Config, v any) { c.RaftHeartbeatTimeout = v.(time.Duration) }, check: atLeast(5)},
	{name: "raft.election.timeout.ms", typ: tMillis, def: "1000", doc: "Raft election timeout.", set: func(c *Config, v any) { c.RaftElectionTimeout = v.(time.Duration) }, check: atLeast(5)},
	{name: "raft.leader.lease.timeout.ms", typ: tMillis, def: "500", doc: "Raft leader lease; at most the heartbeat timeout.", set: func(c *Config, v any) { c.RaftLeaderLeaseTimeout = v.(time.Duration) }, check: atLeast(5)},
	{name: "raft.commit.timeout.ms", typ: tMillis, def: "5", doc: "Longest a follower waits to learn that an entry committed when no other entry follows; bounds how long a read on a follower waits for a write that follower just answered.", set: func(c *Config, v any) { c.RaftCommitTimeout = v.(time.Duration) }, check: atLeast(1)},
	{name: "raft.snapshot.threshold", typ: tLong, def: "8192", doc: "Log entries between snapshots.", set: func(c *Config, v any) { c.RaftSnapshotThreshold = uint64(v.(int64)) }, check: atLeast(1)},
	{name: "raft.snapshot.interval.ms", typ: tMillis, def: "120000", doc: "How often Raft checks whether to snapshot.", set: func(c *Config, v any) { c.RaftSnapshotInterval = v.(time.Duration) }, check: atLeast(5)},
	{name: "raft.trailing.logs", typ: tLong, def: "10240", doc: "Log entries kept after a snapshot.", set: func(c *Config, v any) { c.RaftTrailingLogs = uint64(v.(int64)) }, check: atLeast(0)},
	{name: "gossip.probe.interval.ms", typ: tMillis, def: "1000", doc: "memberlist failure-detector probe interval.", set: func(c *Config, v any) { c.GossipProbeInterval = v.(time.Duration) }, check: atLeast(1)},
	{name: "gossip.probe.timeout.ms", typ: tMillis, def: "500", doc: "memberlist probe timeout; less than the interval.", set: func(c *Config, v any) { c.GossipProbeTimeout = v.(time.Duration) }, check: atLeast(1)},
	{name: "gossip.suspicion.mult", typ: tInt, def: "4", doc: "memberlist suspicion multiplier.", set: func(c *Config, v any) { c.GossipSuspicionMult = v.(int) }, check: atLeast(1)},
	{name: "gossip.interval.ms", typ: tMillis, def: "200", doc: "memberlist gossip interval.", set: func(c *Config, v any) { c.GossipInterval = v.(time.Duration) }, check: atLeast(1)},
	{name: "gossip.retransmit.mult", typ: tInt, def: "4", doc: "memberlist retransmit multiplier.", set: func(c *Config, v any) { c.GossipRetransmitMult = v.(int) }, check: atLeast(1)},
	{name: "admin.listeners", typ: tString, doc: "Listeners (http:// or https://, comma-separated) that alone serve /admin/* and POST /connectd/leave; empty disables them; unset: the REST listeners serve them."},
	{name: "rest.extension.classes", typ: tString, doc: "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension turns on HTTP Basic authentication of the REST API.", check: oneOf(basicAuthExtension)},
	{name: "rest.basic.auth.credentials.file", typ: tString, doc: "The BasicAuthSecurityRestExtension credentials: a properties file of user=password lines (PropertyFileLoginModule's format); a password may be a bcrypt hash.", set: func(c *Config, v any) { c.RESTCredentialsFile = v.(string) }},
	{name: "access.control.allow.origin", typ: tString, doc: "CORS: origins (comma-separated, or *) allowed to call the REST API from a browser; empty: no CORS headers.", set: func(c *Config, v any) { c.CORSAllowOrigin = v.(string) }},
	{name: "access.control.allow.methods", typ: tString, def: "GET,POST,HEAD", doc: "CORS: methods allowed from the origins of access.control.allow.origin.", set: func(c *Config, v any) { c.CORSAllowMethods = v.(string) }},
	{name: "inter.worker.key.ttl.ms", typ: tMillis, def: "3600000", doc: "How long the key that signs internal requests is used before the leader rotates it; the previous key stays valid for one more period.", set: func(c *Config, v any) { c.InterWorkerKeyTTL = v.(time.Duration) }, check: atLeast(1000)},
	{name: "filestream.allowed.paths", typ: tList, doc: "Directories under which FileStreamSource and FileStreamSink may read and write (comma-separated); * allows any file; empty: none.", set: func(c *Config, v any) { c.FileStreamAllowedPaths = v.([]string) }},
	{name: "config.providers", typ: tList, doc: "Names of config providers (KIP-297), each set up by config.providers.<name>.class (Kafka's FileConfigProvider, DirectoryConfigProvider or EnvVarConfigProvider) and config.providers.<name>.param.* (allowed.paths, allowlist.pattern); ${name:path:key} in worker and connector configs is resolved where it is used."},
	{name: "log.level", typ: tLevel, def: "INFO", doc: "DEBUG, INFO, WARN or ERROR.", set: func(c *Config, v any) { c.LogLevel = v.(slog.Level) }},
	{name: "log.format", typ: tString, def: "text", doc: "text (key=value) or json (one JSON object per line) log lines on stderr.", set: func(c *Config, v any) { c.LogFormat = v.(string) }, check: oneOf("text", "json")},
	{name: "metrics.enable", typ: tBool, def: "true", doc: "Collect the metrics GET /metrics serves; false leaves only an empty page.", set: func(c *Config, v any) { c.MetricsEnable = v.(bool) }},
}

// prefixes are key families passed through to converters and Kafka clients as they are.
var prefixes = []string{"key.converter.", "value.converter.", "header.converter.", "producer.", "consumer.", "admin.", "sasl.", "ssl.", "listeners.https.", "config.providers."}

// basicAuthExtension is the one REST extension connectd implements.
const basicAuthExtension = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"

// ignored are connect-distributed.properties keys that have no meaning in connectd; a migrated
// file that carries them still starts.
var ignored = map[string]bool{
	"offset.storage.topic": true, "config.storage.topic": true, "status.storage.topic": true,
	"offset.storage.replication.factor": true, "config.storage.replication.factor": true, "status.storage.replication.factor": true,
	"offset.storage.partitions": true, "status.storage.partitions": true, "plugin.path": true, "plugin.discovery": true,
	"rest.advertised.listener": true, "inter.worker.signature.algorithm": true,
	"inter.worker.key.generation.algorithm": true, "inter.worker.key.size": true, "inter.worker.verification.algorithms": true,
	"worker.sync.timeout.ms": true, "worker.unsync.backoff.ms": true, "rebalance.timeout.ms": true,
	"client.id": true,
}

// Keys documents every key connectd reads.
func Keys() []KeyDoc {
	out := make([]KeyDoc, 0, len(keys))
	for _, k := range keys {
		out = append(out, KeyDoc{Name: k.name, Type: typeNames[k.typ], Default: k.def, Doc: k.doc})
	}
	return out
}

// Load reads a properties file (empty path: none) and applies environment overrides.
func Load(path string, environ []string) (*Config, error) {
	props := map[string]string{}
	if path != "" {
		p, err := properties.LoadFile(path, properties.UTF8)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		p.DisableExpansion = true
		props = p.Map()
	}
	return Parse(props, environ)
}

// Parse resolves a configuration from properties and environment overrides (env wins).
func Parse(props map[string]string, environ []string) (*Config, error) {
	raw := map[string]string{}
	for k, v := range props {
		raw[k] = strings.TrimSpace(v)
	}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if rest, isConnect := strings.CutPrefix(name, "CONNECT_"); ok && isConnect && rest != "" {
			raw[strings.ReplaceAll(strings.ToLower(rest), "_", ".")] = value
		}
	}
	// Worker settings may hold config-provider placeholders; they are resolved once, here.
	providers, err := configprovider.FromWorkerConfig(raw, environ)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if raw, err = providers.Resolve(raw); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	known := map[string]*key{}
	for i := range keys {
		known[keys[i].name] = &keys[i]
	}
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if known[k] == nil && !ignored[k] && !hasPrefix(k) {
			return nil, fmt.Errorf("config: unknown key %q", k)
		}
	}
	c := &Config{Raw: map[string]string{}, ConfigProviders: providers}
	for k, v := range raw {
		c.Raw[k] = v
	}
	for i := range keys {
		k := &keys[i]
		value, set := raw[k.name]
		if !set || value == "" {
			value = k.def
		}
		if value == "" {
			continue
		}
		c.Raw[k.name] = value
		parsed, err := parse(k.typ, value)
		if err != nil {
			return nil, fmt.Errorf("config: invalid value %q for %q: %v", value, k.name, err)
		}
		if k.check != nil {
			if reason := k.check(parsed); reason != "" {
				return nil, fmt.Errorf("config: invalid value %q for %q: %s", value, k.name, reason)
			}
		}
		if k.set != nil {
			k.set(c, parsed)
		}
	}
	return c, c.finish()
}

func hasPrefix(k string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func parse(t keyType, v string) (any, error) {
	switch t {
	case tInt, tLong, tMillis, tBool:
		parsed, reason := connect.ParseValue(connectTypes[t], v)
		if reason != "" {
			return nil, errors.New(reason)
		}
		if t == tMillis {
			return time.Duration(parsed.(int64)) * time.Millisecond, nil
		}
		return parsed, nil
	case tList:
		var out []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	case tHostPort:
		if _, port, err := net.SplitHostPort(v); err != nil {
			return nil, fmt.Errorf("expected host:port")
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return nil, fmt.Errorf("expected a port number")
		}
		return v, nil
	case tBase64:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("not base64")
		}
		if n := len(b); n != 16 && n != 24 && n != 32 {
			return nil, fmt.Errorf("key must be 16, 24 or 32 bytes, not %d", n)
		}
		return b, nil
	case tLevel:
		var l slog.Level
		if err := l.UnmarshalText([]byte(v)); err != nil {
			return nil, fmt.Errorf("expected DEBUG, INFO, WARN or ERROR")
		}
		return l, nil
	}
	return v, nil
}

// finish fills derived defaults and checks keys that depend on each other.
func (c *Config) finish() error {
	if c.DataDir == "" {
		return fmt.Errorf("config: missing required key %q", "data.dir")
	}
	if c.NodeID == "" {
		host, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("config: missing required key %q (no host name to default to)", "node.id")
		}
		c.NodeID = host
	}
	var err error
	if c.RESTListeners, err = parseListeners("listeners", c.Listeners); err != nil {
		return err
	}
	if len(c.RESTListeners) == 0 {
		return fmt.Errorf("config: invalid value %q for %q: at least one listener is required", c.Listeners, "listeners")
	}
	if v, set := c.Raw["admin.listeners"]; set {
		c.AdminListenersSet = true
		if c.AdminListeners, err = parseListeners("admin.listeners", v); err != nil {
			return err
		}
	}
	if set := btoi(c.ClusterTLSCAFile != "") + btoi(c.ClusterTLSCertFile != "") + btoi(c.ClusterTLSKeyFile != ""); set != 0 && set != 3 {
		return fmt.Errorf("config: cluster TLS needs all of %q, %q and %q", "cluster.tls.ca.file", "cluster.tls.cert.file", "cluster.tls.key.file")
	}
	if c.ClusterTLS() && c.ClusterGossipKey == nil {
		return fmt.Errorf("config: missing required key %q: with cluster TLS on, gossip must be encrypted too", "cluster.gossip.key")
	}
	if c.Raw["rest.extension.classes"] != "" && c.RESTCredentialsFile == "" {
		return fmt.Errorf("config: missing required key %q: %s needs a credentials file", "rest.basic.auth.credentials.file", basicAuthExtension)
	}
	if c.RESTCredentialsFile != "" && c.Raw["rest.extension.classes"] == "" {
		return fmt.Errorf("config: %q is set but %q does not name %s", "rest.basic.auth.credentials.file", "rest.extension.classes", basicAuthExtension)
	}
	if c.GossipProbeTimeout >= c.GossipProbeInterval {
		return fmt.Errorf("config: invalid value %q for %q: must be less than gossip.probe.interval.ms", c.Raw["gossip.probe.timeout.ms"], "gossip.probe.timeout.ms")
	}
	if c.RaftLeaderLeaseTimeout > c.RaftHeartbeatTimeout {
		return fmt.Errorf("config: invalid value %q for %q: must not exceed raft.heartbeat.timeout.ms", c.Raw["raft.leader.lease.timeout.ms"], "raft.leader.lease.timeout.ms")
	}
	if c.HeartbeatInterval >= c.SessionTimeout {
		return fmt.Errorf("config: invalid value %q for %q: must be less than session.timeout.ms", c.Raw["heartbeat.interval.ms"], "heartbeat.interval.ms")
	}
	if c.RaftAdvertisedAddress == "" {
		host, port, _ := net.SplitHostPort(c.RaftListener)
		if host == "" || net.ParseIP(host).IsUnspecified() {
			host = c.advertisedHost()
		}
		c.RaftAdvertisedAddress = net.JoinHostPort(host, port)
	}
	return nil
}

// ClusterTLS reports whether Raft runs over mutual TLS.
func (c *Config) ClusterTLS() bool { return c.ClusterTLSCAFile != "" }

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Listener is one REST listener: its scheme (http or https) and the host:port it binds.
type Listener struct {
	Scheme string
	Addr   string
}

// parseListeners reads Kafka's comma-separated listener list, each http:// or https://host:port.
func parseListeners(name, value string) ([]Listener, error) {
	var out []Listener
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		u, err := url.Parse(item)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("config: invalid value %q for %q: expected http://host:port or https://host:port listeners, comma-separated", value, name)
		}
		if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" {
			return nil, fmt.Errorf("config: invalid value %q for %q: listener %s has no port", value, name, item)
		}
		out = append(out, Listener{Scheme: u.Scheme, Addr: u.Host})
	}
	return out, nil
}

// ListenAddr is the host:port the first REST listener binds.
func (c *Config) ListenAddr() string {
	if len(c.RESTListeners) == 0 {
		return ""
	}
	return c.RESTListeners[0].Addr
}

// RESTScheme is the scheme of the first REST listener, the one other nodes are told to use.
func (c *Config) RESTScheme() string {
	if len(c.RESTListeners) == 0 {
		return "http"
	}
	return c.RESTListeners[0].Scheme
}

// advertisedHost is the host others use to reach this node: rest.advertised.host.name, else the
// listener's bind host, else the host name.
func (c *Config) advertisedHost() string {
	if c.RESTAdvertisedHostName != "" {
		return c.RESTAdvertisedHostName
	}
	host, _, _ := net.SplitHostPort(c.ListenAddr())
	if host != "" && !net.ParseIP(host).IsUnspecified() {
		return host
	}
	if h, err := os.Hostname(); err == nil {
		return h
	}
	return "localhost"
}

// AdvertisedURL is the REST base URL other nodes and clients use. boundPort is the port the
// listener actually bound, used when neither rest.advertised.port nor the listener names one.
func (c *Config) AdvertisedURL(boundPort int) string {
	port := c.RESTAdvertisedPort
	if port == 0 {
		port = boundPort
	}
	return c.RESTScheme() + "://" + net.JoinHostPort(c.advertisedHost(), strconv.Itoa(port))
}
