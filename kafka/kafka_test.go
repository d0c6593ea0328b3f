package kafka

import (
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

func TestConsumerSettingsFromWorkerAndConnector(t *testing.T) {
	conf, err := ConsumerConfig("c", map[string]string{"consumer.auto.offset.reset": "latest", "consumer.fetch.min.bytes": "10",
		"consumer.session.timeout.ms": "30000"}, map[string]string{"consumer.override.fetch.max.wait.ms": "250"})
	if err != nil {
		t.Fatal(err)
	}
	if conf.Consumer.Offsets.Initial != sarama.OffsetNewest || conf.Consumer.Fetch.Min != 10 ||
		conf.Consumer.MaxWaitTime != 250*time.Millisecond || conf.Consumer.Group.Session.Timeout != 30*time.Second {
		t.Fatalf("settings not applied: initial %d, fetch.min %d, max wait %v, session %v", conf.Consumer.Offsets.Initial,
			conf.Consumer.Fetch.Min, conf.Consumer.MaxWaitTime, conf.Consumer.Group.Session.Timeout)
	}
	conf, err = ConsumerConfig("c", map[string]string{"consumer.auto.offset.reset": "latest"}, map[string]string{"consumer.override.auto.offset.reset": "earliest"})
	if err != nil || conf.Consumer.Offsets.Initial != sarama.OffsetOldest {
		t.Fatalf("the connector's override should win: %v %v", conf.Consumer.Offsets.Initial, err)
	}
	for _, tc := range []struct {
		connector map[string]string
		want      string
	}{
		{map[string]string{"consumer.override.auto.offset.reset": "none"}, "Invalid value none for configuration auto.offset.reset"},
		{map[string]string{"consumer.override.fetch.min.bytes": "lots"}, "Invalid value lots for configuration fetch.min.bytes: Not a number of type INT"},
		{map[string]string{"consumer.override.heartbeat.interval.ms": "20000"}, "Heartbeat.Interval"},
	} {
		if _, err := ConsumerConfig("c", nil, tc.connector); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.connector, err, tc.want)
		}
	}
}

func TestAdminConfig(t *testing.T) {
	conf, err := AdminConfig("connectd-admin-n1", map[string]string{
		"admin.client.id": "ops", "admin.request.timeout.ms": "7000", "admin.retries": "2",
		"admin.retry.backoff.ms": "50", "admin.socket.connection.setup.timeout.ms": "1500",
	})
	if err != nil {
		t.Fatal(err)
	}
	if conf.ClientID != "ops" || conf.Admin.Timeout != 7*time.Second || conf.Net.ReadTimeout != 7*time.Second ||
		conf.Admin.Retry.Max != 2 || conf.Admin.Retry.Backoff != 50*time.Millisecond || conf.Net.DialTimeout != 1500*time.Millisecond {
		t.Fatalf("admin.* settings not applied: %+v %+v %+v", conf.Admin, conf.Net.DialTimeout, conf.ClientID)
	}
	if conf, err := AdminConfig("connectd-admin-n1", nil); err != nil || conf.ClientID != "connectd-admin-n1" {
		t.Fatalf("defaults: %v %v", conf, err)
	}
	if _, err := AdminConfig("c", map[string]string{"admin.retries": "many"}); err == nil || err.Error() != "Invalid value many for configuration retries: Not a number of type INT" {
		t.Fatalf("a non-numeric admin.retries: got %v, want Kafka's message", err)
	}
}
