package clustertls_test

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/connectd/connectd/clustertls"
	"github.com/connectd/connectd/internal/certs"
)

func load(t *testing.T) *clustertls.Config {
	t.Helper()
	ca, err := certs.NewCA("cluster CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue("node", []string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile, certFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "node.pem")
	if err := os.WriteFile(caFile, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, append(key, cert...), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := clustertls.Load(caFile, certFile, certFile)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The Raft port carries Raft and the internal HTTP requests, each to its own listener, and both
// only for peers with a CA-signed certificate.
func TestListenSharesThePortBetweenRaftAndHTTP(t *testing.T) {
	c := load(t)
	s, err := c.Listen("127.0.0.1:0", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "http") })}
	go func() { _ = srv.Serve(s.HTTP()) }()
	defer srv.Close()
	go func() {
		conn, err := s.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		b := make([]byte, 1)
		if _, err := io.ReadFull(conn, b); err == nil && b[0] == 0 {
			io.WriteString(conn, "raft")
		}
	}()
	addr := s.Listener.Addr().String()

	conn, err := s.Dial(raft.ServerAddress(addr), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A Raft RPC starts with its type byte: rpcAppendEntries is 0.
	if _, err := conn.Write([]byte{0}); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got, _ := io.ReadAll(conn); string(got) != "raft" {
		t.Errorf("Raft connection answered %q", got)
	}

	get := func(conf *tls.Config) (string, error) {
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: conf}}
		resp, err := client.Get("https://" + addr + "/")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return string(body), err
	}
	if got, err := get(c.Client()); err != nil || got != "http" {
		t.Errorf("HTTP request from a node: %q %v", got, err)
	}
	if got, err := get(&tls.Config{InsecureSkipVerify: true}); err == nil {
		t.Errorf("HTTP request without a client certificate was answered %q", got)
	}
}
