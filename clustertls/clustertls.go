// Package clustertls secures the channel between connectd nodes, as Consul secures its RPC:
// mutual TLS with certificates that the cluster's own CA signed (cluster.tls.ca.file,
// cluster.tls.cert.file, cluster.tls.key.file). It provides the Raft stream layer, the listener
// of the internal REST requests (which share the Raft port and its TLS) and the check the leader
// makes before it adds a node to Raft.
package clustertls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/hashicorp/raft"
	"github.com/soheilhy/cmux"
)

// ErrNoCertificate is returned when a peer presents no certificate the cluster CA signed.
var ErrNoCertificate = errors.New("the peer presented no certificate signed by the cluster CA")

// Config is a node's side of the cluster channel.
type Config struct {
	roots *x509.CertPool
	cert  tls.Certificate
}

// Load reads the cluster CA and this node's certificate and key (PEM; cert and key may share a
// file).
func Load(caFile, certFile, keyFile string) (*Config, error) {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("cluster.tls.ca.file: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("cluster.tls.ca.file %s holds no PEM certificate", caFile)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cluster.tls.cert.file/cluster.tls.key.file: %w", err)
	}
	c := &Config{roots: roots, cert: cert}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, err
	}
	if err := c.verify([]*x509.Certificate{leaf}); err != nil {
		return nil, fmt.Errorf("cluster.tls.cert.file: %w", err)
	}
	return c, nil
}

// verify checks a peer's chain against the cluster CA. Host names are not checked: nodes are
// known by their addresses, which containers change; holding a CA-signed key is the credential.
func (c *Config) verify(chain []*x509.Certificate) error {
	if len(chain) == 0 {
		return ErrNoCertificate
	}
	opts := x509.VerifyOptions{Roots: c.roots, Intermediates: x509.NewCertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	for _, cert := range chain[1:] {
		opts.Intermediates.AddCert(cert)
	}
	if _, err := chain[0].Verify(opts); err != nil {
		return fmt.Errorf("%w: %v", ErrNoCertificate, err)
	}
	return nil
}

// Server is the TLS of a listener that accepts only peers with a CA-signed certificate.
func (c *Config) Server() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{c.cert},
		ClientAuth:   tls.RequireAnyClientCert,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return c.verify(cs.PeerCertificates)
		},
	}
}

// Client is the TLS of a dial to a peer, which must present a CA-signed certificate too.
func (c *Config) Client() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		Certificates:       []tls.Certificate{c.cert},
		InsecureSkipVerify: true, // the chain is verified below, without host names
		VerifyConnection: func(cs tls.ConnectionState) error {
			return c.verify(cs.PeerCertificates)
		},
	}
}

// VerifyPeer dials addr and completes a mutual TLS handshake: the leader's check that a node
// holds a CA-signed certificate before it is added to Raft.
func (c *Config) VerifyPeer(addr string, timeout time.Duration) error {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", addr, c.Client())
	if err != nil {
		return err
	}
	return conn.Close()
}

// sniffTimeout bounds the TLS handshake and the wait for a connection's first bytes, which say
// whether it carries Raft or HTTP: a peer that connects and says nothing holds nothing for long.
const sniffTimeout = 10 * time.Second

// StreamLayer is Raft's transport over mutual TLS. The same port serves the internal REST
// requests between nodes, inside the same TLS: a Raft RPC starts with its type byte (a small
// number), an HTTP/1.1 request with its method, so each connection is routed by its first bytes.
type StreamLayer struct {
	net.Listener
	http      net.Listener
	advertise net.Addr
	client    *tls.Config
}

// Listen opens the Raft stream layer on bind, advertising advertise.
func (c *Config) Listen(bind string, advertise net.Addr) (*StreamLayer, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	mux := cmux.New(tls.NewListener(ln, c.Server()))
	mux.SetReadTimeout(sniffTimeout)
	s := &StreamLayer{http: mux.Match(httpMethod), Listener: mux.Match(cmux.Any()), advertise: advertise, client: c.Client()}
	// Ends when the port closes: closing either listener closes it.
	go func() { _ = mux.Serve() }()
	return s, nil
}

// httpMethod matches a connection whose first byte can start an HTTP method. It reads one byte
// only: cmux's own HTTP matchers wait for seven, and a peer's first message may be shorter.
func httpMethod(r io.Reader) bool {
	b := make([]byte, 1)
	_, err := io.ReadFull(r, b)
	return err == nil && b[0] >= 'A' && b[0] <= 'Z'
}

// HTTP is the listener of the connections that carry HTTP requests: the internal REST endpoints.
// Every peer on it presented a certificate the cluster CA signed. Closing it closes the Raft
// listener too.
func (s *StreamLayer) HTTP() net.Listener { return s.http }

// Dial implements raft.StreamLayer.
func (s *StreamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", string(addr), s.client)
}

// Addr implements net.Listener with the advertised address, which Raft gives to peers.
func (s *StreamLayer) Addr() net.Addr { return s.advertise }

var _ raft.StreamLayer = (*StreamLayer)(nil)
