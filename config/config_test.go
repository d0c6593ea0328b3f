package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func base() map[string]string { return map[string]string{"data.dir": "/tmp/x", "node.id": "n1"} }

func with(kv ...string) map[string]string {
	m := base()
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestDefaults(t *testing.T) {
	c, err := Parse(base(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.GroupID != "connect-cluster" || c.ListenAddr() != ":8083" || c.OffsetFlushInterval != time.Minute ||
		c.ScheduledRebalanceDelay != 5*time.Minute || c.SessionTimeout != 10*time.Second || c.ConnectProtocol != "sessioned" ||
		!c.TopicTrackingEnable || c.RESTMaxBodyBytes != 1<<20 || c.Raw["value.converter"] != "org.apache.kafka.connect.json.JsonConverter" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		props map[string]string
		want  string
	}{
		{map[string]string{"node.id": "n"}, `missing required key "data.dir"`},
		{with("foo.bar", "1"), `unknown key "foo.bar"`},
		{with("offset.flush.interval.ms", "abc"), `invalid value "abc" for "offset.flush.interval.ms": Not a number of type LONG`},
		{with("topic.tracking.enable", "yes"), `invalid value "yes" for "topic.tracking.enable": Expected value to be either true or false`},
		{with("cluster.bootstrap.expect", "3000000000"), `invalid value "3000000000" for "cluster.bootstrap.expect": Not a number of type INT`},
		{with("raft.listener", "nope"), `invalid value "nope" for "raft.listener"`},
		{with("cluster.gossip.key", "!!"), `invalid value "!!" for "cluster.gossip.key"`},
		{with("cluster.gossip.key", "c2hvcnQ="), `for "cluster.gossip.key": key must be 16, 24 or 32 bytes`},
		{with("connect.protocol", "fast"), `invalid value "fast" for "connect.protocol"`},
		{with("listeners", "ftp://:8443"), `for "listeners"`},
		{with("listeners", "http://:8083,https://:"), `for "listeners": listener https://: has no port`},
		{with("admin.listeners", "tcp://:9999"), `for "admin.listeners"`},
		{with("rest.extension.classes", "org.example.Other"), `for "rest.extension.classes"`},
		{with("rest.extension.classes", "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"), `"rest.basic.auth.credentials.file"`},
		{with("cluster.bootstrap.expect", "0"), `for "cluster.bootstrap.expect": must be at least 1`},
		{with("gossip.probe.timeout.ms", "2000"), `for "gossip.probe.timeout.ms": must be less than`},
		{with("log.level", "LOUD"), `for "log.level"`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.props, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: got %v, want one line containing %q", tt.props, err, tt.want)
		}
	}
}

// A connect-distributed.properties with SASL settings starts, and the settings reach Raw for the clients.
func TestSecuritySettingsAreAccepted(t *testing.T) {
	c, err := Parse(with("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512",
		"sasl.jaas.config", `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`,
		"consumer.ssl.endpoint.identification.algorithm", ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Raw["sasl.mechanism"] != "SCRAM-SHA-512" {
		t.Fatalf("raw settings: %v", c.Raw)
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "worker.properties")
	content := "# a comment\ndata.dir=/var/lib/connectd\nnode.id=a\ngroup.id=from-file\noffset.storage.topic=connect-offsets\nkey.converter.schemas.enable=false\nproducer.linger.ms=5\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, []string{"CONNECT_GROUP_ID=from-env", "CONNECT_SESSION_TIMEOUT_MS=4000", "PATH=/bin"})
	if err != nil {
		t.Fatal(err)
	}
	if c.GroupID != "from-env" || c.SessionTimeout != 4*time.Second || c.DataDir != "/var/lib/connectd" {
		t.Fatalf("overrides: %+v", c)
	}
	if c.Raw["key.converter.schemas.enable"] != "false" || c.Raw["producer.linger.ms"] != "5" {
		t.Fatal("prefixed keys must pass through to Raw")
	}
	if _, err := Load(path, []string{"CONNECT_NO_SUCH_KEY=1"}); err == nil || !strings.Contains(err.Error(), `"no.such.key"`) {
		t.Fatalf("unknown env key: %v", err)
	}
}

func TestGossipKeyAndAdvertisedAddresses(t *testing.T) {
	c, err := Parse(with("cluster.gossip.key", "MDEyMzQ1Njc4OWFiY2RlZg==", "listeners", "http://0.0.0.0:9000",
		"rest.advertised.host.name", "node1", "raft.listener", "0.0.0.0:8300"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(c.ClusterGossipKey) != "0123456789abcdef" {
		t.Fatalf("gossip key %q", c.ClusterGossipKey)
	}
	if got := c.AdvertisedURL(9000); got != "http://node1:9000" {
		t.Fatalf("advertised URL %s", got)
	}
	if c.RaftAdvertisedAddress != "node1:8300" {
		t.Fatalf("raft advertised %s", c.RaftAdvertisedAddress)
	}
}

func TestKeysAreDocumented(t *testing.T) {
	for _, k := range Keys() {
		if k.Doc == "" || k.Type == "" {
			t.Errorf("key %s lacks documentation", k.Name)
		}
	}
}

// TestREADMEDocumentsEveryKey keeps the README's configuration table true.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys() {
		if !strings.Contains(string(readme), "`"+k.Name+"`") {
			t.Errorf("README does not document %s", k.Name)
		}
	}
}
