package plugins

import (
	"fmt"

	"github.com/connectd/connectd/connect"
)

// SimpleHeaderConverter is Kafka's default header converter: a header value is written as its
// text (Values.convertToString) and read back with the schema that text suggests
// (Values.parseString), so 42 comes back an INT8 and "true" a BOOLEAN.
type SimpleHeaderConverter struct{}

// Configure implements connect.HeaderConverter.
func (SimpleHeaderConverter) Configure(map[string]string) error { return nil }

// FromConnectHeader implements connect.HeaderConverter.
func (SimpleHeaderConverter) FromConnectHeader(_, _ string, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	return []byte(connect.ValueString(schema, value)), nil
}

// ToConnectHeader implements connect.HeaderConverter.
func (SimpleHeaderConverter) ToConnectHeader(_, _ string, data []byte) (*connect.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	schema, value := connect.ParseString(string(data))
	return schema, value, nil
}

// headerConverter lets a value converter serve as a header converter, as Kafka's
// StringConverter, ByteArrayConverter and primitive converters do.
type headerConverter struct {
	conv connect.Converter
}

// Configure implements connect.HeaderConverter: a header converter is configured as a value
// converter.
func (h headerConverter) Configure(config map[string]string) error {
	return h.conv.Configure(config, false)
}

// FromConnectHeader implements connect.HeaderConverter.
func (h headerConverter) FromConnectHeader(topic, _ string, schema *connect.Schema, value any) ([]byte, error) {
	return h.conv.FromConnectData(topic, schema, value)
}

// ToConnectHeader implements connect.HeaderConverter.
func (h headerConverter) ToConnectHeader(topic, _ string, data []byte) (*connect.Schema, any, error) {
	return h.conv.ToConnectData(topic, data)
}

// NewHeaderConverter instantiates and configures the header converter a class names; an empty
// name is Kafka's default, SimpleHeaderConverter.
func (r *Registry) NewHeaderConverter(class string, config map[string]string) (connect.HeaderConverter, error) {
	if class == "" {
		class = "org.apache.kafka.connect.storage.SimpleHeaderConverter"
	}
	p, ok := r.Lookup(class)
	if !ok || !p.IsHeaderConverter() {
		return nil, fmt.Errorf("Class %s could not be found.", class)
	}
	var c connect.HeaderConverter = SimpleHeaderConverter{}
	if p.NewConverter != nil {
		c = headerConverter{p.NewConverter()}
	}
	if err := c.Configure(config); err != nil {
		return nil, err
	}
	return c, nil
}

// IsHeaderConverter reports whether the plugin can convert headers.
func (p *Plugin) IsHeaderConverter() bool {
	return p.Kind == KindHeaderConverter || p.HeaderConverter
}
