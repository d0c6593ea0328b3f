// Package kafka builds every Kafka client connectd opens: the sarama configurations of the
// producers, consumers and admin clients from the worker's and the connectors' Kafka settings
// (including their security settings), the administration of sink connectors' consumer groups
// and topics, and the names Kafka Connect gives them. Moving records (the source tasks' producer,
// the sink tasks' consumer groups) is the worker's job; it takes its configurations from here.
package kafka

import (
	"fmt"
	"maps"
	"net"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// protocolVersion is the Kafka protocol version every client speaks: 2.4, the newest that one
// of connectd's clients needs, since sarama sends no request newer than this version and the
// offsets API deletes a single partition's committed offset (OffsetDelete, KIP-496, Kafka 2.4).
// It is a ceiling, not a floor: sarama asks each broker which versions it speaks and sends each
// request in the newest version both speak, so an older broker is still spoken to in its own.
var protocolVersion = sarama.V2_4_0_0

func baseConfig(clientID string) *sarama.Config {
	conf := sarama.NewConfig()
	conf.ClientID = clientID
	conf.Version = protocolVersion
	conf.Net.DialTimeout = 5 * time.Second
	conf.Metadata.Retry.Backoff = 100 * time.Millisecond
	return conf
}

// ProducerConfig is the connections a source task produces on, with the security settings of
// props (the worker's, or ConnectorClientProps for a connector); the worker's own batching
// producer does the producing, idempotent and acks=all.
func ProducerConfig(clientID string, props map[string]string) (*sarama.Config, error) {
	conf := baseConfig(clientID)
	// Sarama has no other hook for its dialer than the proxy one.
	conf.Net.Proxy.Enable = true
	conf.Net.Proxy.Dialer = resettingDialer{net.Dialer{Timeout: conf.Net.DialTimeout, KeepAlive: conf.Net.KeepAlive}}
	return conf, ApplySecurity(conf, props, Producer)
}

// resettingDialer makes producer connections that are reset, not drained, when closed: a worker
// that loses its lease closes them so that records still in the kernel's send buffer are
// dropped, instead of reaching Kafka after the network heals and the work has moved on.
type resettingDialer struct{ net.Dialer }

func (d resettingDialer) Dial(network, addr string) (net.Conn, error) {
	conn, err := d.Dialer.Dial(network, addr)
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	return conn, err
}

// ConsumerConfig is a sink task's consumer-group member, which commits only what the task has
// flushed, with the worker's consumer.* and the connector's consumer.override.* settings that
// sarama has an equivalent for.
func ConsumerConfig(clientID string, worker, connector map[string]string) (*sarama.Config, error) {
	conf := baseConfig(clientID)
	conf.Consumer.Offsets.AutoCommit.Enable = false
	conf.Consumer.Offsets.Initial = sarama.OffsetOldest
	conf.Consumer.Return.Errors = true
	conf.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	conf.Consumer.Group.Session.Timeout = 10 * time.Second
	conf.Consumer.Group.Heartbeat.Interval = 3 * time.Second
	conf.Consumer.MaxWaitTime = 100 * time.Millisecond
	get := clientSetting(Consumer, worker, connector)
	if v, ok := get("auto.offset.reset"); ok {
		switch v {
		case "earliest":
		case "latest":
			conf.Consumer.Offsets.Initial = sarama.OffsetNewest
		default:
			return nil, fmt.Errorf("Invalid value %s for configuration auto.offset.reset: connectd's sink consumers start at earliest or latest", v)
		}
	}
	ms := func(d *time.Duration) func(int64) { return func(n int64) { *d = millis(n) } }
	bytes := func(b *int32) func(int64) { return func(n int64) { *b = int32(n) } }
	err := setNumbers(get, []numberSetting{
		{"fetch.max.wait.ms", kafkaInt, ms(&conf.Consumer.MaxWaitTime)},
		{"session.timeout.ms", kafkaInt, ms(&conf.Consumer.Group.Session.Timeout)},
		{"heartbeat.interval.ms", kafkaInt, ms(&conf.Consumer.Group.Heartbeat.Interval)},
		{"fetch.min.bytes", kafkaInt, bytes(&conf.Consumer.Fetch.Min)},
		{"max.partition.fetch.bytes", kafkaInt, bytes(&conf.Consumer.Fetch.Default)},
	})
	if err != nil {
		return nil, err
	}
	if err := ApplySecurity(conf, ConnectorClientProps(worker, connector, Consumer), Consumer); err != nil {
		return nil, err
	}
	return conf, conf.Validate()
}

// AdminConfig is an admin client (a source connector's topic creation, its dead letter queue's,
// the offsets API's consumer groups) with the admin.* settings of props that sarama has an
// equivalent for.
func AdminConfig(clientID string, props map[string]string) (*sarama.Config, error) {
	conf := baseConfig(clientID)
	if v := props["admin.client.id"]; v != "" {
		conf.ClientID = v
	}
	err := setNumbers(func(key string) (string, bool) { v, ok := props[Admin+key]; return v, ok }, []numberSetting{
		{"request.timeout.ms", kafkaInt, func(n int64) {
			conf.Admin.Timeout = millis(n)
			conf.Net.ReadTimeout, conf.Net.WriteTimeout = conf.Admin.Timeout, conf.Admin.Timeout
		}},
		{"retries", kafkaInt, func(n int64) { conf.Admin.Retry.Max = int(n) }},
		{"retry.backoff.ms", kafkaLong, func(n int64) {
			conf.Admin.Retry.Backoff = millis(n)
			conf.Metadata.Retry.Backoff = conf.Admin.Retry.Backoff
		}},
		{"socket.connection.setup.timeout.ms", kafkaLong, func(n int64) { conf.Net.DialTimeout = millis(n) }},
	})
	if err != nil {
		return nil, err
	}
	if err := ApplySecurity(conf, props, Admin); err != nil {
		return nil, err
	}
	return conf, conf.Validate()
}

// ConnectorClientProps are the worker's properties with a connector's <kind>override.* keys in
// place of the worker's <kind>* ones (kind is Producer, Consumer or Admin), which is how a
// connector's clients read their settings.
func ConnectorClientProps(worker, connector map[string]string, kind string) map[string]string {
	merged := maps.Clone(worker)
	if merged == nil {
		merged = map[string]string{}
	}
	for k, v := range connector {
		if rest, ok := strings.CutPrefix(k, kind+"override."); ok {
			merged[kind+rest] = v
		}
	}
	return merged
}

// OverridesSecurity tells whether a connector sets its own <kind>override. security settings,
// so that its clients cannot share the worker's connections.
func OverridesSecurity(connector map[string]string, kind string) bool {
	for k := range connector {
		if rest, ok := strings.CutPrefix(k, kind+"override."); ok &&
			(rest == "security.protocol" || strings.HasPrefix(rest, "sasl.") || strings.HasPrefix(rest, "ssl.")) {
			return true
		}
	}
	return false
}

// SinkGroupID is the consumer group of a sink connector: Kafka Connect's connect-<name>, unless
// consumer.override.group.id names another.
func SinkGroupID(name string, config map[string]string) string {
	if g := config["consumer.override.group.id"]; g != "" {
		return g
	}
	return "connect-" + name
}
