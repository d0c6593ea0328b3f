// Package api serves Kafka Connect's REST API on every node, from the node's applied state for
// reads and through the Raft leader for writes.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/logging"
	"github.com/connectd/connectd/plugins"
)

// Backend is what the REST layer needs from its node.
type Backend interface {
	// State is the node's applied replicated state.
	State() *fsm.State
	// Apply commits a command through the Raft leader; State then includes it.
	Apply(ctx context.Context, cmd fsm.Command) (fsm.Result, error)
	Health() HealthStatus
	// Cluster is this node's view of the cluster, for operators.
	Cluster() ClusterStatus
	Registry() *plugins.Registry
	Settings() Settings
	// Leave decommissions this node: its work moves to other nodes at once and it leaves the cluster.
	Leave(ctx context.Context) error
	// Loggers are this node's log levels.
	Loggers() *logging.Levels
	// RaftPeers lists the servers of the Raft configuration.
	RaftPeers() ([]RaftPeer, error)
	// RaftStats is this node's Raft progress, for the leader's autopilot.
	RaftStats() (RaftStats, error)
	// RemoveRaftPeer removes a server from the Raft configuration; this node must lead.
	RemoveRaftPeer(ctx context.Context, id string) error
	// ConsumerGroups administers a sink connector's consumer groups in Kafka, as the connector
	// whose config is given: with its admin.override.* settings.
	ConsumerGroups(connectorConfig map[string]string) ConsumerGroups
}

// Settings are the worker settings that change REST behaviour.
type Settings struct {
	GroupID                 string
	RequestTimeout          time.Duration
	MaxBodyBytes            int64
	TopicTrackingEnable     bool
	TopicTrackingAllowReset bool
	TopicCreationEnable     bool
	OverridePolicy          string
	// FileStreamAllowedPaths is filestream.allowed.paths.
	FileStreamAllowedPaths []string
	Commit                 string
	// KafkaClusterID reports the id of the Kafka cluster the node's connectors use.
	KafkaClusterID func() string
	// FirstStatusWait bounds the wait for a just-created connector's first status and tasks.
	FirstStatusWait time.Duration
	// InternalMaxBodyBytes bounds a command forwarded to the internal apply endpoint.
	InternalMaxBodyBytes int64
	// TasksMaxLimit is the largest tasks.max a connector config may set.
	TasksMaxLimit int
}

// ClusterStatus is GET /connectd/cluster: which node this is, who leads Raft, and the members
// gossip knows, so that operators and scripts need not read logs to find the leader.
type ClusterStatus struct {
	NodeID    string          `json:"node_id"`
	RaftState string          `json:"raft_state"`
	Leader    string          `json:"leader"`
	LeaderURL string          `json:"leader_url"`
	Members   []ClusterMember `json:"members"`
}

// ClusterMember is one node as gossip sees it.
type ClusterMember struct {
	NodeID  string `json:"node_id"`
	Status  string `json:"status"`
	RESTURL string `json:"rest_url"`
	Version string `json:"version,omitempty"`
	// Commands are the replicated command types its build knows (a hex bitmask, bit t for type
	// t): a new type is committed only once every voter knows it.
	Commands string `json:"commands,omitempty"`
}

// HealthStatus is what the node reports about its own readiness.
type HealthStatus struct {
	Ready   bool
	Healthy bool
	Stage   string
	Since   time.Time
}

// Server routes Kafka Connect's endpoints to handlers.
type Server struct {
	backend Backend
	logger  *slog.Logger
	router  *mux.Router
	observe RequestObserver
	// seen refuses replays of signed internal requests.
	seen *replayGuard
}

