package connect

import "strings"

// ConfigInfos is the validation result the REST API returns.
type ConfigInfos struct {
	Name       string       `json:"name"`
	ErrorCount int          `json:"error_count"`
	Groups     []string     `json:"groups"`
	Configs    []ConfigInfo `json:"configs"`
}

// ConfigInfo pairs a key's definition with its validated value.
type ConfigInfo struct {
	Definition *ConfigKeyInfo   `json:"definition"`
	Value      *ConfigValueInfo `json:"value"`
}

// ConfigKeyInfo is a key's definition as the REST API shows it.
type ConfigKeyInfo struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	DefaultValue  *string  `json:"default_value"`
	Importance    string   `json:"importance"`
	Documentation string   `json:"documentation"`
	Group         *string  `json:"group"`
	Order         int      `json:"order"`
	Width         string   `json:"width"`
	DisplayName   string   `json:"display_name"`
	Dependents    []string `json:"dependents"`
}

// ConfigValueInfo is a key's validated value as the REST API shows it.
type ConfigValueInfo struct {
	Name              string   `json:"name"`
	Value             *string  `json:"value"`
	RecommendedValues []string `json:"recommended_values"`
	Errors            []string `json:"errors"`
	Visible           bool     `json:"visible"`
}

// PluginInfo describes an installed plugin.
type PluginInfo struct {
	Class   string `json:"class"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

// Info renders a key definition for the REST API.
func (k ConfigKey) Info() ConfigKeyInfo {
	info := ConfigKeyInfo{Name: k.Name, Type: string(k.Type), Required: k.Required, Importance: k.Importance,
		Documentation: k.Documentation, Order: k.OrderInGroup, Width: k.Width, DisplayName: k.DisplayName,
		Dependents: k.Dependents}
	if info.Dependents == nil {
		info.Dependents = []string{}
	}
	if k.Group != "" {
		g := k.Group
		info.Group = &g
	}
	if !k.Required && !k.NullDefault {
		def := k.Default
		if k.Type == TypePassword && def != "" {
			def = "[hidden]"
		}
		if k.Type == TypeList {
			def = strings.Join(SplitList(def), ",")
		}
		info.DefaultValue = &def
	}
	return info
}

// Info renders a validated value for the REST API.
func (v ConfigValue) Info(t ConfigType) ConfigValueInfo {
	info := ConfigValueInfo(v)
	if info.RecommendedValues == nil {
		info.RecommendedValues = []string{}
	}
	if info.Errors == nil {
		info.Errors = []string{}
	}
	if t == TypePassword && v.Value != nil {
		hidden := "[hidden]"
		info.Value = &hidden
	}
	return info
}
