package transforms

import (
	"math/big"
	"strconv"
	"strings"
	"time"

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
	out := connect.NewStruct(newSchema)
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

// MaskField replaces fields with their type's empty value or a replacement.
type MaskField struct {
	side
	fields      map[string]bool
	replacement *string
	replaceNull bool
}

// Config implements Transformation.
func (*MaskField) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "fields", Type: connect.TypeList, Required: true, Validator: nonEmptyList, Importance: connect.High,
			Documentation: "Names of fields to mask."}).
		Define(connect.ConfigKey{Name: "replacement", Type: connect.TypeString, NullDefault: true, Validator: connect.NonEmptyString, Importance: connect.Low,
			Documentation: "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only)."}).
		Define(replaceNullWithDefault())
}

// Configure implements Transformation.
func (t *MaskField) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	t.fields = map[string]bool{}
	for _, f := range v.list("fields") {
		t.fields[f] = true
	}
	if v.has("replacement") {
		s := v.str("replacement")
		t.replacement = &s
	}
	t.replaceNull = v.boolean("replace.null.with.default")
	return nil
}

// Apply implements Transformation.
func (t *MaskField) Apply(r *Record) (bool, error) {
	const purpose = "mask fields"
	schema, value := t.get(r)
	if value == nil {
		return true, nil
	}
	if schema == nil {
		m, err := requireMap(value, purpose)
		if err != nil {
			return false, err
		}
		out := copyMap(m, 0)
		for f := range t.fields {
			if v, ok := m[f]; ok {
				if out[f], err = t.masked(v); err != nil {
					return false, err
				}
			}
		}
		t.set(r, nil, out)
		return true, nil
	}
	s, err := requireStruct(value, purpose)
	if err != nil {
		return false, err
	}
	out := connect.NewStruct(schema)
	for _, f := range schema.Fields {
		v := fieldValue(s, f.Name, t.replaceNull)
		if t.fields[f.Name] {
			if v, err = t.maskedOf(f.Schema, v); err != nil {
				return false, err
			}
		}
		_, _ = out.Put(f.Name, v)
	}
	t.set(r, schema, out)
	return true, nil
}

// maskedOf masks a struct field by its schema type, so a null field gets its type's mask too.
func (t *MaskField) maskedOf(s *connect.Schema, v any) (any, error) {
	if v != nil {
		return t.masked(v)
	}
	switch s.Type {
	case connect.Int8:
		return t.masked(int8(0))
	case connect.Int16:
		return t.masked(int16(0))
	case connect.Int32:
		return t.masked(int32(0))
	case connect.Int64:
		return t.masked(int64(0))
	case connect.Float32:
		return t.masked(float32(0))
	case connect.Float64:
		return t.masked(float64(0))
	case connect.Boolean:
		return t.masked(false)
	case connect.String:
		return t.masked("")
	case connect.Array:
		return t.masked([]any{})
	case connect.Map:
		return t.masked(map[string]any{})
	}
	return nil, nil
}

func (t *MaskField) masked(v any) (any, error) {
	if t.replacement == nil {
		switch v.(type) {
		case bool:
			return false, nil
		case int8:
			return int8(0), nil
		case int16:
			return int16(0), nil
		case int32:
			return int32(0), nil
		case int64:
			return int64(0), nil
		case int:
			return 0, nil
		case float32:
			return float32(0), nil
		case float64:
			return float64(0), nil
		case *big.Float:
			return new(big.Float), nil
		case string:
			return "", nil
		case time.Time:
			return time.UnixMilli(0).UTC(), nil
		case []any:
			return []any{}, nil
		case map[string]any:
			return map[string]any{}, nil
		}
		return nil, dataErrorf("Cannot mask value of type: %s", className(v))
	}
	rep := *t.replacement
	num := func(bits int) (int64, error) {
		n, err := strconv.ParseInt(rep, 10, bits)
		if err != nil {
			return 0, dataErrorf("Unable to convert %s (java.lang.String) to number", rep)
		}
		return n, nil
	}
	switch v.(type) {
	case string:
		return rep, nil
	case int8:
		n, err := num(8)
		return int8(n), err
	case int16:
		n, err := num(16)
		return int16(n), err
	case int32:
		n, err := num(32)
		return int32(n), err
	case int64, int:
		return num(64)
	case float32, float64, *big.Float:
		f, err := strconv.ParseFloat(rep, 64)
		if err != nil {
			return nil, dataErrorf("Unable to convert %s (java.lang.String) to number", rep)
		}
		if _, ok := v.(float32); ok {
			return float32(f), nil
		}
		if _, ok := v.(*big.Float); ok {
			return big.NewFloat(f), nil
		}
		return f, nil
	}
	return nil, dataErrorf("Cannot mask value of type %s with custom replacement.", className(v))
}

// Flatten flattens nested structs or maps into one level, joining names with the delimiter.
type Flatten struct {
	side
	delimiter string
	cache     schemaCache
}

// Config implements Transformation.
func (*Flatten) Config() *connect.ConfigDef {
	return connect.NewConfigDef().Define(connect.ConfigKey{Name: "delimiter", Type: connect.TypeString, Default: ".", Importance: connect.Medium,
		Documentation: "Delimiter to insert between field names from the input record when generating field names for the output record"})
}

// Configure implements Transformation.
func (t *Flatten) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	t.delimiter = v.str("delimiter")
	return nil
}

// Apply implements Transformation.
func (t *Flatten) Apply(r *Record) (bool, error) {
	schema, value := t.get(r)
	if value == nil {
		return true, nil
	}
	if schema == nil {
		m, err := requireMap(value, "flattening")
		if err != nil {
			return false, err
		}
		out := map[string]any{}
		t.flattenMap(m, "", out)
		t.set(r, nil, out)
		return true, nil
	}
	s, err := requireStruct(value, "flattening")
	if err != nil {
		return false, err
	}
	newSchema, _ := t.cache.get(schema, func(in *connect.Schema) (*connect.Schema, error) {
		out := in.CopyBasics()
		t.flattenSchema(in, "", in.Optional, out)
		return out, nil
	})
	out := connect.NewStruct(newSchema)
	t.flattenStruct(s, "", out)
	t.set(r, newSchema, out)
	return true, nil
}

func (t *Flatten) name(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + t.delimiter + field
}

func (t *Flatten) flattenMap(m map[string]any, prefix string, out map[string]any) {
	for k, v := range m {
		if nested, ok := v.(map[string]any); ok {
			t.flattenMap(nested, t.name(prefix, k), out)
			continue
		}
		out[t.name(prefix, k)] = v
	}
}

func (t *Flatten) flattenSchema(s *connect.Schema, prefix string, optional bool, out *connect.Schema) {
	for _, f := range s.Fields {
		name := t.name(prefix, f.Name)
		if f.Schema.Type == connect.Struct {
			t.flattenSchema(f.Schema, name, optional || f.Schema.Optional, out)
			continue
		}
		fs := f.Schema
		if optional {
			fs = fs.AsOptional()
		}
		out.AddField(name, fs)
	}
}

func (t *Flatten) flattenStruct(s *connect.StructValue, prefix string, out *connect.StructValue) {
	for _, f := range s.Schema.Fields {
		name := t.name(prefix, f.Name)
		v := s.Get(f.Name)
		if f.Schema.Type == connect.Struct {
			nested, _ := v.(*connect.StructValue)
			if nested == nil {
				nested = connect.NewStruct(f.Schema)
			}
			t.flattenStruct(nested, name, out)
			continue
		}
		_, _ = out.Put(name, v)
	}
}
