package transforms

import (
	"sort"
	"strings"

	"github.com/connectd/connectd/connect"
)

// Plugin is one built-in transformation or predicate class.
type Plugin struct {
	Class string
	// Predicate marks a predicate; otherwise the plugin is a transformation.
	Predicate         bool
	NewTransformation func() Transformation
	NewPredicate      func() Predicate
}

const pkg = "org.apache.kafka.connect.transforms."

// builtins lists every plugin; a transform with key and value variants is two classes.
func builtins() []Plugin {
	var out []Plugin
	t := func(name string, f func() Transformation) {
		out = append(out, Plugin{Class: pkg + name, NewTransformation: f})
	}
	both := func(name string, f func(side) Transformation) {
		t(name+"$Key", func() Transformation { return f(keySide) })
		t(name+"$Value", func() Transformation { return f(valueSide) })
	}
	both("Cast", func(s side) Transformation { return &Cast{side: s} })
	t("DropHeaders", func() Transformation { return &DropHeaders{} })
	both("ExtractField", func(s side) Transformation { return &ExtractField{side: s} })
	t("Filter", func() Transformation { return Filter{} })
	both("Flatten", func(s side) Transformation { return &Flatten{side: s} })
	both("HeaderFrom", func(s side) Transformation { return &HeaderFrom{side: s} })
	both("HoistField", func(s side) Transformation { return &HoistField{side: s} })
	both("InsertField", func(s side) Transformation { return &InsertField{side: s} })
	t("InsertHeader", func() Transformation { return &InsertHeader{} })
	both("MaskField", func(s side) Transformation { return &MaskField{side: s} })
	t("RegexRouter", func() Transformation { return &RegexRouter{} })
	both("ReplaceField", func(s side) Transformation { return &ReplaceField{side: s} })
	both("SetSchemaMetadata", func(s side) Transformation { return &SetSchemaMetadata{side: s} })
	both("TimestampConverter", func(s side) Transformation { return &TimestampConverter{side: s} })
	t("TimestampRouter", func() Transformation { return &TimestampRouter{} })
	t("ValueToKey", func() Transformation { return &ValueToKey{} })
	p := func(name string, f func() Predicate) {
		out = append(out, Plugin{Class: pkg + "predicates." + name, Predicate: true, NewPredicate: f})
	}
	p("HasHeaderKey", func() Predicate { return &HasHeaderKey{} })
	p("RecordIsTombstone", func() Predicate { return RecordIsTombstone{} })
	p("TopicNameMatches", func() Predicate { return &TopicNameMatches{} })
	sort.Slice(out, func(i, j int) bool { return out[i].Class < out[j].Class })
	return out
}

var (
	all    = builtins()
	byName = aliases(all)
)

// aliases maps each plugin's class name and short names to it: the simple class name (Kafka's
// alias for a top-level class, "RegexRouter") and, for a key or value variant, the name with
// its outer class ("InsertField$Value"), which is unambiguous.
func aliases(plugins []Plugin) map[string]Plugin {
	out := map[string]Plugin{}
	for _, p := range plugins {
		out[p.Class] = p
		out[p.Class[strings.LastIndex(p.Class, ".")+1:]] = p
	}
	return out
}

// Plugins returns every built-in transformation and predicate, sorted by class.
func Plugins() []Plugin { return all }

// Lookup finds a plugin by class name or alias.
func Lookup(name string) (Plugin, bool) {
	p, ok := byName[strings.TrimSpace(name)]
	return p, ok
}

// Config returns the plugin's config definition.
func (p Plugin) Config() *connect.ConfigDef {
	if p.Predicate {
		return p.NewPredicate().Config()
	}
	return p.NewTransformation().Config()
}
