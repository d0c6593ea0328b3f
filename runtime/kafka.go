package runtime

import (
	"errors"
	"github.com/connectd/connectd/internal/kafkasecurity"
	"maps"

	"fmt"
	"net"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// kafkaVersion is the protocol version sarama speaks; 2.1 covers idempotent produce, consumer
// groups with static offsets and the admin calls the offsets API needs.
var kafkaVersion = sarama.V2_1_0_0

func baseConfig(clientID string) *sarama.Config {
	conf := sarama.NewConfig()
	conf.ClientID = clientID
	conf.Version = kafkaVersion
	conf.Net.DialTimeout = 5 * time.Second
	conf.Metadata.Retry.Backoff = 100 * time.Millisecond
	return conf
}

// producerConfig is the source tasks' shared connections to Kafka; batchProducer does the
// producing itself, idempotent and acks=all.
func producerConfig(clientID string, props map[string]string) (*sarama.Config, error) {
	conf := baseConfig(clientID)
	// Sarama has no other hook for its dialer than the proxy one.
	conf.Net.Proxy.Enable = true
	conf.Net.Proxy.Dialer = resettingDialer{net.Dialer{Timeout: conf.Net.DialTimeout, KeepAlive: conf.Net.KeepAlive}}
	return conf, kafkasecurity.Apply(conf, props, kafkasecurity.Producer)
}

// ConnectorClientProps are the worker's properties with a connector's <kind>override.* keys in
// place of the worker's <kind>* ones (kind is "producer.", "consumer." or "admin."), which is
// how a connector's clients read their security settings.
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

// overridesSecurity tells whether a connector sets its own <kind>override. security settings.
func overridesSecurity(connector map[string]string, kind string) bool {
	for k := range connector {
		if rest, ok := strings.CutPrefix(k, kind+"override."); ok &&
			(rest == "security.protocol" || strings.HasPrefix(rest, "sasl.") || strings.HasPrefix(rest, "ssl.")) {
			return true
		}
	}
	return false
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

// consumerConfig is a consumer-group member that commits only what the task has flushed, with
// the worker's consumer.* and the connector's consumer.override.* settings that sarama has an
// equivalent for.
func consumerConfig(clientID string, worker, connector map[string]string) (*sarama.Config, error) {
	conf := baseConfig(clientID)
	conf.Consumer.Offsets.AutoCommit.Enable = false
	conf.Consumer.Offsets.Initial = sarama.OffsetOldest
	conf.Consumer.Return.Errors = true
	conf.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	conf.Consumer.Group.Session.Timeout = 10 * time.Second
	conf.Consumer.Group.Heartbeat.Interval = 3 * time.Second
	conf.Consumer.MaxWaitTime = 100 * time.Millisecond
	get := clientSetting("consumer.", worker, connector)
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
	if err := kafkasecurity.Apply(conf, ConnectorClientProps(worker, connector, "consumer."), kafkasecurity.Consumer); err != nil {
		return nil, err
	}
	return conf, conf.Validate()
}

// adminConfig is a connector's admin client, for topic creation.
func adminConfig(clientID string, props map[string]string) (*sarama.Config, error) {
	conf := baseConfig(clientID)
	return conf, kafkasecurity.Apply(conf, props, kafkasecurity.Admin)
}

// SinkGroupID is the consumer group of a sink connector: Kafka Connect's connect-<name>, unless
// consumer.override.group.id names another.
func SinkGroupID(name string, config map[string]string) string {
	if g := config["consumer.override.group.id"]; g != "" {
		return g
	}
	return "connect-" + name
}

// ensureTopic creates topic when it is missing, with the connector's topic.creation.default.*
// settings (Kafka Connect's topic creation for source connectors).
func ensureTopic(admin sarama.ClusterAdmin, topic string, config map[string]string) error {
	topics, err := admin.ListTopics()
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	if _, ok := topics[topic]; ok {
		return nil
	}
	detail := &sarama.TopicDetail{NumPartitions: -1, ReplicationFactor: -1, ConfigEntries: map[string]*string{}}
	if v := config["topic.creation.default.partitions"]; v != "" {
		var n int32
		if _, err := fmt.Sscan(v, &n); err == nil {
			detail.NumPartitions = n
		}
	}
	if v := config["topic.creation.default.replication.factor"]; v != "" {
		var n int16
		if _, err := fmt.Sscan(v, &n); err == nil {
			detail.ReplicationFactor = n
		}
	}
	for k, v := range config {
		if rest, ok := strings.CutPrefix(k, "topic.creation.default."); ok && rest != "partitions" && rest != "replication.factor" {
			detail.ConfigEntries[rest] = &v
		}
	}
	err = admin.CreateTopic(topic, detail, false)
	if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}
