package agent_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/connectd/connectd/internal/testcluster"
)

// scrape reads a node's GET /metrics.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("GET /metrics is not Prometheus text: %v", err)
	}
	return fams
}

// value sums the series of a family whose labels include want; found says whether any matched.
func value(fams map[string]*dto.MetricFamily, name string, want ...string) (total float64, found bool) {
	fam := fams[name]
	if fam == nil {
		return 0, false
	}
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(want); i += 2 {
			match = match && labels[want[i]] == want[i+1]
		}
		if !match {
			continue
		}
		found = true
		switch {
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Histogram != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return total, found
}

// clusterValue sums a series over every node of the cluster.
func clusterValue(t *testing.T, c *testcluster.Cluster, name string, want ...string) float64 {
	t.Helper()
	total := 0.0
	for i := 0; i < c.Size(); i++ {
		v, _ := value(scrape(t, c.URL(i)), name, want...)
		total += v
	}
	return total
}

// requestRetry retries a request answered 409 (a rebalance or election under way), as clients do.
func requestRetry(t *testing.T, method, url, body string) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code := request(t, method, url, body)
		if code != http.StatusConflict || time.Now().After(deadline) {

			return code
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func request(t *testing.T, method, url, body string) int {
	t.Helper()
	code, _ := testcluster.Do(t, method, url, body)
	return code
}

// TestMetricsAfterAKnownWorkload moves 40 lines file -> topic -> file and checks that /metrics
// counts them in Kafka Connect's groups, and connectd's own series. One node: a rebalance would
// restart tasks, and Kafka's task metrics count from a task's last start.
func TestMetricsAfterAKnownWorkload(t *testing.T) {
	c := testcluster.New(t, 1, testcluster.With("cluster.bootstrap.expect", "1"),
		testcluster.With("bootstrap.servers", testcluster.StartBroker(t)),
		testcluster.With("offset.flush.interval.ms", "100"),
		testcluster.With("scheduled.rebalance.max.delay.ms", "0"))
	c.WaitHealthy()
	const lines = 40
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	var text strings.Builder
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&text, "line-%d\n", i)
	}
	if err := os.WriteFile(in, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	converters := `"key.converter":"org.apache.kafka.connect.storage.StringConverter","value.converter":"org.apache.kafka.connect.storage.StringConverter"`
	if code := requestRetry(t, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"src","config":{"connector.class":"FileStreamSource","file":%q,"topic":"lines",%s}}`, in, converters)); code != 201 {
		t.Fatalf("create src: %d", code)
	}
	if code := requestRetry(t, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"sink","config":{"connector.class":"FileStreamSink","file":%q,"topics":"lines",%s}}`, out, converters)); code != 201 {
		t.Fatalf("create sink: %d", code)
	}
	if code := request(t, "GET", c.URL(0)+"/connectors/nope/status", ""); code != 404 {
		t.Fatalf("status of an unknown connector: %d", code)
	}
	testcluster.Eventually(t, 20*time.Second, func() error {
		data, _ := os.ReadFile(out)
		if n := strings.Count(string(data), "\n"); n != lines {
			return fmt.Errorf("sink wrote %d lines", n)
		}
		return nil
	})

	// Counted on whichever node runs each task; the sum over the cluster is the workload.
	testcluster.Eventually(t, 10*time.Second, func() error {
		checks := []struct {
			name   string
			labels []string
			want   float64
		}{
			{"kafka_connect_source_task_metrics_source_record_poll_total", []string{"connector", "src", "task", "0"}, lines},
			{"kafka_connect_source_task_metrics_source_record_write_total", []string{"connector", "src", "task", "0"}, lines},
			{"kafka_connect_source_task_metrics_source_record_active_count", []string{"connector", "src"}, 0},
			{"kafka_connect_sink_task_metrics_sink_record_read_total", []string{"connector", "sink", "task", "0"}, lines},
			{"kafka_connect_sink_task_metrics_sink_record_send_total", []string{"connector", "sink", "task", "0"}, lines},
			{"kafka_connect_sink_task_metrics_sink_record_lag_max", []string{"connector", "sink"}, 0},
			{"kafka_connect_sink_task_metrics_sink_record_active_count", []string{"connector", "sink"}, 0},
			{"kafka_connect_connector_metrics_status", []string{"connector", "src", "status", "running"}, 1},
			{"kafka_connect_connector_metrics_connector_type", []string{"connector", "sink", "connector_type", "sink"}, 1},
			{"kafka_connect_connector_task_metrics_status", []string{"connector", "sink", "task", "0", "status", "running"}, 1},
			{"kafka_connect_connect_worker_metrics_connector_count", nil, 2},
			{"kafka_connect_connect_worker_metrics_task_count", nil, 2},
			{"kafka_connect_connect_worker_metrics_connector_running_task_count", []string{"connector", "src"}, 1},
			{"kafka_connect_connect_worker_metrics_task_startup_success_total", nil, 2},
			{"kafka_connect_task_error_metrics_total_record_failures", []string{"connector", "src"}, 0},
			{"connectd_producer_batch_records", nil, -1}, // at least one batch
			{"connectd_rest_request_duration_seconds", []string{"route", "/connectors", "method", "POST", "code", "201"}, 2},
			{"connectd_rest_request_duration_seconds", []string{"route", "/connectors/{name}/status", "method", "GET", "code", "404"}, 1},
			{"connectd_gossip_members", []string{"state", "alive"}, 1},
			{"connectd_raft_state", []string{"state", "leader"}, 1},
			{"kafka_connect_connect_worker_rebalance_metrics_connect_protocol", []string{"connect_protocol", "sessioned"}, 1},
			{"kafka_connect_connect_worker_rebalance_metrics_leader_name", []string{"leader_name", c.URL(0)}, 1},
		}
		for _, ch := range checks {
			got := clusterValue(t, c, ch.name, ch.labels...)
			if ch.want < 0 {
				if got < 1 {
					return fmt.Errorf("%s%v = %v, want some", ch.name, ch.labels, got)
				}
				continue
			}
			if got != ch.want {
				return fmt.Errorf("%s%v = %v, want %v", ch.name, ch.labels, got, ch.want)
			}
		}
		return nil
	})

	// Per node: Raft, the lease, the records of the producer's batches.
	var batched float64
	for i := 0; i < c.Size(); i++ {
		fams := scrape(t, c.URL(i))
		if v, _ := value(fams, "connectd_raft_applied_index"); v < 1 {
			t.Errorf("node %d: applied index %v", i, v)
		}
		if v, _ := value(fams, "connectd_lease_renewals_total"); v < 1 {
			t.Errorf("node %d: lease renewals %v", i, v)
		}
		for _, m := range fams["connectd_producer_batch_records"].GetMetric() {
			batched += m.GetHistogram().GetSampleSum()
		}
	}
	if batched != lines {
		t.Errorf("producer batches held %v records, want %d", batched, lines)
	}
	if v := clusterValue(t, c, "connectd_raft_commit_seconds"); v < 1 {
		t.Errorf("no Raft commit timed: %v", v)
	}
}

