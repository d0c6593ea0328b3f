package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/connectd/connectd/fsm"
)

// Headers of a signed internal request: Kafka Connect's two, and connectd's timestamp and nonce,
// which the MAC covers with the method, path and body so that a captured request can be neither
// replayed nor pointed at another endpoint.
const (
	signatureHeader   = "X-Connect-Authorization"
	algorithmHeader   = "X-Connect-Request-Signature-Algorithm"
	signatureAlgoName = "HmacSHA256"
	timestampHeader   = "X-Connectd-Request-Timestamp"
	nonceHeader       = "X-Connectd-Request-Nonce"
)

// SignatureWindow is how far a signed request's timestamp may be from the receiver's clock: wide
// enough for clock differences between nodes, short enough that a replay must come at once, when
// the replay guard still remembers the original.
const SignatureWindow = 30 * time.Second

// Sign signs an internal request (method and URL already set) and its body with key, now.
func Sign(req *http.Request, key, body []byte) {
	SignAt(req, key, body, time.Now())
}

// SignAt signs an internal request as of time at.
func SignAt(req *http.Request, key, body []byte, at time.Time) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	n := hex.EncodeToString(nonce)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(algorithmHeader, signatureAlgoName)
	req.Header.Set(timestampHeader, ts)
	req.Header.Set(nonceHeader, n)
	req.Header.Set(signatureHeader, base64.StdEncoding.EncodeToString(mac(key, ts, n, req.Method, req.URL.Path, body)))
}

func mac(key []byte, ts, nonce, method, path string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	for _, part := range []string{"connectd-v1", ts, nonce, method, path} {
		h.Write([]byte(part))
		h.Write([]byte{'\n'})
	}
	h.Write(body)
	return h.Sum(nil)
}

// verifySigned checks an internal request's signature against the current session key and the
// one before it, its timestamp against the window, and that it was not seen before; with Kafka
// Connect's status codes and messages where Kafka has them.
func (s *Server) verifySigned(r *http.Request, body []byte) error {
	sig := r.Header.Get(signatureHeader)
	if sig == "" {
		return errorf(http.StatusBadRequest, "Internal request missing required signature")
	}
	if algo := r.Header.Get(algorithmHeader); algo != signatureAlgoName {
		return errorf(http.StatusBadRequest, "Internal request signature algorithm %q is not supported; expected %s", algo, signatureAlgoName)
	}
	keys := s.backend.State().SessionKeys()
	if keys.Current == nil {
		return errorf(http.StatusServiceUnavailable, "This worker is still starting up and has not been able to read a session key from the config topic yet")
	}
	ts, nonce := r.Header.Get(timestampHeader), r.Header.Get(nonceHeader)
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || nonce == "" {
		return errorf(http.StatusBadRequest, "Internal request missing required timestamp and nonce")
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	valid := false
	for _, key := range [][]byte{keys.Current, keys.Previous} {
		if err == nil && key != nil && hmac.Equal(got, mac(key, ts, nonce, r.Method, r.URL.Path, body)) {
			valid = true
		}
	}
	if !valid {
		return errorf(http.StatusForbidden, "Internal request contained invalid signature.")
	}
	now := time.Now()
	if d := now.Sub(time.UnixMilli(ms)); d > SignatureWindow || d < -SignatureWindow {
		return errorf(http.StatusForbidden, "Internal request signature expired: signed %s from this worker's clock, more than %s", d.Round(time.Millisecond), SignatureWindow)
	}
	if !s.seen.first(sig, now) {
		return errorf(http.StatusForbidden, "Internal request was already received: replayed requests are refused")
	}
	return nil
}

// forwardable refuses a forwarded body that is not a command this node knows (400), and a
// command that only the leader itself may write (403).
func forwardable(body []byte) error {
	if err := fsm.Check(body); err != nil {
		return errorf(http.StatusBadRequest, "Internal request does not hold a command this node knows: %v", err)
	}
	if t := fsm.MessageType(body[0]); !fsm.FollowerMayForward(t) {
		return errorf(http.StatusForbidden, "Command type %d may not be forwarded to the leader", t)
	}
	return nil
}

// replayGuard remembers the signatures accepted within the window, in arrival order.
type replayGuard struct {
	mu    sync.Mutex
	seen  map[string]bool
	order []seenSig
}

type seenSig struct {
	sig string
	at  time.Time
}

func newReplayGuard() *replayGuard { return &replayGuard{seen: map[string]bool{}} }

// first records sig and reports whether it is new. Signatures older than twice the window are
// forgotten: by then the timestamp check refuses their requests anyway.
func (g *replayGuard) first(sig string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.order) > 0 && now.Sub(g.order[0].at) > 2*SignatureWindow {
		delete(g.seen, g.order[0].sig)
		g.order = g.order[1:]
	}
	if g.seen[sig] {
		return false
	}
	g.seen[sig] = true
	g.order = append(g.order, seenSig{sig: sig, at: now})
	return true
}
