package agent_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// The REST rows of scripts/bench.sh again with everything on: https listeners, Basic auth,
// mutual TLS on Raft and encrypted gossip. Compared in the same run with the plain rows.
// Run: go test ./agent -run '^$' -bench 'Secure' -benchtime 200x

// secureBenchCluster is a 3-node cluster with every security feature on, with a client and the
// credentials that reach it.
func secureBenchCluster(b *testing.B, opts ...testcluster.Option) (*testcluster.Cluster, *tls.Config, func(*http.Request)) {
	p := newPKI(b)
	caFile, certFile := clusterPKI(b, b.TempDir())
	opts = append(opts, secureREST(b, p, "admin=bench-secret\n"), clusterTLS(caFile, certFile))
	c := testcluster.New(b, 3, opts...)
	auth := func(r *http.Request) { r.SetBasicAuth("admin", "bench-secret") }
	return c, &tls.Config{RootCAs: p.pool}, auth
}

// BenchmarkSecureWriteRESTFollower: BenchmarkWriteRESTFollower with security on.
func BenchmarkSecureWriteRESTFollower(b *testing.B) {
	c, tlsConf, auth := secureBenchCluster(b)
	benchPut(b, c.URL((c.WaitLeader()+1)%3), &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}, auth)
}

// BenchmarkSecureRESTReadStatus: BenchmarkRESTReadStatus with security on.
func BenchmarkSecureRESTReadStatus(b *testing.B) {
	c, tlsConf, auth := secureBenchCluster(b, testcluster.With("bootstrap.servers", testcluster.StartBroker(b)))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}
	do := func(method, url, body string) (int, string) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		auth(req)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	testcluster.Eventually(b, 20*time.Second, func() error {
		if code, out := do(http.MethodPut, c.URL(0)+"/connectors/r/config", `{"connector.class":"io.connectd.test.FailingSourceConnector","tasks.max":"3"}`); code != http.StatusCreated {
			return fmt.Errorf("create: %d %s", code, out)
		}
		return nil
	})
	url := c.URL(0) + "/connectors/r/status"
	testcluster.Eventually(b, 20*time.Second, func() error {
		if _, out := do(http.MethodGet, url, ""); strings.Count(out, `"RUNNING"`) != 4 {
			return fmt.Errorf("not running yet: %s", out)
		}
		return nil
	})
	benchGets(b, url, tlsConf, auth)
}
