package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/logging"
)

// LoggerLevel is Kafka Connect's logger entity.
type LoggerLevel struct {
	Level        string `json:"level"`
	LastModified *int64 `json:"last_modified"`
}

func (s *Server) listLoggers(w http.ResponseWriter, _ *http.Request) error {
	out := map[string]LoggerLevel{}
	for name, set := range s.backend.Loggers().Explicit() {
		out[name] = LoggerLevel{Level: logging.LevelName(set.Level), LastModified: set.LastModified}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func loggerName(r *http.Request) string {
	name := mux.Vars(r)["logger"]
	if strings.EqualFold(name, logging.Root) {
		return logging.Root
	}
	return name
}

func (s *Server) getLogger(w http.ResponseWriter, r *http.Request) error {
	name := loggerName(r)
	levels := s.backend.Loggers()
	if !levels.Known(name) {
		return errorf(http.StatusNotFound, "Logger %s not found.", name)
	}
	set := levels.Get(name)
	writeJSON(w, http.StatusOK, LoggerLevel{Level: logging.LevelName(set.Level), LastModified: set.LastModified})
	return nil
}

func (s *Server) putLogger(w http.ResponseWriter, r *http.Request) error {
	name := loggerName(r)
	var body map[string]*string
	if err := readJSON(r, &body); err != nil {
		return err
	}
	levelName := body["level"]
	if levelName == nil {
		return errorf(http.StatusBadRequest, "Desired 'level' parameter was not specified in request.")
	}
	level, ok := logging.ParseLevel(*levelName)
	if !ok {
		return errorf(http.StatusBadRequest, "invalid log level '%s'.", *levelName)
	}
	now := time.Now().UnixMilli()
	if strings.EqualFold(r.URL.Query().Get("scope"), "cluster") {
		// Every node applies it from the replicated state, also nodes that start later.
		res, err := s.backend.Apply(r.Context(), &fsm.LoggerLevelSet{Level: fsm.LoggerLevel{Logger: name, Level: logging.LevelName(level), SetAt: now}})
		if err = resultError(res, err); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, s.backend.Loggers().Set(name, level, now))
	return nil
}
