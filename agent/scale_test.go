package agent_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// BenchmarkScale creates SCALE_CONNECTORS connectors (default 100) with 10 tasks each on a
// 3-node in-process cluster and reports the time until every task runs and the heap per task.
// Run: SCALE_CONNECTORS=1000 go test ./agent -run '^$' -bench Scale -benchtime 1x -timeout 30m
func BenchmarkScale(b *testing.B) {
	n := 100
	if v, err := strconv.Atoi(os.Getenv("SCALE_CONNECTORS")); err == nil {
		n = v
	}
	for i := 0; i < b.N; i++ {
		// Production Raft timings: the test ones are too tight for a saturated machine.
		c := testcluster.New(b, 3, testcluster.With("bootstrap.servers", testcluster.StartBroker(b)),
			testcluster.With("raft.heartbeat.timeout.ms", "1000"), testcluster.With("raft.election.timeout.ms", "1000"),
			testcluster.With("raft.leader.lease.timeout.ms", "500"))
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		for k := 0; k < n; k++ {
			body := fmt.Sprintf(`{"connector.class":"io.connectd.test.FailingSourceConnector","tasks.max":"10","topic":"t%d"}`, k)
			url := fmt.Sprintf("%s/connectors/c%04d/config", c.URL(k%3), k)
			// A write can meet an election (409) or time out; clients retry, and so does this.
			testcluster.Eventually(b, time.Minute, func() error {
				code, err := httpDo(http.MethodPut, url, body)
				if err != nil {
					return err
				}
				if code/100 != 2 {
					return fmt.Errorf("PUT %s: %d", url, code)
				}
				return nil
			})
		}
		created := time.Since(start)
		want := n * 11
		testcluster.Eventually(b, 20*time.Minute, func() error {
			running := 0
			for j := 0; j < 3; j++ {
				running += len(c.Node(j).Running())
			}
			if running != want {
				return fmt.Errorf("%d of %d running", running, want)
			}
			return nil
		})
		converged := time.Since(start)
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(created.Seconds(), "s-to-create")
		b.ReportMetric(converged.Seconds(), "s-to-converge")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n*10)/1024, "KiB/task")
		b.ReportMetric(float64(runtime.NumGoroutine())/float64(n*10), "goroutines/task")
		// The three nodes share this process, so a node's share of the resident set is a third.
		b.ReportMetric(float64(residentKiB())/3/1024, "MiB-RSS/node")
		slowest, lines := scrapeMetrics(b, c)
		b.ReportMetric(slowest, "ms-metrics-scrape")
		b.ReportMetric(float64(lines), "metrics-lines/node")
	}
}

// scrapeMetrics times GET /metrics on every node (the median of three scrapes each) and
// returns the slowest node's time in ms and the largest page's line count.
func scrapeMetrics(b *testing.B, c *testcluster.Cluster) (slowestMs float64, lines int) {
	for j := 0; j < c.Size(); j++ {
		var took []time.Duration
		for k := 0; k < 3; k++ {
			start := time.Now()
			resp, err := http.Get(c.URL(j) + "/metrics")
			if err != nil {
				b.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatalf("GET /metrics on node %d: %d %v", j, resp.StatusCode, err)
			}
			took = append(took, time.Since(start))
			lines = max(lines, bytes.Count(body, []byte("\n")))
		}
		slowestMs = max(slowestMs, median(took))
	}
	return slowestMs, lines
}

// residentKiB is this process's resident set size, from /proc (0 where there is none).
func residentKiB() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib
		}
	}
	return 0
}
