// Package logging gives connectd's structured logs Kafka Connect's dynamic log levels: a level
// per logger namespace ("connectd.worker", "connectd.raft", ...) with inheritance from parent
// namespaces and the root, changeable at run time through /admin/loggers.
package logging

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Root is the name of the root logger.
const Root = "root"

// Kafka's level names, mapped onto slog levels.
var byName = map[string]slog.Level{
	"ALL": slog.LevelDebug - 8, "TRACE": slog.LevelDebug - 4, "DEBUG": slog.LevelDebug, "INFO": slog.LevelInfo,
	"WARN": slog.LevelWarn, "ERROR": slog.LevelError, "FATAL": slog.LevelError + 4, "OFF": slog.LevelError + 100,
}

// ParseLevel reads a Kafka level name, case-insensitively.
func ParseLevel(name string) (slog.Level, bool) {
	l, ok := byName[strings.ToUpper(name)]
	return l, ok
}

// LevelName is the Kafka name of a level.
func LevelName(l slog.Level) string {
	best, bestLevel := "OFF", slog.Level(1<<30)
	for name, v := range byName {
		if v >= l && v < bestLevel {
			best, bestLevel = name, v
		}
	}
	return best
}

// Setting is a logger's explicitly set level.
type Setting struct {
	Level slog.Level
	// LastModified is when it was set (epoch ms), nil if never set through the API.
	LastModified *int64
}

// Levels holds the level of every logger of one node.
type Levels struct {
	mu       sync.Mutex
	explicit atomic.Pointer[map[string]Setting]
	known    map[string]bool
}

// New returns levels whose root logger is at root.
func New(root slog.Level) *Levels {
	l := &Levels{known: map[string]bool{Root: true}}
	m := map[string]Setting{Root: {Level: root}}
	l.explicit.Store(&m)
	return l
}

// Effective is the level of a logger: its own, else its nearest ancestor's, else the root's.
func (l *Levels) Effective(name string) slog.Level {
	m := *l.explicit.Load()
	for n := name; n != ""; {
		if s, ok := m[n]; ok {
			return s.Level
		}
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[:i]
	}
	return m[Root].Level
}

// Known reports whether a logger exists (has logged, has a descendant that has, or was set).
func (l *Levels) Known(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, set := (*l.explicit.Load())[name]
	return set || l.known[name]
}

func (l *Levels) register(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for n := name; n != "" && !l.known[n]; {
		l.known[n] = true
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[:i]
	}
}

// Explicit returns the explicitly set levels, root included.
func (l *Levels) Explicit() map[string]Setting {
	out := map[string]Setting{}
	for k, v := range *l.explicit.Load() {
		out[k] = v
	}
	return out
}

// Get returns a logger's effective level and, if it was set explicitly, when.
func (l *Levels) Get(name string) Setting {
	if s, ok := (*l.explicit.Load())[name]; ok {
		return s
	}
	return Setting{Level: l.Effective(name)}
}

// Set sets the level of a namespace at time at (epoch ms) and returns the affected loggers: the
// namespace and every known descendant, sorted.
func (l *Levels) Set(name string, level slog.Level, at int64) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[string]Setting{}
	for k, v := range *l.explicit.Load() {
		m[k] = v
	}
	m[name] = Setting{Level: level, LastModified: &at}
	l.explicit.Store(&m)
	l.known[name] = true
	var affected []string
	for n := range l.known {
		if name == Root || n == name || strings.HasPrefix(n, name+".") {
			affected = append(affected, n)
		}
	}
	sort.Strings(affected)
	return affected
}

// Handler wraps inner so that each record is kept only if its logger's level allows it. The
// logger of a record is "connectd.<component>" from its component attribute, else "connectd".
func (l *Levels) Handler(inner slog.Handler) slog.Handler {
	l.register("connectd")
	return &handler{inner: inner, levels: l, logger: "connectd"}
}

type handler struct {
	inner  slog.Handler
	levels *Levels
	logger string
}

func (h *handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.levels.Effective(h.logger)
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error { return h.inner.Handle(ctx, r) }

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	logger := h.logger
	for _, a := range attrs {
		if a.Key == "component" {
			logger = "connectd." + a.Value.String()
			h.levels.register(logger)
		}
	}
	return &handler{inner: h.inner.WithAttrs(attrs), levels: h.levels, logger: logger}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{inner: h.inner.WithGroup(name), levels: h.levels, logger: h.logger}
}
