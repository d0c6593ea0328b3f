// Package external runs Conduit standalone connector plugins (hashicorp/go-plugin over gRPC,
// Conduit's connector protocol v1 and v2) as Kafka Connect source and sink connectors: it
// discovers them on plugin.path, starts one plugin process per task (and one per lifecycle
// hook call), serves the connector utilities the SDK calls back into, and maps OpenCDC records
// to Connect records and back.
package external

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/conduitio/conduit-connector-protocol/pconnector"
	pclient "github.com/conduitio/conduit-connector-protocol/pconnector/client"
	"github.com/conduitio/conduit-connector-protocol/pconnutils"
	schemaserver "github.com/conduitio/conduit-connector-protocol/pconnutils/v1/server"
	connutilsv1 "github.com/conduitio/conduit-connector-protocol/proto/connutils/v1"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/connectd/connectd/configprovider"
)

// Host starts plugin processes and serves the connector utilities (the schema service) they
// call back into. One Host serves every plugin of a node.
type Host struct {
	logger    *slog.Logger
	log       StateLog
	schemas   schemaStore
	providers *configprovider.Providers
	// plugins are those Discover found, for the lifecycle hooks of deleted connectors.
	plugins []*Plugin
	ln      net.Listener
	srv     *grpc.Server

	mu sync.Mutex
	// tokens maps each running process's token to its connector id: the utilities refuse
	// calls without a known token.
	tokens map[string]string
}

// NewHost starts the connector utilities server on a loopback port; the schemas plugins
// register and the connectors' last-active configs are kept in log; providers resolve the
// placeholders of a last-active config for a lifecycle hook.
func NewHost(logger *slog.Logger, log StateLog, providers *configprovider.Providers) (*Host, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("connector utilities listener: %w", err)
	}
	h := &Host{logger: logger, log: log, schemas: schemaStore{log}, providers: providers, ln: ln, srv: grpc.NewServer(), tokens: map[string]string{}}
	connutilsv1.RegisterSchemaServiceServer(h.srv, schemaserver.NewSchemaServiceServer(&schemaService{h: h}))
	go func() { _ = h.srv.Serve(ln) }()
	return h, nil
}

// resolve resolves the placeholders of a stored plugin config.
func (h *Host) resolve(config map[string]string) (map[string]string, error) {
	return h.providers.Resolve(config)
}

// Close stops the utilities server.
func (h *Host) Close() {
	h.srv.Stop()
}

// errUnknownToken answers a utilities call whose connector token the host did not issue.
var errUnknownToken = errors.New("unknown connector token")

func (h *Host) connectorOf(token string) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, ok := h.tokens[token]
	if !ok {
		return "", errUnknownToken
	}
	return id, nil
}

// process is one running plugin binary.
type process struct {
	h      *Host
	client *goplugin.Client
	rpc    goplugin.ClientProtocol
	token  string
	stderr *stderrLog
}

// envOption adds the environment the SDK refuses to start without: the plugin starts with an
// otherwise empty environment.
type envOption []string

func (o envOption) ApplyOption(c *goplugin.ClientConfig) error {
	c.Cmd.Env = append(c.Cmd.Env, o...)
	dieWithParent(c.Cmd)
	return nil
}

// stderrOption routes the plugin's stderr lines to connectd's log and keeps their tail.
type stderrOption struct{ w *stderrLog }

func (o stderrOption) ApplyOption(c *goplugin.ClientConfig) error {
	c.Stderr = o.w
	return nil
}

// launch starts the plugin at path for connectorID and completes the go-plugin handshake.
func (h *Host) launch(path, connectorID string, logger *slog.Logger) (*process, error) {
	token := newToken()
	p := &process{h: h, token: token, stderr: newStderrLog(logger)}
	client, err := pclient.New(hclog.NewNullLogger(), path,
		envOption{
			pconnutils.EnvConduitConnectorToken + "=" + token,
			pconnector.EnvConduitConnectorID + "=" + connectorID,
			pconnutils.EnvConduitConnectorUtilitiesGRPCTarget + "=" + h.ln.Addr().String(),
			pconnector.EnvConduitConnectorLogLevel + "=info",
		},
		stderrOption{p.stderr})
	if err != nil {
		return nil, err
	}
	p.client = client
	h.mu.Lock()
	h.tokens[token] = connectorID
	h.mu.Unlock()
	if p.rpc, err = client.Client(); err != nil {
		p.kill()
		return nil, p.failure(err)
	}
	return p, nil
}

// dispense returns the plugin's specifier, source or destination.
func (p *process) dispense(name string) (any, error) {
	raw, err := p.rpc.Dispense(name)
	if err != nil {
		return nil, p.failure(err)
	}
	return raw, nil
}

// failure adds the plugin's last stderr lines to err, so a task's trace says why it died.
func (p *process) failure(err error) error {
	if tail := p.stderr.tail(); tail != "" {
		return fmt.Errorf("%w\nplugin stderr (last lines):\n%s", err, tail)
	}
	return err
}

// exited reports whether the plugin process has ended.
func (p *process) exited() bool { return p.client.Exited() }

// kill ends the process (go-plugin first asks it to exit, then kills it) and forgets its token.
func (p *process) kill() {
	p.client.Kill()
	p.h.mu.Lock()
	delete(p.h.tokens, p.token)
	p.h.mu.Unlock()
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
