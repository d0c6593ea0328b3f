package agent_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/certs"
	"github.com/connectd/connectd/internal/testcluster"
)

// pki is a throwaway CA and one certificate for 127.0.0.1, in PEM files.
type pki struct {
	caFile, certFile string
	pool             *x509.CertPool
}

func newPKI(t testing.TB) pki {
	t.Helper()
	dir := t.TempDir()
	ca, err := certs.NewCA("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue("node", []string{"127.0.0.1", "localhost"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := pki{caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "node.pem"), pool: x509.NewCertPool()}
	if err := os.WriteFile(p.caFile, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.certFile, append(key, cert...), 0o600); err != nil {
		t.Fatal(err)
	}
	p.pool.AppendCertsFromPEM(ca.CertPEM)
	return p
}

// secureREST turns every node's REST listener into https with the PKI's certificate and requires
// HTTP Basic credentials from the users in a credentials file.
func secureREST(t testing.TB, p pki, users string) testcluster.Option {
	creds := filepath.Join(t.TempDir(), "users.properties")
	if err := os.WriteFile(creds, []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(props map[string]string) {
		props["listeners"] = strings.Replace(props["listeners"], "http://", "https://", 1)
		props["listeners.https.ssl.keystore.type"] = "PEM"
		props["listeners.https.ssl.keystore.location"] = p.certFile
		props["listeners.https.ssl.truststore.type"] = "PEM"
		props["listeners.https.ssl.truststore.location"] = p.caFile
		props["rest.extension.classes"] = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
		props["rest.basic.auth.credentials.file"] = creds
	}
}

type restClient struct {
	http       *http.Client
	user, pass string
}

func (c restClient) do(t testing.TB, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func TestRESTOverTLSWithBasicAuth(t *testing.T) {
	p := newPKI(t)
	c := testcluster.New(t, 3, secureREST(t, p, "admin=admin-secret\n"))
	follower := (c.WaitLeader() + 1) % 3
	url := c.URL(follower)
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("listener %s", url)
	}
	tlsClient := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.pool}}}
	anonymous := restClient{http: tlsClient}
	wrong := restClient{http: tlsClient, user: "admin", pass: "nope"}
	admin := restClient{http: tlsClient, user: "admin", pass: "admin-secret"}
	create := `{"name":"c1","config":{"connector.class":"VerifiableSource","topic":"t","tasks.max":"1"}}`

	for _, who := range []restClient{anonymous, wrong} {
		for _, call := range [][3]string{{"GET", "/connectors", ""}, {"POST", "/connectors", create}, {"GET", "/admin/loggers", ""}, {"POST", "/connectd/leave", ""}} {
			code, body := who.do(t, call[0], url+call[1], call[2])
			var e struct {
				Code    int    `json:"error_code"`
				Message string `json:"message"`
			}
			if code != http.StatusUnauthorized || json.Unmarshal([]byte(body), &e) != nil || e.Code != 401 || e.Message == "" {
				t.Errorf("%q %s %s: %d %s, want 401 in Kafka's error shape", who.user, call[0], call[1], code, body)
			}
		}
	}
	// User credentials alone do not reach the internal endpoints: they need the cluster's signature.
	if code, body := admin.do(t, "POST", url+"/connectd/internal/apply", "x"); code != http.StatusBadRequest || !strings.Contains(body, "signature") {
		t.Errorf("internal apply with user credentials: %d %s", code, body)
	}
	if c.Node(follower) == nil || !c.Node(follower).Health().Healthy {
		t.Fatal("an anonymous leave stopped the node")
	}
	for i := 0; i < 3; i++ {
		if conn := c.Node(i).FSM().State().Connector("c1"); conn != nil {
			t.Fatalf("an anonymous request created a connector on node %d", i)
		}
	}

	// With credentials the follower forwards the write to the leader over https; a 409 while
	// leadership settles is retried, as Kafka's clients do.
	testcluster.Eventually(t, 15*time.Second, func() error {
		if code, body := admin.do(t, "POST", url+"/connectors", create); code != http.StatusCreated {
			if code == http.StatusConflict {
				return fmt.Errorf("create: %d %s", code, body)
			}
			t.Fatalf("create with credentials: %d %s", code, body)
		}
		return nil
	})
	other := (follower + 1) % 3
	testcluster.Eventually(t, 10*time.Second, func() error {
		code, body := admin.do(t, "GET", c.URL(other)+"/connectors", "")
		if code != 200 || !strings.Contains(body, `"c1"`) {
			return fmt.Errorf("GET /connectors on node %d: %d %s", other, code, body)
		}
		return nil
	})
	// Plain http is not served on an https listener.
	plainURL := strings.Replace(url, "https://", "http://", 1)
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(plainURL + "/connectors"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("an https listener answered plain http")
		}
	}
}
