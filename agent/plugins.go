package agent

import (
	"strings"

	"github.com/connectd/connectd/plugins/external"
)

// loadExternalPlugins discovers the connector plugins on plugin.path and registers each as Kafka
// Connect source and sink connector classes. A plugin that fails is logged and skipped.
func (a *Agent) loadExternalPlugins() error {
	var dirs []string
	for _, d := range strings.Split(a.cfg.Raw["plugin.path"], ",") {
		if d = strings.TrimSpace(d); d != "" {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	host, err := external.NewHost(a.logger.With("component", "plugins"), a, a.cfg.ConfigProviders)
	if err != nil {
		return err
	}
	a.pluginHost = host
	for _, p := range host.Discover(dirs) {
		for _, reg := range p.Registrations() {
			if err := a.registry.Register(reg); err != nil {
				a.logger.Warn("connector plugin skipped", "path", p.Path, "err", err)
				continue
			}
			a.loadedPlugins = append(a.loadedPlugins, reg.Class+" "+reg.Version+" ("+p.Path+")")
		}
	}
	return nil
}

// LoadedPlugins lists the connector classes loaded from plugin.path, with version and file.
func (a *Agent) LoadedPlugins() []string { return a.loadedPlugins }
