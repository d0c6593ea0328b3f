package api

import (
	"net/http"
	"time"
)

// ServerInfo is the body of GET /.
type ServerInfo struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	KafkaClusterID string `json:"kafka_cluster_id"`
}

// Version is the Kafka Connect version whose REST API connectd serves.
const Version = "3.9.0"

func (s *Server) serverInfo(w http.ResponseWriter, _ *http.Request) error {
	settings := s.backend.Settings()
	info := ServerInfo{Version: Version, Commit: settings.Commit}
	if settings.KafkaClusterID != nil {
		info.KafkaClusterID = settings.KafkaClusterID()
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// WorkerStatus is the body of GET /health.
type WorkerStatus struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) error {
	h := s.backend.Health()
	switch {
	case !h.Ready:
		writeJSON(w, http.StatusServiceUnavailable, WorkerStatus{Status: "starting",
			Message: "Worker is still starting up. " + stageSummary(h)})
	case !h.Healthy:
		writeJSON(w, http.StatusInternalServerError, WorkerStatus{Status: "unhealthy",
			Message: "Worker was unable to handle this request and may be unable to handle other requests. " + stageSummary(h)})
	default:
		writeJSON(w, http.StatusOK, WorkerStatus{Status: "healthy", Message: "Worker has completed startup and is ready to handle requests."})
	}
	return nil
}

func stageSummary(h HealthStatus) string {
	return "The worker is currently " + h.Stage + ", which began at " + h.Since.UTC().Format(time.RFC3339Nano) + "."
}