// NewServer builds the REST handler of one node.
func NewServer(backend Backend, logger *slog.Logger, opts ...Option) *Server {
	s := &Server{backend: backend, logger: logger.With("component", "api"), router: mux.NewRouter(), seen: newReplayGuard()}
	for _, o := range opts {
		o(s)
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	r := s.router
	r.NotFoundHandler = s.observed(unmatchedRoute, func(w http.ResponseWriter, req *http.Request) {
		s.writeError(w, req, &Error{Code: http.StatusNotFound, Message: "HTTP 404 Not Found"})
	})
	r.MethodNotAllowedHandler = s.observed(unmatchedRoute, func(w http.ResponseWriter, req *http.Request) {
		s.writeError(w, req, &Error{Code: http.StatusMethodNotAllowed, Message: "HTTP 405 Method Not Allowed"})
	})
	handle := func(method, path string, h func(http.ResponseWriter, *http.Request) error) {
		if needsState(path) {
			h = s.requireReady(h)
		}
		r.HandleFunc(path, s.observed(path, s.wrap(h))).Methods(method)
	}
	handle(http.MethodGet, "/", s.serverInfo)
	handle(http.MethodGet, "/health", s.health)
	handle(http.MethodGet, "/connectors", s.listConnectors)
	handle(http.MethodPost, "/connectors", s.createConnector)
	handle(http.MethodGet, "/connectors/{name}", s.getConnector)
	handle(http.MethodDelete, "/connectors/{name}", s.deleteConnector)
	handle(http.MethodGet, "/connectors/{name}/config", s.getConfig)
	handle(http.MethodPut, "/connectors/{name}/config", s.putConfig)
	handle(http.MethodPatch, "/connectors/{name}/config", s.patchConfig)
	handle(http.MethodGet, "/connectors/{name}/status", s.connectorStatus)
	handle(http.MethodGet, "/connectors/{name}/tasks", s.listTasks)
	handle(http.MethodGet, "/connectors/{name}/tasks-config", s.taskConfigs)
	handle(http.MethodGet, "/connectors/{name}/tasks/{task:[0-9]+}/status", s.taskStatus)
	handle(http.MethodPost, "/connectors/{name}/tasks/{task:[0-9]+}/restart", s.restartTask)
	handle(http.MethodPost, "/connectors/{name}/restart", s.restartConnector)
	handle(http.MethodPut, "/connectors/{name}/pause", s.targetState(fsm.TargetPaused, http.StatusAccepted))
	handle(http.MethodPut, "/connectors/{name}/resume", s.targetState(fsm.TargetStarted, http.StatusAccepted))
	handle(http.MethodPut, "/connectors/{name}/stop", s.targetState(fsm.TargetStopped, http.StatusNoContent))
	handle(http.MethodGet, "/connectors/{name}/topics", s.activeTopics)
	handle(http.MethodPut, "/connectors/{name}/topics/reset", s.resetTopics)
	handle(http.MethodGet, "/connectors/{name}/offsets", s.getOffsets)
	handle(http.MethodPatch, "/connectors/{name}/offsets", s.alterOffsets)
	handle(http.MethodDelete, "/connectors/{name}/offsets", s.resetOffsets)
	handle(http.MethodGet, "/admin/loggers", s.listLoggers)
	handle(http.MethodGet, "/admin/loggers/{logger}", s.getLogger)
	handle(http.MethodPut, "/admin/loggers/{logger}", s.putLogger)
	handle(http.MethodGet, "/connector-plugins", s.listPlugins)
	handle(http.MethodGet, "/connector-plugins/{plugin}/config", s.pluginConfig)
	handle(http.MethodPut, "/connector-plugins/{plugin}/config/validate", s.validateConfig)
	handle(http.MethodPost, "/connectors/{name}/tasks", s.internalTaskConfigs)
	handle(http.MethodPut, "/connectors/{name}/fence", s.internalFence)
	handle(http.MethodPost, InternalRaftStatsPath, s.internalRaftStats)
	handle(http.MethodPost, LeavePath, s.leave)
	handle(http.MethodGet, ClusterPath, s.cluster)
	handle(http.MethodGet, RaftPeersPath, s.raftPeers)
	handle(http.MethodDelete, RaftPeersPath+"/{id}", s.removeRaftPeer)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if max := s.bodyLimit(r); max > 0 && r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, max)
	}
	s.router.ServeHTTP(w, r)
}

// wrap gives a handler the request timeout and turns its error into Kafka Connect's error body.
func (s *Server) wrap(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if timeout := s.backend.Settings().RequestTimeout; timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		if err := h(w, r.WithContext(ctx)); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// readJSON checks the content type and decodes a JSON body into v with Kafka Connect's rules,
// reporting malformed or oversized bodies as 400 and 413.
func readJSON(r *http.Request, v any) error {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return &Error{Code: http.StatusUnsupportedMediaType, Message: "HTTP 415 Unsupported Media Type"}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return asError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errorf(http.StatusBadRequest, "Request body is empty; a JSON document is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return malformed(err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "Malformed JSON body: unexpected data after the JSON document")
	}
	return nil
}

func malformed(err error) error {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return errorf(http.StatusBadRequest, "Malformed JSON body at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "the body"
		}
		return errorf(http.StatusBadRequest, "Malformed JSON body: %s must be %s, not %s", field, jsonKind(typeErr.Type.String()), typeErr.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, "Malformed JSON body: unexpected end of input")
	// encoding/json reports an unknown field (DisallowUnknownFields) with a plain fmt.Errorf and
	// no error type to match, so its text is the only way to tell it.
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errorf(http.StatusBadRequest, "Unrecognized field %s in the request body", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return errorf(http.StatusBadRequest, "Malformed JSON body: %v", err)
}

func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "api."), strings.HasPrefix(goType, "struct"):
		return "a JSON object"
	case strings.HasPrefix(goType, "[]"):
		return "a JSON array"
	case goType == "string":
		return "a string"
	}
	return goType
}

// ConfigMap is a connector config as a request carries it: string values, with JSON numbers and
// booleans coerced to strings (as Jackson does) and null kept as nil so validation can flag it.
type ConfigMap map[string]*string

// UnmarshalJSON implements json.Unmarshaler.
func (m *ConfigMap) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw == nil {
		*m = nil
		return nil
	}
	out := ConfigMap{}
	for k, v := range raw {
		var val any
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&val); err != nil {
			return err
		}
		switch x := val.(type) {
		case nil:
			out[k] = nil
		case string:
			out[k] = &x
		case json.Number:
			s := x.String()
			out[k] = &s
		case bool:
			s := fmt.Sprint(x)
			out[k] = &s
		default:
			return &Error{Code: http.StatusBadRequest, Message: fmt.Sprintf("Malformed JSON body: the value of configuration %q must be a string, number, boolean or null", k)}
		}
	}
	*m = out
	return nil
}

// Strings returns the config with null values dropped; callers validate before storing.
func (m ConfigMap) Strings() map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}
