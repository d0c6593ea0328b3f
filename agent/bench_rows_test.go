package agent_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// Control-plane rows of scripts/bench.sh, each next to the reference it is compared with.
// Run: go test ./agent -run '^$' -bench 'Read|Failover|CrashReassign' -benchtime 3x

func httpDo(method, url, body string) (int, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// benchGets measures GET throughput on url with parallel clients, reported as req/s; auth, when
// set, adds credentials and tlsConf secures the connections.
func benchGets(b *testing.B, url string, tlsConf *tls.Config, auth func(*http.Request)) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, TLSClientConfig: tlsConf}}
	var failed atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			if auth != nil {
				auth(req)
			}
			resp, err := client.Do(req)
			if err != nil {
				failed.Add(1)
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				failed.Add(1)
			}
		}
	})
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d requests failed", n)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// statusFixture is a cluster with one 3-task connector whose status is served, and its JSON.
func statusFixture(b *testing.B, opts ...testcluster.Option) (*testcluster.Cluster, string, []byte) {
	c := testcluster.New(b, 3, append(opts, testcluster.With("bootstrap.servers", testcluster.StartBroker(b)))...)
	if code, err := httpDo(http.MethodPut, c.URL(0)+"/connectors/r/config", `{"connector.class":"io.connectd.test.FailingSourceConnector","tasks.max":"3"}`); err != nil || code != http.StatusCreated {
		b.Fatalf("create: %d %v", code, err)
	}
	url := c.URL(0) + "/connectors/r/status"
	var body []byte
	testcluster.Eventually(b, 20*time.Second, func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ = io.ReadAll(resp.Body)
		if strings.Count(string(body), `"RUNNING"`) != 4 {
			return fmt.Errorf("not running yet: %s", body)
		}
		return nil
	})
	return c, url, body
}

// BenchmarkRESTReadStatus: GET /connectors/{n}/status on one node.
func BenchmarkRESTReadStatus(b *testing.B) {
	_, url, _ := statusFixture(b)
	benchGets(b, url, nil, nil)
}

// BenchmarkRESTReadStatusMetricsOff: the same with metrics.enable=false, for the cost of the
// REST instrumentation.
func BenchmarkRESTReadStatusMetricsOff(b *testing.B) {
	_, url, _ := statusFixture(b, testcluster.With("metrics.enable", "false"))
	benchGets(b, url, nil, nil)
}

// BenchmarkRESTReadBare: the reference, a bare net/http handler returning the same JSON.
func BenchmarkRESTReadBare(b *testing.B) {
	_, _, body := statusFixture(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	benchGets(b, srv.URL, nil, nil)
}

// BenchmarkLeaderFailover: the leader is killed; the time until a write sent to a survivor
// succeeds. The floor is the Raft election timeout (reported alongside).
func BenchmarkLeaderFailover(b *testing.B) {
	var took []time.Duration
	for i := 0; i < b.N; i++ {
		c := testcluster.New(b, 3)
		leader := c.WaitLeader()
		survivor := (leader + 1) % 3
		killed := time.Now()
		c.Kill(leader)
		for k := 0; ; k++ {
			code, err := httpDo(http.MethodPut, fmt.Sprintf("%s/connectors/f%d/config", c.URL(survivor), k), `{"connector.class":"FileStreamSource","topic":"t","file":"/tmp/x"}`)
			if err == nil && code/100 == 2 {
				break
			}
			if time.Since(killed) > 30*time.Second {
				b.Fatalf("no write accepted 30s after the leader crash: %d %v", code, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		took = append(took, time.Since(killed))
		c.Stop()
	}
	b.ReportMetric(median(took), "ms-to-write")
	b.ReportMetric(msOf(testcluster.TightTimings["raft.election.timeout.ms"]), "ms-election-timeout")
}

// BenchmarkCrashReassign: a follower running tasks is killed with scheduled.rebalance.max.delay.ms=0;
// the time until all its work runs elsewhere. The floor is the lease plus its skew margin.
func BenchmarkCrashReassign(b *testing.B) {
	const skewMs = "500"
	var took []time.Duration
	for i := 0; i < b.N; i++ {
		c := testcluster.New(b, 3, testcluster.With("bootstrap.servers", testcluster.StartBroker(b)),
			testcluster.With("scheduled.rebalance.max.delay.ms", "0"), testcluster.With("session.lease.skew.ms", skewMs))
		if code, err := httpDo(http.MethodPut, c.URL(0)+"/connectors/w/config", `{"connector.class":"io.connectd.test.FailingSourceConnector","tasks.max":"6"}`); err != nil || code != http.StatusCreated {
			b.Fatalf("create: %d %v", code, err)
		}
		placed := func() map[string]int {
			out := map[string]int{}
			for n := 0; n < c.Size(); n++ {
				if a := c.Node(n); a != nil {
					for _, item := range a.Running() {
						out[item] = n
					}
				}
			}
			return out
		}
		testcluster.Eventually(b, 20*time.Second, func() error {
			if p := placed(); len(p) != 7 {
				return fmt.Errorf("running: %v", p)
			}
			return nil
		})
		leader := c.WaitLeader()
		victim := (leader + 1) % 3
		if len(c.Node(victim).Running()) == 0 {
			victim = (leader + 2) % 3
		}
		killed := time.Now()
		c.Kill(victim)
		testcluster.Eventually(b, 30*time.Second, func() error {
			p := placed()
			if len(p) != 7 {
				return fmt.Errorf("%d of 7 running", len(p))
			}
			return nil
		})
		took = append(took, time.Since(killed))
		c.Stop()
	}
	b.ReportMetric(median(took), "ms-to-reassign")
	b.ReportMetric(msOf(testcluster.TightTimings["session.timeout.ms"])+msOf(skewMs), "ms-lease-floor")
}

func median(d []time.Duration) float64 {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[len(s)/2].Microseconds()) / 1000
}

func msOf(v string) float64 {
	var ms float64
	fmt.Sscan(v, &ms)
	return ms
}
