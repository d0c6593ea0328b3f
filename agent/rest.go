package agent

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/connectd/connectd/api"
	"github.com/connectd/connectd/clustertls"
	"github.com/connectd/connectd/config"
	"github.com/connectd/connectd/internal/restauth"
	"github.com/connectd/connectd/kafka"
)

// serveREST opens every REST listener (and admin listener) with its TLS and guard, and builds the
// client this node calls other nodes with. The first REST listener is the advertised one. With
// cluster TLS on, internal requests travel on the cluster channel only (serveInternal).
func (a *Agent) serveREST() error {
	sec := api.Security{AllowOrigin: a.cfg.CORSAllowOrigin, AllowMethods: a.cfg.CORSAllowMethods, ClusterChannel: a.clusterTLS != nil}
	if a.cfg.RESTCredentialsFile != "" {
		creds, err := restauth.Load(a.cfg.RESTCredentialsFile)
		if err != nil {
			return err
		}
		sec.Auth = creds
	}
	clientTLS, err := a.restClientTLS()
	if err != nil {
		return err
	}
	if a.clusterTLS != nil {
		clientTLS = a.clusterTLS.Client()
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = clientTLS
	// Every worker's heartbeats and forwarded writes go to one host, the leader: kept open, their
	// connections need no new TLS handshake.
	transport.MaxIdleConnsPerHost = 16
	var rt http.RoundTripper = transport
	if a.wrapTransport != nil {
		rt = a.wrapTransport(rt)
	}
	a.client = &http.Client{Timeout: a.cfg.RESTRequestTimeout, Transport: rt}

	a.metrics = a.newMetrics()
	var opts []api.Option
	if a.metrics != nil {
		opts = append(opts, api.WithRequestObserver(a.metrics.Request))
	}
	a.commit = a.newCommitter()
	server := api.NewServer(a, a.logger, opts...)
	a.routeInternal(server)
	a.internalAPI = server.Handler(api.Security{Role: api.RoleCluster}, server)
	// Metrics and the console are behind the same listeners, roles and credentials as the API.
	routes := a.handler(server)
	restRole := api.RoleAll
	if a.cfg.AdminListenersSet {
		restRole = api.RoleREST
	}
	for i, l := range a.cfg.RESTListeners {
		sec.Role = restRole
		port, err := a.listen(l, server.Handler(sec, routes))
		if err != nil {
			return err
		}
		if i == 0 {
			a.restURL = a.cfg.AdvertisedURL(port)
		}
	}
	for _, l := range a.cfg.AdminListeners {
		sec.Role = api.RoleAdmin
		if _, err := a.listen(l, server.Handler(sec, routes)); err != nil {
			return err
		}
	}
	var off []string
	if sec.Auth == nil {
		off = append(off, "REST authentication (rest.extension.classes)")
	}
	if !a.cfg.ClusterTLS() {
		off = append(off, "cluster TLS (cluster.tls.ca.file, cluster.tls.cert.file, cluster.tls.key.file)")
	}
	if len(off) > 0 {
		a.logger.Warn("security is off; anyone who reaches this node can control the cluster: fine for development only", "off", strings.Join(off, ", "))
	}
	return nil
}

// serveInternal serves the internal requests on the cluster channel: the Raft port, whose mutual
// TLS admits only peers with a certificate the cluster CA signed.
func (a *Agent) serveInternal(ln net.Listener) {
	srv := &http.Server{Handler: a.internalAPI, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: a.cfg.RESTReadTimeout, IdleTimeout: a.cfg.RESTIdleTimeout}
	a.internalServer = srv
	a.goFunc(func() {
		if err := srv.Serve(ln); err != nil && a.ctx.Err() == nil {
			a.logger.Error("internal REST server stopped", "listener", a.cfg.RaftListener, "err", err)
		}
	})
}

// listen serves h on one listener and returns the port it bound.
func (a *Agent) listen(l config.Listener, h http.Handler) (int, error) {
	ln, err := net.Listen("tcp", l.Addr)
	if err != nil {
		return 0, fmt.Errorf("listeners: %w", err)
	}
	if l.Scheme == "https" {
		cfg, err := kafka.ServerTLS(a.cfg.Raw, kafka.ListenerPrefix)
		if err != nil {
			ln.Close()
			return 0, fmt.Errorf("listeners %s://%s: %w", l.Scheme, l.Addr, err)
		}
		ln = tls.NewListener(ln, cfg)
	}
	// Read and idle timeouts keep slow or silent clients from pinning connections on the listener
	// that lease heartbeats share.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: a.cfg.RESTReadTimeout, IdleTimeout: a.cfg.RESTIdleTimeout}
	a.https = append(a.https, srv)
	a.goFunc(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("REST server stopped", "listener", l.Addr, "err", err)
		}
	})
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// restClientTLS is the TLS for calls to other nodes' https listeners, when any listener is https.
func (a *Agent) restClientTLS() (*tls.Config, error) {
	for _, l := range append(append([]config.Listener{}, a.cfg.RESTListeners...), a.cfg.AdminListeners...) {
		if l.Scheme == "https" {
			cfg, err := kafka.ClientTLS(a.cfg.Raw, kafka.ListenerPrefix)
			if err != nil {
				return nil, fmt.Errorf("listeners: %w", err)
			}
			return cfg, nil
		}
	}
	return nil, nil
}

// verifyPeer is the leader's join check with cluster TLS on; nil without it.
func verifyPeer(c *clustertls.Config) func(string) error {
	if c == nil {
		return nil
	}
	return func(addr string) error { return c.VerifyPeer(addr, raftIOTimeout) }
}
