package connect

import (
	"fmt"
	"strconv"
	"strings"
)

// ConfigType is a config key's type, as Kafka Connect names it.
type ConfigType string

// Config types.
const (
	TypeBoolean  ConfigType = "BOOLEAN"
	TypeString   ConfigType = "STRING"
	TypeInt      ConfigType = "INT"
	TypeShort    ConfigType = "SHORT"
	TypeLong     ConfigType = "LONG"
	TypeDouble   ConfigType = "DOUBLE"
	TypeList     ConfigType = "LIST"
	TypeClass    ConfigType = "CLASS"
	TypePassword ConfigType = "PASSWORD"
)

// Importance and width of a key, for UIs.
const (
	High   = "HIGH"
	Medium = "MEDIUM"
	Low    = "LOW"

	WidthNone   = "NONE"
	WidthShort  = "SHORT"
	WidthMedium = "MEDIUM"
	WidthLong   = "LONG"
)

// ValidatorFunc checks a parsed value and returns the reason it is invalid, or "".
type ValidatorFunc func(value any) string

// ConfigKey defines one key (Kafka's ConfigDef.ConfigKey).
type ConfigKey struct {
	Name string
	Type ConfigType
	// Default is the default as a string; Required keys have none.
	Default  string
	Required bool
	// NullDefault marks an optional key whose default is null (absent), not a string.
	NullDefault   bool
	Validator     ValidatorFunc
	Importance    string
	Documentation string
	Group         string
	OrderInGroup  int
	Width         string
	DisplayName   string
	Dependents    []string
	// Recommended lists allowed values for UIs.
	Recommended []string
}

// ConfigDef is an ordered set of key definitions.
type ConfigDef struct {
	keys []ConfigKey
}

// NewConfigDef returns an empty definition.
func NewConfigDef() *ConfigDef { return &ConfigDef{} }

// Define adds a key; it returns the definition for chaining.
func (d *ConfigDef) Define(k ConfigKey) *ConfigDef {
	if k.Width == "" {
		k.Width = WidthNone
	}
	if k.Importance == "" {
		k.Importance = Medium
	}
	if k.DisplayName == "" {
		k.DisplayName = k.Name
	}
	d.keys = append(d.keys, k)
	return d
}

// Keys returns the keys in definition order.
func (d *ConfigDef) Keys() []ConfigKey {
	if d == nil {
		return nil
	}
	return d.keys
}

// Key returns a key's definition.
func (d *ConfigDef) Key(name string) (ConfigKey, bool) {
	for _, k := range d.Keys() {
		if k.Name == name {
			return k, true
		}
	}
	return ConfigKey{}, false
}

// ConfigValue is the result of validating one key.
type ConfigValue struct {
	Name              string
	Value             *string
	RecommendedValues []string
	Errors            []string
	Visible           bool
}

// NullValueMessage is Kafka Connect's error for a JSON null config value.
const NullValueMessage = "Null value can not be supplied as the configuration value."

// Validate checks raw values (nil = JSON null) against every defined key and returns one result
// per key, in definition order, with Kafka Connect's messages.
func (d *ConfigDef) Validate(raw map[string]*string) []ConfigValue {
	var out []ConfigValue
	for _, k := range d.Keys() {
		out = append(out, k.validate(raw))
	}
	return out
}

func (k ConfigKey) validate(raw map[string]*string) ConfigValue {
	cv := ConfigValue{Name: k.Name, Visible: true, RecommendedValues: k.Recommended}
	v, present := raw[k.Name]
	switch {
	case present && v == nil:
		cv.Errors = append(cv.Errors, NullValueMessage)
		return cv
	case !present && k.Required:
		cv.Errors = append(cv.Errors, fmt.Sprintf("Missing required configuration %q which has no default value.", k.Name))
		return cv
	case !present && k.NullDefault:
		return cv
	case !present:
		def := k.Default
		cv.Value = &def
		if def == "" {
			return cv
		}
		v = &def
	default:
		cv.Value = v
	}
	parsed, err := k.Parse(*v)
	if err != nil {
		cv.Errors = append(cv.Errors, err.Error())
		return cv
	}
	if k.Validator != nil {
		if reason := k.Validator(parsed); reason != "" {
			cv.Errors = append(cv.Errors, fmt.Sprintf("Invalid value %s for configuration %s: %s", display(parsed), k.Name, reason))
		}
	}
	return cv
}

