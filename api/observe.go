package api

import (
	"net/http"
	"time"
)

// RequestObserver is told of every REST request once answered: the route's path template
// (unmatchedRoute for none), the method, the status code and how long it took.
type RequestObserver func(route, method string, code int, took time.Duration)

// Option changes how a Server is built.
type Option func(*Server)

// WithRequestObserver reports every request to o, for metrics.
func WithRequestObserver(o RequestObserver) Option {
	return func(s *Server) { s.observe = o }
}

// unmatchedRoute is the route of requests no route matched, so that probing random paths
// cannot grow the metrics without bound.
const unmatchedRoute = "unmatched"

// observed wraps h to report each request to the server's observer, when it has one.
func (s *Server) observed(route string, h http.HandlerFunc) http.HandlerFunc {
	if s.observe == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h(sw, r)
		s.observe(route, r.Method, sw.code, time.Since(began))
	}
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
