// Package signing signs the requests nodes send each other with the cluster's session key, and
// computes the MAC that the receiving node checks.
package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// Headers of a signed internal request: Kafka Connect's two, and connectd's timestamp and nonce,
// which the MAC covers with the method, path and body so that a captured request can be neither
// replayed nor pointed at another endpoint.
const (
	SignatureHeader = "X-Connect-Authorization"
	AlgorithmHeader = "X-Connect-Request-Signature-Algorithm"
	Algorithm       = "HmacSHA256"
	TimestampHeader = "X-Connectd-Request-Timestamp"
	NonceHeader     = "X-Connectd-Request-Nonce"
)

// Window is how far a signed request's timestamp may be from the receiver's clock: wide enough
// for clock differences between nodes, short enough that a replay must come at once, when the
// receiver still remembers the original.
const Window = 30 * time.Second

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
	req.Header.Set(AlgorithmHeader, Algorithm)
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(NonceHeader, n)
	req.Header.Set(SignatureHeader, base64.StdEncoding.EncodeToString(MAC(key, ts, n, req.Method, req.URL.Path, body)))
}

// MAC is the signature of a request with timestamp ts and nonce under key.
func MAC(key []byte, ts, nonce, method, path string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	for _, part := range []string{"connectd-v1", ts, nonce, method, path} {
		h.Write([]byte(part))
		h.Write([]byte{'\n'})
	}
	h.Write(body)
	return h.Sum(nil)
}