// TestMetricsSeeTheCluster checks the cluster-wide series on every node of three.
func TestMetricsSeeTheCluster(t *testing.T) {
	c := testcluster.New(t, 3)
	c.WaitHealthy()
	testcluster.Eventually(t, 10*time.Second, func() error {
		leaders := 0.0
		for i := 0; i < c.Size(); i++ {
			fams := scrape(t, c.URL(i))
			if v, _ := value(fams, "connectd_gossip_members", "state", "alive"); v != 3 {
				return fmt.Errorf("node %d sees %v alive members", i, v)
			}
			if v, _ := value(fams, "connectd_raft_applied_index"); v < 1 {
				return fmt.Errorf("node %d: applied index %v", i, v)
			}
			v, _ := value(fams, "connectd_raft_state", "state", "leader")
			leaders += v
		}
		if leaders != 1 {
			return fmt.Errorf("%v nodes report themselves Raft leader", leaders)
		}
		return nil
	})
}

// TestMetricsOff checks that metrics.enable=false serves an empty page.
func TestMetricsOff(t *testing.T) {
	c := testcluster.New(t, 1, testcluster.With("cluster.bootstrap.expect", "1"), testcluster.With("metrics.enable", "false"))
	c.WaitHealthy()
	if fams := scrape(t, c.URL(0)); len(fams) != 0 {
		t.Fatalf("metrics.enable=false still serves %d families", len(fams))
	}
}
