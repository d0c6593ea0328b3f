package transforms

import (
	"strings"

	"github.com/connectd/connectd/connect"
)

// ReplaceField drops (exclude), keeps (include) and renames fields of the key or value.
type ReplaceField struct {
	side
	exclude, include map[string]bool
	renames, reverse map[string]string
	replaceNull      bool
	cache            schemaCache
}

// Config implements Transformation.
func (*ReplaceField) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "exclude", Type: connect.TypeList, Default: "", Importance: connect.Medium,
			Documentation: "Fields to exclude. This takes precedence over the fields to include."}).
		Define(connect.ConfigKey{Name: "include", Type: connect.TypeList, Default: "", Importance: connect.Medium,
			Documentation: "Fields to include. If specified, only these fields will be used."}).
		Define(connect.ConfigKey{Name: "renames", Type: connect.TypeList, Default: "", Importance: connect.Medium,
			Validator: func(v any) string {
				if _, err := parseRenames(v.([]string)); err != "" {
					return err
				}
				return ""
			},
			Documentation: "Field rename mappings."}).
		Define(connect.ConfigKey{Name: "blacklist", Type: connect.TypeList, NullDefault: true, Importance: connect.Low, Documentation: "Deprecated. Use exclude instead."}).
		Define(connect.ConfigKey{Name: "whitelist", Type: connect.TypeList, NullDefault: true, Importance: connect.Low, Documentation: "Deprecated. Use include instead."}).
		Define(replaceNullWithDefault())
}

func parseRenames(list []string) (map[string]string, string) {
	out := map[string]string{}
	for _, m := range list {
		from, to, ok := strings.Cut(m, ":")
		if !ok || strings.Contains(to, ":") {
			return nil, "Invalid rename mapping: " + m
		}
		out[from] = to
	}
	return out, ""
}

// Configure implements Transformation.
func (t *ReplaceField) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	set := func(names ...[]string) map[string]bool {
		out := map[string]bool{}
		for _, l := range names {
			for _, n := range l {
				out[n] = true
			}
		}
		return out
	}
	t.exclude = set(v.list("exclude"), v.list("blacklist"))
	t.include = set(v.list("include"), v.list("whitelist"))
	t.renames, _ = parseRenames(v.list("renames"))
	t.reverse = map[string]string{}
	for from, to := range t.renames {
		t.reverse[to] = from
	}
	t.replaceNull = v.boolean("replace.null.with.default")
	return nil
}

func (t *ReplaceField) keep(name string) bool {
	return !t.exclude[name] && (len(t.include) == 0 || t.include[name])
}

func (t *ReplaceField) rename(name string) string {
	if to, ok := t.renames[name]; ok {
		return to
	}
	return name
}

// Apply implements Transformation.
func (t *ReplaceField) Apply(r *Record) (bool, error) {
	const purpose = "field replacement"
	schema, value := t.get(r)
	if value == nil {
		return true, nil
	}
	if schema == nil {
		m, err := requireMap(value, purpose)
		if err != nil {
			return false, err
		}
		out := make(map[string]any, len(m))
		for k, v := range m {
			if t.keep(k) {
				out[t.rename(k)] = v
			}
		}
		t.set(r, nil, out)
		return true, nil
	}
	s, err := requireStruct(value, purpose)
	if err != nil {
		return false, err
	}
	newSchema, _ := t.cache.get(schema, func(in *connect.Schema) (*connect.Schema, error) {
		out := in.CopyBasics()
		for _, f := range in.Fields {
			if t.keep(f.Name) {
				out.AddField(t.rename(f.Name), f.Schema)
			}
		}
		return out, nil
	})
	out := r.newStruct(newSchema)
	for _, f := range newSchema.Fields {
		from := f.Name
		if orig, ok := t.reverse[f.Name]; ok {
			from = orig
		}
		_, _ = out.Put(f.Name, fieldValue(s, from, t.replaceNull))
	}
	t.set(r, newSchema, out)
	return true, nil
}
