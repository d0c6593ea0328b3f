package transforms

import (
	"regexp"
	"strings"

	"github.com/connectd/connectd/connect"
)

// values are a transform's parsed config values.
type values map[string]any

// parse checks config against def with Kafka Connect's messages and returns the parsed values,
// defaults included; the first error wins, as Kafka's AbstractConfig throws on the first.
func parse(def *connect.ConfigDef, config map[string]string) (values, error) {
	if v, ok := config["field.syntax.version"]; ok && strings.EqualFold(strings.TrimSpace(v), "V2") {
		if _, defined := def.Key("field.syntax.version"); !defined {
			// Nested paths would otherwise be read as top-level names without a word.
			return nil, invalid("field.syntax.version", v, "connectd supports nested field paths (V2) only in ExtractField")
		}
	}
	raw := make(map[string]*string, len(config))
	for k, v := range config {
		raw[k] = &v
	}
	out := values{}
	for i, cv := range def.Validate(raw) {
		if len(cv.Errors) > 0 {
			return nil, &ConfigError{Message: cv.Errors[0]}
		}
		k := def.Keys()[i]
		if cv.Value == nil {
			continue
		}
		v, err := k.Parse(*cv.Value)
		if err != nil {
			return nil, &ConfigError{Message: err.Error()}
		}
		out[k.Name] = v
	}
	return out, nil
}

func (v values) str(name string) string {
	s, _ := v[name].(string)
	return s
}

func (v values) list(name string) []string {
	l, _ := v[name].([]string)
	return l
}

func (v values) boolean(name string) bool {
	b, _ := v[name].(bool)
	return b
}

func (v values) has(name string) bool {
	_, ok := v[name]
	return ok
}

// validRegex is Kafka's RegexValidator.
func validRegex(v any) string {
	if _, err := regexp.Compile(v.(string)); err != nil {
		return "Invalid regex: " + err.Error()
	}
	return ""
}

// anchored compiles a regex that must match the whole input, as Java's Matcher.matches does.
func anchored(re string) (*regexp.Regexp, error) {
	return regexp.Compile("^(?:" + re + ")$")
}

// nonEmptyList is Kafka's NonEmptyListValidator.
func nonEmptyList(v any) string {
	if len(v.([]string)) == 0 {
		return "Empty list"
	}
	return ""
}

// replaceNullWithDefault is the key several transforms share (KIP-1040).
func replaceNullWithDefault() connect.ConfigKey {
	return connect.ConfigKey{Name: "replace.null.with.default", Type: connect.TypeBoolean, Default: "true", Importance: connect.Medium,
		Documentation: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used."}
}
