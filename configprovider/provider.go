// Package configprovider resolves Kafka's config-provider placeholders, ${provider:path:key}, as
// KIP-297 defines them, with the FileConfigProvider, DirectoryConfigProvider and
// EnvVarConfigProvider of Apache Kafka and their allowed.paths and allowlist.pattern parameters.
// Secrets stay in files or the environment of the node that runs the work: configurations are
// stored with their placeholders and resolved only where they are used.
package configprovider

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/magiconair/properties"
)

// Kafka's provider class names.
const (
	FileClass      = "org.apache.kafka.common.config.provider.FileConfigProvider"
	DirectoryClass = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
	EnvVarClass    = "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
)

// ErrNotAllowed is returned for a path outside a provider's allowed.paths or a variable outside
// its allowlist.pattern.
var ErrNotAllowed = errors.New("not allowed")

// Provider returns the values at path for keys.
type Provider interface {
	Get(path string, keys []string) (map[string]string, error)
}

// Providers are a worker's named providers (the config.providers key).
type Providers struct {
	byName map[string]Provider
}

// placeholder is Kafka's ConfigTransformer pattern: ${provider:[path:]key}.
var placeholder = regexp.MustCompile(`\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}`)

// HasPlaceholder reports whether value holds a placeholder.
func HasPlaceholder(value string) bool { return placeholder.MatchString(value) }

// FromWorkerConfig builds the providers a worker's config.providers names, each from its
// config.providers.<name>.class and config.providers.<name>.param.* keys.
func FromWorkerConfig(props map[string]string, environ []string) (*Providers, error) {
	p := &Providers{byName: map[string]Provider{}}
	for _, name := range strings.Split(props["config.providers"], ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		prefix := "config.providers." + name + "."
		params := map[string]string{}
		for k, v := range props {
			if rest, ok := strings.CutPrefix(k, prefix+"param."); ok {
				params[rest] = v
			}
		}
		class := props[prefix+"class"]
		allowed, err := parseAllowedPaths(params["allowed.paths"])
		if err != nil {
			return nil, fmt.Errorf("%sparam.allowed.paths: %w", prefix, err)
		}
		switch class {
		case FileClass:
			p.byName[name] = &fileProvider{allowed: allowed}
		case DirectoryClass:
			p.byName[name] = &dirProvider{allowed: allowed}
		case EnvVarClass:
			env, err := newEnvProvider(params["allowlist.pattern"], environ)
			if err != nil {
				return nil, fmt.Errorf("%sparam.allowlist.pattern: %w", prefix, err)
			}
			p.byName[name] = env
		case "":
			return nil, fmt.Errorf("config provider %s has no %sclass", name, prefix)
		default:
			return nil, fmt.Errorf("%sclass %s is not supported: connectd has %s, %s and %s", prefix, class, FileClass, DirectoryClass, EnvVarClass)
		}
	}
	return p, nil
}

// Resolve returns config with every placeholder of a configured provider replaced by its value.
// Placeholders naming no configured provider are left as written, as Kafka does.
func (p *Providers) Resolve(config map[string]string) (map[string]string, error) {
	if p == nil || len(p.byName) == 0 {
		return config, nil
	}
	out := maps.Clone(config)
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := config[k]
		if !HasPlaceholder(v) {
			continue
		}
		var firstErr error
		out[k] = placeholder.ReplaceAllStringFunc(v, func(m string) string {
			g := placeholder.FindStringSubmatch(m)
			provider, ok := p.byName[g[1]]
			if !ok {
				return m
			}
			values, err := provider.Get(g[3], []string{g[4]})
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("resolve %s of %s: %w", m, k, err)
				}
				return m
			}
			if val, ok := values[g[4]]; ok {
				return val
			}
			if firstErr == nil {
				firstErr = fmt.Errorf("resolve %s of %s: no key %q at %q", m, k, g[4], g[3])
			}
			return m
		})
		if firstErr != nil {
			return nil, firstErr
		}
	}
	return out, nil
}

// Restore undoes resolution where a connector copied its resolved config into what it hands
// back (task configs): a value equal to the resolved form of a raw value with a placeholder gets
// the placeholder back, so that secrets are never stored.
func Restore(raw, resolved, generated map[string]string) map[string]string {
	out := maps.Clone(generated)
	for k, v := range generated {
		if r, ok := raw[k]; ok && HasPlaceholder(r) && resolved[k] == v {
			out[k] = r
		}
	}
	return out
}

// parseAllowedPaths reads KIP-993's allowed.paths: absolute directories; empty allows all.
func parseAllowedPaths(v string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("%s is not an absolute path", p)
		}
		out = append(out, filepath.Clean(p))
	}
	return out, nil
}

// Within reports whether path, made absolute and cleaned (so .. cannot escape), lies under
// one of dirs; no dirs means no restriction.
func Within(path string, dirs []string) bool {
	if len(dirs) == 0 {
		return true
	}
	if !filepath.IsAbs(path) {
		return false
	}
	clean := filepath.Clean(path)
	for _, d := range dirs {
		if clean == d || strings.HasPrefix(clean, strings.TrimSuffix(d, string(filepath.Separator))+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

type fileProvider struct{ allowed []string }

func (f *fileProvider) Get(path string, keys []string) (map[string]string, error) {
	if !Within(path, f.allowed) {
		return nil, fmt.Errorf("path %s: %w by allowed.paths", path, ErrNotAllowed)
	}
	props, err := properties.LoadFile(path, properties.UTF8)
	if err != nil {
		return nil, err
	}
	props.DisableExpansion = true
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := props.Get(k); ok {
			out[k] = v
		}
	}
	return out, nil
}

type dirProvider struct{ allowed []string }

func (d *dirProvider) Get(path string, keys []string) (map[string]string, error) {
	if !Within(path, d.allowed) {
		return nil, fmt.Errorf("path %s: %w by allowed.paths", path, ErrNotAllowed)
	}
	out := map[string]string{}
	for _, k := range keys {
		// A key names a file directly in the directory, never one elsewhere.
		if k == "" || k != filepath.Base(k) || k == "." || k == ".." {
			return nil, fmt.Errorf("key %q is not a file name: %w", k, ErrNotAllowed)
		}
		data, err := os.ReadFile(filepath.Join(path, k))
		if err != nil {
			return nil, err
		}
		out[k] = string(data)
	}
	return out, nil
}

type envProvider struct {
	allow *regexp.Regexp
	env   map[string]string
}

func newEnvProvider(pattern string, environ []string) (*envProvider, error) {
	if pattern == "" {
		pattern = ".*"
	}
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return &envProvider{allow: re, env: env}, nil
}

// Get ignores path, as Kafka's EnvVarConfigProvider does: ${env::NAME} or ${env:NAME}.
func (e *envProvider) Get(_ string, keys []string) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range keys {
		if !e.allow.MatchString(k) {
			return nil, fmt.Errorf("variable %s: %w by allowlist.pattern", k, ErrNotAllowed)
		}
		if v, ok := e.env[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}
