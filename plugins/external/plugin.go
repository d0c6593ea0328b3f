package external

import (
	"fmt"
	"log/slog"
	"strings"
	"unicode"

	"github.com/conduitio/conduit-connector-protocol/pconnector"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/plugins"
)

// classPrefix is the package of every plugin's Kafka Connect class name.
const classPrefix = "io.conduit.connectors."

// Plugin is one discovered plugin binary and its specification.
type Plugin struct {
	Path string
	Spec pconnector.Specification
	host *Host
}

// camel turns a plugin name ("postgres", "s3", "http-poller") into a class name part
// ("Postgres", "S3", "HttpPoller").
func camel(name string) string {
	var b strings.Builder
	upper := true
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
		}
		upper = false
		b.WriteRune(r)
	}
	return b.String()
}

// Registrations are the plugins.Registry entries of the plugin: a source connector when it
// has a source, a sink connector when it has a destination. The SDK gives every source and
// destination its own sdk.* parameters, so a side without parameters is a side the plugin lacks.
func (p *Plugin) Registrations() []*plugins.Plugin {
	base := classPrefix + camel(p.Spec.Name)
	version := p.Spec.Version
	var out []*plugins.Plugin
	if len(p.Spec.SourceParams) > 0 {
		out = append(out, &plugins.Plugin{Class: base + "SourceConnector", Kind: plugins.KindSource, TaskClass: base + "SourceTask", Version: version, StopWhenPaused: true,
			NewConnector: func() connect.Connector {
				return &connector{p: p, class: base + "SourceConnector", source: true, params: p.Spec.SourceParams}
			},
			NewSourceTask: func() connect.SourceTask { return &sourceTask{p: p} }})
	}
	if len(p.Spec.DestinationParams) > 0 {
		out = append(out, &plugins.Plugin{Class: base + "SinkConnector", Kind: plugins.KindSink, TaskClass: base + "SinkTask", Version: version, StopWhenPaused: true,
			NewConnector: func() connect.Connector {
				return &connector{p: p, class: base + "SinkConnector", params: p.Spec.DestinationParams}
			},
			NewSinkTask: func() connect.SinkTask { return &sinkTask{p: p} }})
	}
	return out
}

// logger is the logger of a task's plugin process.
func (p *Plugin) logger(connectorName string, task int) *slog.Logger {
	return p.host.logger.With("connector", connectorName, "task", task, "plugin", p.Spec.Name)
}

// connectorID is the id a task's plugin process is given (Conduit's connector id).
func connectorID(connectorName string, task int) string {
	return fmt.Sprintf("%s-%d", connectorName, task)
}
