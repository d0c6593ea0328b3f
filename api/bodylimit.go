package api

import (
	"net/http"
	"strings"
)

// internalPathPrefix marks the endpoints nodes call on each other.
const internalPathPrefix = "/connectd/internal/"

// bodyLimit is the largest body a request may carry: the internal endpoints carry commands that
// grow with a connector's task configs or a task's partitions, so they have their own, larger bound.
func (s *Server) bodyLimit(r *http.Request) int64 {
	settings := s.backend.Settings()
	if strings.HasPrefix(r.URL.Path, internalPathPrefix) && settings.InternalMaxBodyBytes > 0 {
		return settings.InternalMaxBodyBytes
	}
	return settings.MaxBodyBytes
}
