package external

import (
	"maps"

	cconfig "github.com/conduitio/conduit-commons/config"

	"github.com/connectd/connectd/connect"
)

// connector is the Kafka Connect side of a plugin source or destination. A plugin source or
// destination is one stream, so it makes one task whatever tasks.max allows. Its start runs the
// plugin's lifecycle hook when the connector is new or its parameters changed (lifecycle.go).
type connector struct {
	p      *Plugin
	class  string
	source bool
	params cconfig.Parameters
	config map[string]string
}

func (c *connector) Version() string { return c.p.Spec.Version }

func (c *connector) Start(_ connect.ConnectorContext, config map[string]string) error {
	c.config = maps.Clone(config)
	return c.connectorStarted(config)
}

func (c *connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	if maxTasks < 1 {
		return nil, nil
	}
	return []map[string]string{maps.Clone(c.config)}, nil
}

func (c *connector) Stop() error { return nil }

func (c *connector) Config() *connect.ConfigDef { return configDef(c.params) }

// Validate implements connect.Validator: keys the plugin does not define are errors, as its
// SDK refuses them.
func (c *connector) Validate(config map[string]string) []connect.ConfigValue {
	return unknownKeys(config, c.params)
}
