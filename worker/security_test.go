package worker_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/connectd/connectd/internal/testcluster"
)

// A file goes through a topic into another file on a Kafka that requires SCRAM: the source's
// producer and topic creation, the sink's consumer group and the offsets API's admin client all
// log in with the worker's security settings.
func TestConnectorsLogInToAKafkaThatRequiresSASL(t *testing.T) {
	broker := saslBroker(t, "SCRAM-SHA-256", "connect", "s3cret")
	jaas := `org.apache.kafka.common.security.scram.ScramLoginModule required username="connect" password="s3cret";`
	c := testcluster.New(t, 1, testcluster.With("bootstrap.servers", broker),
		testcluster.With("security.protocol", "SASL_PLAINTEXT"), testcluster.With("sasl.mechanism", "SCRAM-SHA-256"),
		testcluster.With("sasl.jaas.config", jaas), testcluster.With("offset.flush.interval.ms", "100"))
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	writeLines(t, in, 0, 300)
	testcluster.MustDo(t, 201, "PUT", c.URL(0)+"/connectors/src/config", fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"secured",%s,
		"topic.creation.default.replication.factor":"1","topic.creation.default.partitions":"2"}`, in, stringConverters))
	testcluster.MustDo(t, 201, "PUT", c.URL(0)+"/connectors/sink/config", fmt.Sprintf(`{"connector.class":"FileStreamSink","file":%q,"topics":"secured",%s}`, out, stringConverters))
	testcluster.Eventually(t, 30*time.Second, func() error {
		if n := countLines(out); n < 300 {
			return fmt.Errorf("%d of 300 lines delivered", n)
		}
		return nil
	})
	data, err := os.ReadFile(out)
	if err != nil || len(data) != len(mustRead(t, in)) {
		t.Fatalf("sink file %d bytes, source %d: %v", len(data), len(mustRead(t, in)), err)
	}
	// The sink's committed offsets come from Kafka through the admin client.
	testcluster.MustDo(t, 204, "PUT", c.URL(0)+"/connectors/sink/stop", "")
	testcluster.Eventually(t, 10*time.Second, func() error {
		if code, body := testcluster.Do(t, "GET", c.URL(0)+"/connectors/sink/offsets", ""); code != 200 || !strings.Contains(body, `"kafka_offset":`) {
			return fmt.Errorf("sink offsets: %d %s", code, body)
		}
		return nil
	})
}

// saslBroker starts a broker that admits only user, by mechanism, and returns its address.
func saslBroker(t *testing.T, mechanism, user, password string) string {
	t.Helper()
	broker, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.EnableSASL(),
		kfake.Superuser(mechanism, user, password))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	return broker.ListenAddrs()[0]
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A connector that logs in as its own principal (the Principal override policy's use) does so:
// the worker's own credentials here are refused, so only the connector's overrides can deliver.
func TestConnectorLogsInWithItsOwnCredentials(t *testing.T) {
	broker := saslBroker(t, "PLAIN", "tenant", "tenant-secret")
	login := func(user, password string) string {
		return fmt.Sprintf(`org.apache.kafka.common.security.plain.PlainLoginModule required username=\"%s\" password=\"%s\";`, user, password)
	}
	c := testcluster.New(t, 1, testcluster.With("bootstrap.servers", broker),
		testcluster.With("security.protocol", "SASL_PLAINTEXT"), testcluster.With("sasl.mechanism", "PLAIN"),
		testcluster.With("sasl.jaas.config", `org.apache.kafka.common.security.plain.PlainLoginModule required username="worker" password="unknown";`),
		testcluster.With("offset.flush.interval.ms", "100"), testcluster.With("connector.client.config.override.policy", "Principal"))
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	writeLines(t, in, 0, 50)
	testcluster.MustDo(t, 201, "PUT", c.URL(0)+"/connectors/src/config", fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"tenant",%s,
		"producer.override.sasl.jaas.config":"%s"}`, in, stringConverters, login("tenant", "tenant-secret")))
	testcluster.MustDo(t, 201, "PUT", c.URL(0)+"/connectors/sink/config", fmt.Sprintf(`{"connector.class":"FileStreamSink","file":%q,"topics":"tenant",%s,
		"consumer.override.sasl.jaas.config":"%s","admin.override.sasl.jaas.config":"%[3]s"}`, out, stringConverters, login("tenant", "tenant-secret")))
	testcluster.Eventually(t, 30*time.Second, func() error {
		if n := countLines(out); n < 50 {
			return fmt.Errorf("%d of 50 lines delivered", n)
		}
		return nil
	})
	// The offsets API reads the sink's group as the connector: with its admin override.
	testcluster.MustDo(t, 204, "PUT", c.URL(0)+"/connectors/sink/stop", "")
	testcluster.Eventually(t, 10*time.Second, func() error {
		if code, body := testcluster.Do(t, "GET", c.URL(0)+"/connectors/sink/offsets", ""); code != 200 || !strings.Contains(body, `"kafka_offset":`) {
			return fmt.Errorf("sink offsets: %d %s", code, body)
		}
		return nil
	})
}
