package agent_test

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/clustertls"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/certs"
	"github.com/connectd/connectd/internal/testcluster"
)

// clusterPKI writes a CA and one node certificate (key and certificate in one file) to dir.
func clusterPKI(t testing.TB, dir string) (caFile, certFile string) {
	t.Helper()
	ca, err := certs.NewCA("cluster CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue("node", []string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	caFile, certFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "node.pem")
	if err := os.WriteFile(caFile, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, append(key, cert...), 0o600); err != nil {
		t.Fatal(err)
	}
	return caFile, certFile
}

func clusterTLS(caFile, certFile string) testcluster.Option {
	return func(props map[string]string) {
		props["cluster.tls.ca.file"] = caFile
		props["cluster.tls.cert.file"] = certFile
		props["cluster.tls.key.file"] = certFile
		props["cluster.gossip.key"] = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	}
}

func TestClusterTLSKeepsOutNodesWithoutACertificate(t *testing.T) {
	caFile, certFile := clusterPKI(t, t.TempDir())
	c := testcluster.New(t, 3, clusterTLS(caFile, certFile))
	leader := c.WaitLeader()
	putEventually(t, c, (leader+1)%3, "before-rogue")

	// A node that holds the gossip key but a certificate of another CA joins gossip only.
	otherCA, otherCert := clusterPKI(t, t.TempDir())
	rogue := c.AddNode(clusterTLS(otherCA, otherCert))
	rogueID := raft.ServerID(c.Node(rogue).NodeID())

	// Raft entries from peers without a CA-signed certificate never arrive: a plaintext peer and a
	// TLS peer of the other CA both fail to send AppendEntries with a term far ahead.
	target := c.Node(leader)
	leaderAddr := raft.ServerAddress(c.Prop(leader, "raft.listener"))
	req := &raft.AppendEntriesRequest{RPCHeader: raft.RPCHeader{ID: []byte("intruder"), Addr: []byte("127.0.0.1:1")}, Term: 1 << 40, LeaderCommitIndex: 1 << 40}
	plain, err := raft.NewTCPTransport("127.0.0.1:0", nil, 1, time.Second, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	var resp raft.AppendEntriesResponse
	if err := plain.AppendEntries("intruder", leaderAddr, req, &resp); err == nil {
		t.Fatal("a plaintext peer's AppendEntries was answered")
	}
	otherConf, err := clustertls.Load(otherCA, otherCert, otherCert)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := otherConf.Listen("127.0.0.1:0", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1})
	if err != nil {
		t.Fatal(err)
	}
	foreign := raft.NewNetworkTransport(stream, 1, time.Second, io.Discard)
	defer foreign.Close()
	if err := foreign.AppendEntries("intruder", leaderAddr, req, &resp); err == nil {
		t.Fatal("AppendEntries from a peer of another CA was answered")
	}

	// Give the leader several reconcile rounds to (wrongly) add the rogue node.
	time.Sleep(3 * time.Second)
	putEventually(t, c, (leader+1)%3, "after-rogue")
	future := c.Node(c.WaitLeader()).Raft().GetConfiguration()
	if err := future.Error(); err != nil {
		t.Fatal(err)
	}
	for _, s := range future.Configuration().Servers {
		if s.ID == rogueID {
			t.Fatalf("the node without a CA-signed certificate was added to raft: %+v", future.Configuration().Servers)
		}
	}
	if got := c.Node(rogue).FSM().State().Connector("before-rogue"); got != nil {
		t.Fatal("the node without a CA-signed certificate received the replicated state")
	}
	if n, _ := strconv.ParseUint(target.Raft().Stats()["term"], 10, 64); n >= 1<<40 {
		t.Fatal("the intruder's term reached the leader")
	}
}

// putEventually creates a connector through node i, retrying while leadership settles.
func putEventually(t *testing.T, c *testcluster.Cluster, i int, name string) {
	t.Helper()
	testcluster.Eventually(t, 20*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := c.Node(i).Apply(ctx, &fsm.ConnectorPut{Name: name, Config: map[string]string{"name": name}})
		if err == nil && res.Err != nil {
			err = res.Err
		}
		return err
	})
}
