package agent_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/testcluster"
)

// The three write paths of issue A, side by side on one cluster: a REST write sent to a
// follower (forwarded to the leader), the same sent to the leader, and a bare raft.Apply.
// Run: go test ./agent -run '^$' -bench Write -benchtime 2000x

// benchConfig is the config the i-th write puts; every path writes the same ones, so the work
// that follows a write (rounds, connector restarts) is the same for all three.
func benchConfig(i int) map[string]string {
	return map[string]string{"connector.class": "FileStreamSource", "topic": "t", "file": fmt.Sprintf("/tmp/f%d", i), "name": fmt.Sprintf("c%d", i%50)}
}

// benchPut measures PUT /connectors/{c}/config through client; auth, when set, adds credentials.
func benchPut(b *testing.B, url string, client *http.Client, auth func(*http.Request)) {
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body, _ := json.Marshal(benchConfig(i))
		req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/connectors/c%d/config", url, i%50), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != nil {
			auth(req)
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took = append(took, time.Since(start))
		if resp.StatusCode != 200 && resp.StatusCode != 201 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	reportPercentiles(b, took)
}

// reportPercentiles adds the p50 and p99 of the measured latencies to the benchmark's result.
func reportPercentiles(b *testing.B, took []time.Duration) {
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	at := func(p float64) float64 { return float64(took[int(float64(len(took)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

func BenchmarkWriteRESTFollower(b *testing.B) {
	c := testcluster.New(b, 3)
	benchPut(b, c.URL((c.WaitLeader()+1)%3), &http.Client{}, nil)
}

func BenchmarkWriteRESTLeader(b *testing.B) {
	c := testcluster.New(b, 3)
	benchPut(b, c.URL(c.WaitLeader()), &http.Client{}, nil)
}

func BenchmarkWriteRaftApply(b *testing.B) {
	c := testcluster.New(b, 3)
	r := c.Node(c.WaitLeader()).Raft()
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data, _ := fsm.Encode(&fsm.ConnectorPut{Name: fmt.Sprintf("c%d", i%50), Config: benchConfig(i), Target: fsm.TargetStarted})
		start := time.Now()
		if err := r.Apply(data, 5*time.Second).Error(); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	reportPercentiles(b, took)
}
