package kafka

import (
	"testing"
	"time"
)

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
	if _, err := AdminConfig("c", map[string]string{"admin.retries": "many"}); err == nil {
		t.Fatal("a non-numeric admin.retries was accepted")
	}
}
