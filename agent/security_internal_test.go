package agent_test

import (
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/clustertls"
	"github.com/connectd/connectd/commit"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/testcluster"
)

func TestClusterTLSCarriesInternalRequestsOverMutualTLSOnly(t *testing.T) {
	caFile, certFile := clusterPKI(t, t.TempDir())
	c := testcluster.New(t, 3, clusterTLS(caFile, certFile))
	leader := c.WaitLeader()
	follower := (leader + 1) % 3
	key := waitSessionKey(t, c, leader).Current

	// End to end: a follower's write is forwarded to the leader, and every worker keeps its lease
	// (heartbeats to the leader) for several session timeouts.
	put(t, c, follower, "through-a-follower")
	waitConnector(t, c, leader, "through-a-follower", fsm.TargetStarted)
	time.Sleep(3 * time.Second)
	c.WaitHealthy()
	for i := 0; i < 3; i++ {
		if c.Node(leader).FSM().State().Worker(c.Node(i).NodeID()) == nil {
			t.Errorf("node %d lost its worker lease: its heartbeats did not reach the leader", i)
		}
	}

	// A validly signed internal request on the REST listener is refused.
	for _, path := range []string{commit.ApplyPath, commit.HeartbeatPath, "/connectors/through-a-follower/tasks"} {
		req := signedApply(t, c.URL(leader), loggerCmd("org.example.rest"), key, time.Now())
		req.URL.Path = path
		if code, body := send(t, req); code != http.StatusForbidden || !strings.Contains(body, "cluster channel") {
			t.Errorf("signed %s on the REST listener: %d %s", path, code, body)
		}
	}

	// On the cluster channel (the Raft port), a peer without a CA-signed certificate is refused
	// during the TLS handshake, before its request is read.
	channel := "https://" + c.Prop(leader, "raft.listener")
	_, otherCert := clusterPKI(t, t.TempDir())
	foreign, err := tls.LoadX509KeyPair(otherCert, otherCert)
	if err != nil {
		t.Fatal(err)
	}
	for name, conf := range map[string]*tls.Config{
		"no client certificate":             {InsecureSkipVerify: true},
		"a certificate of another CA":       {InsecureSkipVerify: true, Certificates: []tls.Certificate{foreign}},
		"no TLS (http on the cluster port)": nil,
	} {
		url := channel
		if conf == nil {
			url = "http://" + c.Prop(leader, "raft.listener")
		}
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: conf}}
		resp, err := client.Do(signedApply(t, url, loggerCmd("org.example.channel"), key, time.Now()))
		if err == nil {
			resp.Body.Close()
			t.Errorf("signed apply with %s: answered %s", name, resp.Status)
		}
	}

	// The same request with the cluster's certificate is applied: the refusals above were the
	// channel's, not the request's.
	own, err := clustertls.Load(caFile, certFile, certFile)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: own.Client()}}
	resp, err := client.Do(signedApply(t, channel, loggerCmd("org.example.node"), key, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed apply from a node on the cluster channel: %s", resp.Status)
	}
	// The cluster channel serves nothing but the internal requests.
	resp, err = client.Get(channel + "/connectors")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /connectors on the cluster channel: %s", resp.Status)
	}

	var got []string
	for _, l := range c.Node(leader).FSM().State().LoggerLevels() {
		got = append(got, l.Logger)
	}
	if len(got) != 1 || got[0] != "org.example.node" {
		t.Errorf("logger levels set: %v, want only org.example.node", got)
	}
}
