package transforms

import (
	"fmt"
	"strings"

	"github.com/connectd/connectd/connect"
)

// Validate checks a connector config's transforms and predicates as Kafka Connect's
// ConnectorConfig.enrich does: for each alias a required type key, the implicit predicate and
// negate keys of a transform, and the plugin's own keys under the alias's prefix, all in the
// group "Transforms: <alias>" or "Predicates: <alias>". keys[i] is the definition of vals[i].
func Validate(raw map[string]*string) (keys []connect.ConfigKey, vals []connect.ConfigValue) {
	predicates := map[string]bool{}
	if v := raw["predicates"]; v != nil {
		for _, a := range connect.SplitList(*v) {
			predicates[a] = true
		}
	}
	for _, kind := range []string{"transforms", "predicates"} {
		v := raw[kind]
		if v == nil {
			continue
		}
		for _, alias := range uniqueAliases(*v) {
			k, cv := validateAlias(raw, kind, alias, predicates)
			keys = append(keys, k...)
			vals = append(vals, cv...)
		}
	}
	return keys, vals
}

func validateAlias(raw map[string]*string, kind, alias string, predicates map[string]bool) ([]connect.ConfigKey, []connect.ConfigValue) {
	prefix := kind + "." + alias + "."
	isPred := kind == "predicates"
	noun, group, display := "transformation", "Transforms: "+alias, "Transformation type for "+alias
	if isPred {
		noun, group, display = "predicate", "Predicates: "+alias, "Predicate type for "+alias
	}
	// Kafka recommends every installed class of the kind.
	var classes []string
	for _, p := range Plugins() {
		if p.Predicate == isPred {
			classes = append(classes, p.Class)
		}
	}
	typeKey := connect.ConfigKey{Name: prefix + "type", Type: connect.TypeClass, Required: true, Importance: connect.High,
		Documentation: fmt.Sprintf("Class for the '%s' %s.", alias, noun), Group: group, Width: connect.WidthLong, DisplayName: display,
		Recommended: classes}
	def := connect.NewConfigDef().Define(typeKey)
	order := 1
	if !isPred {
		def.Define(connect.ConfigKey{Name: prefix + "predicate", Type: connect.TypeString, Default: "", Importance: connect.Medium,
			Documentation: "The alias of a predicate used to determine whether to apply this transformation.", Group: group, OrderInGroup: 1})
		def.Define(connect.ConfigKey{Name: prefix + "negate", Type: connect.TypeBoolean, Default: "false", Importance: connect.Medium,
			Documentation: "Whether the configured predicate should be negated.", Group: group, OrderInGroup: 2})
		order = 3
	}
	var plugin Plugin
	var typeErr string
	typ := raw[prefix+"type"]
	if typ != nil {
		p, ok := Lookup(*typ)
		if ok && p.Predicate == isPred {
			plugin = p
			for _, k := range p.Config().Keys() {
				k.Name, k.Group, k.OrderInGroup = prefix+k.Name, group, order
				order++
				def.Define(k)
			}
		} else {
			typeErr = fmt.Sprintf("Invalid value %s for configuration %s: Class %s could not be found.", *typ, prefix+"type", *typ)
		}
	}
	vals := def.Validate(raw)
	if typeErr != "" {
		vals[0].Errors = append(vals[0].Errors, typeErr)
	}
	if !isPred {
		pred, negate := raw[prefix+"predicate"], raw[prefix+"negate"]
		if negate != nil && pred == nil {
			vals[0].Errors = append(vals[0].Errors, fmt.Sprintf("Config '%snegate' was provided but there is no config '%spredicate' defining a predicate to be negated.", prefix, prefix))
		}
		if pred != nil && *pred != "" && !predicates[strings.TrimSpace(*pred)] {
			vals[1].Errors = append(vals[1].Errors, fmt.Sprintf("Invalid value %s for configuration %spredicate: No predicate is defined with this alias in 'predicates'", *pred, prefix))
		}
	}
	errs := 0
	for _, v := range vals {
		errs += len(v.Errors)
	}
	if plugin.Class != "" && errs == 0 {
		// The keys parse; what only configuring the plugin finds (a bad rename, a Cast spec)
		// is reported on its type, since Kafka would fail the task with it.
		sub := map[string]string{}
		for k, v := range raw {
			if rest, ok := strings.CutPrefix(k, prefix); ok && v != nil && rest != "type" && rest != "predicate" && rest != "negate" {
				sub[rest] = *v
			}
		}
		var err error
		if isPred {
			err = plugin.NewPredicate().Configure(sub)
		} else {
			err = plugin.NewTransformation().Configure(sub)
		}
		if err != nil {
			vals[0].Errors = append(vals[0].Errors, err.Error())
		}
	}
	return def.Keys(), vals
}
