package api

import (
	"crypto/hmac"
	"encoding/base64"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/connectd/connectd/internal/signing"
)

// verifySigned checks an internal request's signature against the current session key and the
// one before it, its timestamp against the window, and that it was not seen before; with Kafka
// Connect's status codes and messages where Kafka has them.
func (s *Server) verifySigned(r *http.Request, body []byte) error {
	sig := r.Header.Get(signing.SignatureHeader)
	if sig == "" {
		return errorf(http.StatusBadRequest, "Internal request missing required signature")
	}
	if algo := r.Header.Get(signing.AlgorithmHeader); algo != signing.Algorithm {
		return errorf(http.StatusBadRequest, "Internal request signature algorithm %q is not supported; expected %s", algo, signing.Algorithm)
	}
	keys := s.backend.State().SessionKeys()
	if keys.Current == nil {
		return errorf(http.StatusServiceUnavailable, "This worker is still starting up and has not been able to read a session key from the config topic yet")
	}
	ts, nonce := r.Header.Get(signing.TimestampHeader), r.Header.Get(signing.NonceHeader)
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || nonce == "" {
		return errorf(http.StatusBadRequest, "Internal request missing required timestamp and nonce")
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	valid := false
	for _, key := range [][]byte{keys.Current, keys.Previous} {
		if err == nil && key != nil && hmac.Equal(got, signing.MAC(key, ts, nonce, r.Method, r.URL.Path, body)) {
			valid = true
		}
	}
	if !valid {
		return errorf(http.StatusForbidden, "Internal request contained invalid signature.")
	}
	now := time.Now()
	if d := now.Sub(time.UnixMilli(ms)); d > signing.Window || d < -signing.Window {
		return errorf(http.StatusForbidden, "Internal request signature expired: signed %s from this worker's clock, more than %s", d.Round(time.Millisecond), signing.Window)
	}
	if !s.seen.first(sig, now) {
		return errorf(http.StatusForbidden, "Internal request was already received: replayed requests are refused")
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
	for len(g.order) > 0 && now.Sub(g.order[0].at) > 2*signing.Window {
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
