// Package plugins holds connectd's built-in plugins (file and verifiable connectors, converters,
// a failure-injecting test connector registered only on request) and the registry that finds them by Kafka
// Connect's class names and aliases.
package plugins

import (
	"fmt"
	"sort"
	"strings"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/transforms"
)

// Kind is a plugin's type as the REST API names it.
type Kind string

// Plugin kinds.
const (
	KindSource          Kind = "source"
	KindSink            Kind = "sink"
	KindConverter       Kind = "converter"
	KindHeaderConverter Kind = "header_converter"
	KindTransformation  Kind = "transformation"
	KindPredicate       Kind = "predicate"
)

// KafkaVersion is the version built-in plugins report, as Kafka's own plugins report Kafka's.
const KafkaVersion = "3.9.0"

// Plugin describes one installed plugin.
type Plugin struct {
	Class string
	Kind  Kind
	// TaskClass is the FQCN stored as task.class in a connector's task configs.
	TaskClass string
	Version   string
	// NewConnector, NewSourceTask, NewSinkTask and NewConverter make instances; only the ones of
	// the plugin's kind are set.
	NewConnector  func() connect.Connector
	NewSourceTask func() connect.SourceTask
	NewSinkTask   func() connect.SinkTask
	NewConverter  func() connect.Converter
	// Config describes a converter's own keys.
	Config *connect.ConfigDef
	// HeaderConverter marks a converter that also serves as a header converter.
	HeaderConverter bool
	// Transform is set for transformations and predicates.
	Transform *transforms.Plugin
	// StopWhenPaused marks connectors whose tasks run outside connectd (a plugin process): a
	// paused task is stopped, so that the process ends, and started again on resume.
	StopWhenPaused bool
}

// IsConnector reports whether the plugin is a source or sink connector.
func (p *Plugin) IsConnector() bool { return p.Kind == KindSource || p.Kind == KindSink }

// Registry finds plugins by class name or alias.
type Registry struct {
	plugins []*Plugin
	byName  map[string]*Plugin
	byTask  map[string]*Plugin
}

// Error is a plugin lookup or validation failure; Cause says what kind, for the REST layer to
// answer with Kafka Connect's status.
type Error struct {
	Cause   Cause
	Message string
}

func (e *Error) Error() string { return e.Message }

// Cause classifies an Error.
type Cause int

// The causes of an Error.
const (
	// CauseNotFound is a plugin no loaded plugin matches.
	CauseNotFound Cause = iota + 1
	// CauseInvalid is a request that names no usable plugin or holds no connector type.
	CauseInvalid
	// CausePanicked is a plugin that panicked while called.
	CausePanicked
)

// New returns a registry of every built-in plugin.
func New() *Registry {
	r := &Registry{byName: map[string]*Plugin{}, byTask: map[string]*Plugin{}}
	for _, p := range builtins() {
		r.add(p)
	}
	for _, p := range primitivePlugins() {
		r.add(p)
	}
	for _, p := range transformPlugins() {
		r.add(p)
	}
	return r
}

// AddTestPlugins registers the io.connectd.test.* connectors that fail on command.
func (r *Registry) AddTestPlugins() {
	for _, p := range testPlugins() {
		r.add(p)
	}
}

func (r *Registry) add(p *Plugin) {
	if p.Version == "" {
		p.Version = KafkaVersion
	}
	r.plugins = append(r.plugins, p)
	simple := p.Class[strings.LastIndex(p.Class, ".")+1:]
	names := []string{p.Class, simple}
	if trimmed, ok := strings.CutSuffix(simple, "Connector"); ok && p.IsConnector() {
		names = append(names, trimmed)
	}
	for _, n := range names {
		if _, taken := r.byName[n]; !taken {
			r.byName[n] = p
		}
	}
	if p.TaskClass != "" {
		r.byTask[p.TaskClass] = p
	}
}

// Lookup finds a plugin by FQCN, simple class name, or (connectors) simple name without the
// Connector suffix.
func (r *Registry) Lookup(name string) (*Plugin, bool) {
	p, ok := r.byName[strings.TrimSpace(name)]
	return p, ok
}

// ConnectorType is "source", "sink" or "unknown" for a connector.class value.
func (r *Registry) ConnectorType(class string) string {
	if p, ok := r.Lookup(class); ok && p.IsConnector() {
		return string(p.Kind)
	}
	return "unknown"
}

// NewConnector instantiates the connector a connector.class names.
func (r *Registry) NewConnector(class string) (connect.Connector, error) {
	p, ok := r.Lookup(class)
	if !ok || !p.IsConnector() {
		return nil, r.unknownConnector(class)
	}
	return p.NewConnector(), nil
}

