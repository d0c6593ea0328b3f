package api

import (
	"net"
	"net/http"
	"regexp"
	"strings"
)

// Authenticator checks a REST user's HTTP Basic credentials.
type Authenticator interface {
	Check(user, password string) bool
}

// ListenerRole says which resources one REST listener serves.
type ListenerRole int

// Listener roles: Kafka's admin.listeners moves /admin/* (and connectd's leave) off the REST
// listeners onto listeners of their own.
const (
	// RoleAll serves every resource: admin.listeners is unset.
	RoleAll ListenerRole = iota
	// RoleREST serves everything but the admin resources.
	RoleREST
	// RoleAdmin serves only the admin resources.
	RoleAdmin
	// RoleCluster serves only the internal requests: the cluster channel, whose mutual TLS has
	// already admitted only nodes with a certificate the cluster CA signed.
	RoleCluster
)

// Security is how one REST listener guards the API.
type Security struct {
	Role ListenerRole
	// Auth, when set, requires HTTP Basic credentials on every request but the internal ones,
	// which carry a signature instead (as BasicAuthSecurityRestExtension exempts them).
	Auth Authenticator
	// AllowOrigin and AllowMethods are Kafka's access.control.allow.origin and .methods.
	AllowOrigin  string
	AllowMethods string
	// ClusterChannel is set when cluster TLS is on: internal requests are then taken on the
	// cluster channel only, and this listener refuses them whatever their signature.
	ClusterChannel bool
}

// errUnauthorized is what BasicAuthSecurityRestExtension answers, in Kafka's error shape.
var errUnauthorized = &Error{Code: http.StatusUnauthorized, Message: "User cannot access the resource."}

// errInternalOffChannel refuses an internal request that reached a REST listener with cluster
// TLS on: only the cluster channel's client certificate proves that a node sent it.
var errInternalOffChannel = &Error{Code: http.StatusForbidden, Message: "Internal requests are accepted only on the cluster channel (mutual TLS on the Raft port) when cluster TLS is on"}

// internalRequest matches the endpoints that nodes call on each other: their signature
// authenticates them, and user credentials alone must not reach them.
var internalRequest = regexp.MustCompile(`^(POST /connectd/internal/[a-z]+|POST /connectors/[^/]+/tasks/?|PUT /connectors/[^/]+/fence/?)$`)

// Handler serves the API on one listener with that listener's guard.
func (s *Server) Handler(sec Security, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sec.AllowOrigin != "" && s.cors(w, r, sec) {
			return
		}
		admin, internal := isAdminPath(r.URL.Path), isInternal(r)
		if (sec.Role == RoleREST && admin) || (sec.Role == RoleAdmin && !admin) || (sec.Role == RoleCluster && !internal) {
			s.writeError(w, r, &Error{Code: http.StatusNotFound, Message: "HTTP 404 Not Found"})
			return
		}
		if sec.ClusterChannel && sec.Role != RoleCluster && internal {
			s.writeError(w, r, errInternalOffChannel)
			return
		}
		if err := authenticate(r, sec.Auth); err != nil {
			if err.Code == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="connectd"`)
			}
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate lets a request through when its credentials check out, or when it is an internal
// request (checked by signature). Without REST authentication configured, leave is taken only
// from the node's own host, since it stops the node for good.
func authenticate(r *http.Request, auth Authenticator) *Error {
	if isInternal(r) {
		return nil
	}
	if auth == nil {
		if r.URL.Path == LeavePath && !fromLoopback(r) {
			return errorf(http.StatusForbidden, "POST %s is accepted only from the node's own host unless REST authentication (rest.extension.classes) is on", LeavePath)
		}
		return nil
	}
	user, password, ok := r.BasicAuth()
	if !ok || !auth.Check(user, password) {
		return errUnauthorized
	}
	return nil
}

func isInternal(r *http.Request) bool {
	return internalRequest.MatchString(r.Method + " " + r.URL.Path)
}

func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	ip := net.ParseIP(host)
	return err == nil && ip != nil && ip.IsLoopback()
}

// isAdminPath reports the resources admin.listeners moves.
func isAdminPath(path string) bool {
	return path == "/admin" || strings.HasPrefix(path, "/admin/") || path == LeavePath
}

// cors adds Jetty CrossOriginFilter's headers for an allowed origin and answers its preflight
// requests; it reports whether the request has been answered.
func (s *Server) cors(w http.ResponseWriter, r *http.Request, sec Security) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || !originAllowed(sec.AllowOrigin, origin) {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Add("Vary", "Origin")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	methods := sec.AllowMethods
	if methods == "" {
		methods = "GET,POST,HEAD"
	}
	h.Set("Access-Control-Allow-Methods", methods)
	h.Set("Access-Control-Allow-Headers", "X-Requested-With,Content-Type,Accept,Origin,Authorization")
	h.Set("Access-Control-Max-Age", "1800")
	w.WriteHeader(http.StatusOK)
	return true
}

func originAllowed(allowed, origin string) bool {
	for _, o := range strings.Split(allowed, ",") {
		if o = strings.TrimSpace(o); o == "*" || o == origin {
			return true
		}
	}
	return false
}
