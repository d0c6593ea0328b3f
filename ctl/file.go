package ctl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/magiconair/properties"
)

// ParseConnectorFile reads a connector definition for apply: JSON as POST /connectors takes it
// ({"name":..., "config":{...}}), a flat JSON config with a "name" key, or a .properties file
// with a name key. Values may be JSON strings, numbers or booleans.
func ParseConnectorFile(data []byte) (name string, config map[string]string, err error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return "", nil, errors.New("the file is empty")
	}
	if trimmed[0] == '{' {
		config, err = parseJSONConfig(trimmed)
	} else {
		var p *properties.Properties
		// Values are taken as written: ${...} is for the worker's config providers to expand.
		loader := &properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
		if p, err = loader.LoadBytes(trimmed); err == nil {
			config = map[string]string{}
			for _, k := range p.Keys() {
				config[k], _ = p.Get(k)
			}
		}
	}
	if err != nil {
		return "", nil, err
	}
	name = config["name"]
	if name == "" {
		return "", nil, errors.New(`the connector has no "name"`)
	}
	return name, config, nil
}

func parseJSONConfig(data []byte) (map[string]string, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	raw := doc
	if nested, ok := doc["config"]; ok {
		raw = nil
		if err := json.Unmarshal(nested, &raw); err != nil || raw == nil {
			return nil, errors.New(`"config" must be a JSON object`)
		}
		if n, ok := doc["name"]; ok {
			if _, has := raw["name"]; !has {
				raw["name"] = n
			}
		}
	}
	config := make(map[string]string, len(raw))
	for k, v := range raw {
		var val any
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&val); err != nil {
			return nil, err
		}
		switch x := val.(type) {
		case string:
			config[k] = x
		case json.Number:
			config[k] = x.String()
		case bool:
			config[k] = fmt.Sprint(x)
		default:
			return nil, fmt.Errorf("the value of %q must be a string, number or boolean", k)
		}
	}
	return config, nil
}