// Parse converts a string value to the key's type with Kafka Connect's error messages.
func (k ConfigKey) Parse(v string) (any, error) {
	parsed, reason := ParseValue(k.Type, v)
	if reason != "" {
		return nil, fmt.Errorf("Invalid value %s for configuration %s: %s", v, k.Name, reason)
	}
	return parsed, nil
}

// ParseValue converts a string value to type t, as Kafka's ConfigDef.parseType does; when it
// cannot, reason is Kafka's explanation ("Not a number of type INT"). Every typed setting in
// connectd (connector, worker and client keys) is read through it.
func ParseValue(t ConfigType, v string) (parsed any, reason string) {
	trimmed := strings.TrimSpace(v)
	switch t {
	case TypeBoolean:
		switch strings.ToLower(trimmed) {
		case "true":
			return true, ""
		case "false":
			return false, ""
		}
		return nil, "Expected value to be either true or false"
	case TypeInt, TypeShort, TypeLong:
		n, err := strconv.ParseInt(trimmed, 10, bitSize[t])
		if err != nil {
			return nil, "Not a number of type " + string(t)
		}
		if t == TypeLong {
			return n, ""
		}
		return int(n), ""
	case TypeDouble:
		f, err := strconv.ParseFloat(trimmed, 64)
		if err != nil {
			return nil, "Not a number of type DOUBLE"
		}
		return f, ""
	case TypeList:
		return SplitList(trimmed), ""
	case TypePassword:
		return v, ""
	}
	return trimmed, ""
}

var bitSize = map[ConfigType]int{TypeShort: 16, TypeInt: 32, TypeLong: 64}

// SplitList parses a LIST value: comma separated, trimmed, empty for "".
func SplitList(v string) []string {
	out := []string{}
	if strings.TrimSpace(v) == "" {
		return out
	}
	for _, s := range strings.Split(v, ",") {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

func display(v any) string {
	if l, ok := v.([]string); ok {
		return strings.Join(l, ",")
	}
	return fmt.Sprint(v)
}

// AtLeast is Kafka's Range.atLeast.
func AtLeast(min int64) ValidatorFunc {
	return func(v any) string {
		if toInt64(v) < min {
			return fmt.Sprintf("Value must be at least %d", min)
		}
		return ""
	}
}

// Between is Kafka's Range.between.
func Between(min, max int64) ValidatorFunc {
	return func(v any) string {
		n := toInt64(v)
		if n < min {
			return fmt.Sprintf("Value must be at least %d", min)
		}
		if n > max {
			return fmt.Sprintf("Value must be no more than %d", max)
		}
		return ""
	}
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

// OneOf is Kafka's ValidString.in.
func OneOf(values ...string) ValidatorFunc {
	return func(v any) string {
		for _, x := range values {
			if v == x {
				return ""
			}
		}
		return "String must be one of: " + strings.Join(values, ", ")
	}
}

// OneOfIgnoreCase is Kafka's CaseInsensitiveValidString.in.
func OneOfIgnoreCase(values ...string) ValidatorFunc {
	return func(v any) string {
		s, _ := v.(string)
		for _, x := range values {
			if strings.EqualFold(s, x) {
				return ""
			}
		}
		return "String must be one of (case insensitive): " + strings.Join(values, ", ")
	}
}

// NonEmptyString is Kafka's NonEmptyString.
func NonEmptyString(v any) string {
	if s, _ := v.(string); s == "" {
		return "String may not be empty"
	}
	return ""
}

// NonEmptyStringWithoutControlChars is Kafka's validator of the same name.
func NonEmptyStringWithoutControlChars(v any) string {
	s, _ := v.(string)
	if s == "" {
		return "String may not be empty"
	}
	var codes []string
	for _, r := range s {
		if r <= 0x1f || (r >= 0x7f && r <= 0x9f) {
			codes = append(codes, strconv.Itoa(int(r)))
		}
	}
	if len(codes) > 0 {
		return "String may not contain control sequences but had the following ASCII chars: " + strings.Join(codes, ", ")
	}
	return ""
}