// TaskPlugin finds the plugin whose task class a task config's task.class names.
func (r *Registry) TaskPlugin(taskClass string) (*Plugin, bool) {
	p, ok := r.byTask[taskClass]
	return p, ok
}

// NewConverter instantiates and configures a converter.
func (r *Registry) NewConverter(class string, config map[string]string, isKey bool) (connect.Converter, error) {
	p, ok := r.Lookup(class)
	if !ok || p.Kind != KindConverter {
		return nil, fmt.Errorf("Class %s could not be found.", class)
	}
	c := p.NewConverter()
	if err := c.Configure(config, isKey); err != nil {
		return nil, err
	}
	return c, nil
}

// TaskConfig is the task config Kafka Connect stores for one generated task: the connector's
// map plus task.class and, for sinks, the topics the task consumes.
func (r *Registry) TaskConfig(connectorConfig, generated map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range generated {
		out[k] = v
	}
	if p, ok := r.Lookup(connectorConfig["connector.class"]); ok {
		out["task.class"] = p.TaskClass
		if p.Kind == KindSink {
			for _, k := range []string{"topics", "topics.regex"} {
				if v, ok := connectorConfig[k]; ok {
					out[k] = v
				}
			}
		}
	}
	return out
}

// List returns plugin descriptions in Kafka Connect's order: sinks, then sources, then (unless
// connectorsOnly) the other kinds, each sorted by class.
func (r *Registry) List(connectorsOnly bool) []connect.PluginInfo {
	order := []Kind{KindSink, KindSource}
	if !connectorsOnly {
		order = append(order, KindConverter, KindHeaderConverter, KindTransformation, KindPredicate)
	}
	out := []connect.PluginInfo{}
	for _, kind := range order {
		var group []connect.PluginInfo
		for _, p := range r.plugins {
			if p.Kind == kind || (kind == KindHeaderConverter && p.IsHeaderConverter()) {
				group = append(group, connect.PluginInfo{Class: p.Class, Type: string(kind), Version: p.Version})
			}
		}
		sort.Slice(group, func(i, j int) bool { return group[i].Class < group[j].Class })
		out = append(out, group...)
	}
	return out
}

// ConfigKeys returns the definitions GET /connector-plugins/{p}/config shows: the plugin's own
// keys first, then the framework keys it does not redefine.
func (r *Registry) ConfigKeys(name string) ([]connect.ConfigKeyInfo, error) {
	p, ok := r.Lookup(name)
	if !ok {
		return nil, &Error{Cause: CauseNotFound, Message: fmt.Sprintf("Unknown plugin %s.", name)}
	}
	var def *connect.ConfigDef
	var framework []connect.ConfigKey
	switch p.Kind {
	case KindSource, KindSink:
		def = p.NewConnector().Config()
		framework = frameworkDef(p.Kind, false).Keys()
	case KindConverter, KindHeaderConverter:
		def = p.Config
	case KindTransformation, KindPredicate:
		def = p.Transform.Config()
	default:
		return nil, &Error{Cause: CauseInvalid, Message: fmt.Sprintf("Invalid plugin class %s. Valid types are sink, source, converter, header_converter, transformation, predicate.", name)}
	}
	out := []connect.ConfigKeyInfo{}
	own := map[string]bool{}
	for _, k := range def.Keys() {
		own[k.Name] = true
		out = append(out, k.Info())
	}
	for _, k := range framework {
		if !own[k.Name] {
			out = append(out, k.Info())
		}
	}
	return out, nil
}

func (r *Registry) unknownConnector(class string) error {
	var descs []string
	for _, p := range r.plugins {
		if p.IsConnector() {
			descs = append(descs, fmt.Sprintf("PluginDesc{klass=class %s, name='%s', version='%s', encodedVersion=%s, type=%s, typeName='%s', location='classpath'}",
				p.Class, p.Class, p.Version, p.Version, p.Kind, p.Kind))
		}
	}
	sort.Strings(descs)
	return &Error{Cause: CauseInvalid, Message: fmt.Sprintf("Failed to find any class that implements Connector and which name matches %s, available connectors are: %s",
		class, strings.Join(descs, ", "))}
}

// Register adds a plugin found at run time (an external connector plugin); it fails when the
// class name is taken.
func (r *Registry) Register(p *Plugin) error {
	if _, taken := r.byName[p.Class]; taken {
		return fmt.Errorf("plugin class %s is already registered", p.Class)
	}
	r.add(p)
	return nil
}
