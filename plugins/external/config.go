package external

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	cconfig "github.com/conduitio/conduit-commons/config"

	"github.com/connectd/connectd/connect"
)

// frameworkKeys are Kafka Connect's own connector and task keys: connectd acts on them and
// never passes them to a plugin.
var frameworkKeys = map[string]bool{
	"name": true, "connector.class": true, "tasks.max": true, "tasks.max.enforce": true, "task.class": true,
	"key.converter": true, "value.converter": true, "header.converter": true, "config.action.reload": true,
	"topic": true, "topics": true, "topics.regex": true, "transforms": true, "predicates": true,
	"exactly.once.support": true, "transaction.boundary": true, "transaction.boundary.interval.ms": true,
	"offsets.storage.topic": true,
}

// frameworkPrefixes are the prefixes of Kafka Connect's own key families.
var frameworkPrefixes = []string{
	"key.converter.", "value.converter.", "header.converter.", "transforms.", "predicates.", "errors.",
	"topic.creation.", "producer.override.", "consumer.override.", "admin.override.", "restart.",
}

// isFrameworkKey reports whether a config key is Kafka Connect's rather than the plugin's.
func isFrameworkKey(key string) bool {
	if frameworkKeys[key] {
		return true
	}
	for _, p := range frameworkPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// pluginConfig is the part of a connector or task config that belongs to the plugin.
func pluginConfig(config map[string]string) cconfig.Config {
	out := cconfig.Config{}
	for k, v := range config {
		if !isFrameworkKey(k) {
			out[k] = v
		}
	}
	return out
}

// configDef describes a plugin's parameters as Kafka Connect keys, sorted by name: the type
// and validations the plugin declares become the key's validator, so validate reports them
// per key.
func configDef(params cconfig.Parameters) *connect.ConfigDef {
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	sort.Strings(names)
	def := connect.NewConfigDef()
	for _, n := range names {
		p := params[n]
		k := connect.ConfigKey{Name: n, Type: connect.TypeString, Documentation: p.Description, Importance: connect.Medium,
			Validator: paramValidator(p)}
		for _, v := range p.Validations {
			// The SDK applies defaults before it validates, and a pattern's rule applies to
			// each key it matches, not to the pattern.
			if _, ok := v.(cconfig.ValidationRequired); ok && p.Default == "" && !strings.Contains(n, "*") {
				k.Required, k.Importance = true, connect.High
			}
			if in, ok := v.(cconfig.ValidationInclusion); ok {
				k.Recommended = in.List
			}
		}
		if !k.Required {
			if p.Default == "" {
				k.NullDefault = true
			} else {
				k.Default = p.Default
			}
		}
		def.Define(k)
	}
	return def
}

// paramValidator checks a value as the plugin's SDK will: its type, then its validations.
func paramValidator(p cconfig.Parameter) connect.ValidatorFunc {
	return func(v any) string {
		s, _ := v.(string)
		if s == "" {
			return ""
		}
		if reason := checkType(p.Type, s); reason != "" {
			return reason
		}
		var msgs []string
		for _, val := range p.Validations {
			if err := val.Validate(s); err != nil {
				msgs = append(msgs, validationMessage(err))
			}
		}
		return strings.Join(msgs, "; ")
	}
}

func checkType(t cconfig.ParameterType, s string) string {
	var err error
	switch t {
	case cconfig.ParameterTypeInt:
		_, err = strconv.Atoi(s)
	case cconfig.ParameterTypeFloat:
		_, err = strconv.ParseFloat(s, 64)
	case cconfig.ParameterTypeBool:
		_, err = strconv.ParseBool(s)
	case cconfig.ParameterTypeDuration:
		_, err = time.ParseDuration(s)
	default:
		return ""
	}
	if err != nil {
		return fmt.Sprintf("Invalid value %s: must be a %s", s, t)
	}
	return ""
}

// validationMessage drops the SDK's sentinel suffix, which repeats what the message says.
func validationMessage(err error) string {
	msg := err.Error()
	for e := err; e != nil; e = errors.Unwrap(e) {
		if u := errors.Unwrap(e); u != nil && strings.HasSuffix(msg, ": "+u.Error()) && errors.Unwrap(u) == nil {
			return strings.TrimSuffix(msg, ": "+u.Error())
		}
	}
	return msg
}

// unknownKeys reports every plugin-side key the plugin does not define: its SDK refuses them.
func unknownKeys(config map[string]string, params cconfig.Parameters) []connect.ConfigValue {
	var out []connect.ConfigValue
	for k, v := range pluginConfig(config) {
		if _, ok := params[k]; ok || matchesWildcard(k, params) {
			continue
		}
		out = append(out, connect.ConfigValue{Name: k, Value: &v, Visible: true,
			Errors: []string{fmt.Sprintf("Unknown configuration %q: the plugin does not define it", k)}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// matchesWildcard reports whether key matches a parameter pattern, where each "*" stands for
// one or more characters.
func matchesWildcard(key string, params cconfig.Parameters) bool {
	for pattern := range params {
		if !strings.Contains(pattern, "*") {
			continue
		}
		parts := strings.Split(pattern, "*")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		if regexp.MustCompile("^" + strings.Join(parts, ".+") + "$").MatchString(key) {
			return true
		}
	}
	return false
}
