package external

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/conduitio/conduit-connector-protocol/pconnector"
)

// Discover finds the plugins in dirs (plugin.path's directories): every executable regular
// file that completes the connector protocol's handshake and returns its specification. A file
// that does not is logged and skipped. Plugins are returned sorted by name; of two with the
// same name, the first found wins.
func (h *Host) Discover(dirs []string) []*Plugin {
	var out []*Plugin
	seen := map[string]string{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			h.logger.Warn("plugin.path directory unreadable; skipped", "dir", dir, "err", err)
			continue
		}
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			info, err := os.Stat(path)
			if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
				continue
			}
			spec, err := h.Specify(path)
			if err != nil {
				h.logger.Warn("not a connector plugin; skipped", "path", path, "err", err)
				continue
			}
			if first, dup := seen[spec.Name]; dup {
				h.logger.Warn("plugin name already loaded; skipped", "path", path, "name", spec.Name, "loaded", first)
				continue
			}
			seen[spec.Name] = path
			out = append(out, &Plugin{Path: path, Spec: spec, host: h})
			h.logger.Info("loaded connector plugin", "name", spec.Name, "version", spec.Version, "path", path)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.Name < out[j].Spec.Name })
	h.plugins = out
	return out
}

// Specify starts the plugin at path, reads its specification and ends it.
func (h *Host) Specify(path string) (pconnector.Specification, error) {
	proc, err := h.launch(path, "specify-"+filepath.Base(path), h.logger.With("plugin.path", path))
	if err != nil {
		return pconnector.Specification{}, err
	}
	defer proc.kill()
	raw, err := proc.dispense("specifier")
	if err != nil {
		return pconnector.Specification{}, err
	}
	spec, ok := raw.(pconnector.SpecifierPlugin)
	if !ok {
		return pconnector.Specification{}, fmt.Errorf("plugin dispensed %T, not a specifier", raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	resp, err := spec.Specify(ctx, pconnector.SpecifierSpecifyRequest{})
	if err != nil {
		return pconnector.Specification{}, proc.failure(err)
	}
	if strings.TrimSpace(resp.Specification.Name) == "" {
		return pconnector.Specification{}, fmt.Errorf("plugin specification has no name")
	}
	return resp.Specification, nil
}
