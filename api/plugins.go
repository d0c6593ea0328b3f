package api

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

func (s *Server) listPlugins(w http.ResponseWriter, r *http.Request) error {
	connectorsOnly, err := boolParam(r.URL.Query().Get("connectorsOnly"), "connectorsOnly")
	if err != nil {
		return err
	}
	if r.URL.Query().Get("connectorsOnly") == "" {
		connectorsOnly = true
	}
	writeJSON(w, http.StatusOK, s.backend.Registry().List(connectorsOnly))
	return nil
}

func (s *Server) pluginConfig(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.backend.Registry().ConfigKeys(mux.Vars(r)["plugin"])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, keys)
	return nil
}

func (s *Server) validateConfig(w http.ResponseWriter, r *http.Request) error {
	plugin := mux.Vars(r)["plugin"]
	var config ConfigMap
	if err := readJSON(r, &config); err != nil {
		return err
	}
	if class := config["connector.class"]; class != nil && !classMatches(*class, plugin) {
		return errorf(http.StatusBadRequest, "Included connector type %s does not match request type %s", *class, plugin)
	}
	infos, err := s.backend.Registry().Validate(config, s.validationContext())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, infos)
	return nil
}

// classMatches is Kafka Connect's check that the body's connector.class names the plugin in the
// path: with a trailing "Connector" stripped from both, the class must end with the path name.
func classMatches(class, plugin string) bool {
	return strings.HasSuffix(strings.TrimSuffix(class, "Connector"), strings.TrimSuffix(plugin, "Connector"))
}
