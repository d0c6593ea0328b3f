package transforms

import (
	"math/big"
	"strconv"
	"time"

	"github.com/connectd/connectd/connect"
)

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
	out := r.newStruct(schema)
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
