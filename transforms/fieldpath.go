package transforms

import (
	"strings"

	"github.com/connectd/connectd/connect"
)

// fieldSyntaxVersion is KIP-821's key: V1 names a top-level field, V2 a dotted path into nested
// maps and structs, with backticks around a name that contains dots.
func fieldSyntaxVersion() connect.ConfigKey {
	return connect.ConfigKey{Name: "field.syntax.version", Type: connect.TypeString, Default: "V1", Validator: connect.OneOfIgnoreCase("V1", "V2"),
		Importance: connect.High, Documentation: "Defines the version of the syntax to access fields. If set to `V1`, then the field paths are limited to access the elements at the root level of the struct or map. " +
			"If set to `V2`, the syntax will support accessing nested elements. To access nested elements, dotted notation is used. If dots are already included in the field name, then backtick pairs can be used to wrap field names containing dots. " +
			"E.g. to access the subfield `baz` from a field named \"foo.bar\" in a struct/map the following format can be used to access its elements: \"`foo.bar`.baz\"."}
}

// fieldPath is a parsed field name: one step under V1, the path's steps under V2.
type fieldPath []string

func parseFieldPath(field, version string) fieldPath {
	if !strings.EqualFold(version, "V2") {
		return fieldPath{field}
	}
	var steps []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(field); i++ {
		c := field[i]
		switch {
		case c == '`' && !quoted && cur.Len() == 0:
			quoted = true
		case c == '`' && quoted && (i+1 == len(field) || field[i+1] == '.'):
			quoted = false
		case c == '.' && !quoted:
			steps = append(steps, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(steps, cur.String())
}

func (p fieldPath) String() string { return strings.Join(p, ".") }

// valueFrom walks maps; a missing step is null.
func (p fieldPath) valueFrom(m map[string]any) any {
	var v any = m
	for _, step := range p {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[step]
	}
	return v
}

// fieldFrom walks struct schemas to the field's schema.
func (p fieldPath) fieldFrom(s *connect.Schema) (*connect.Schema, bool) {
	for _, step := range p {
		if s == nil || s.Type != connect.Struct {
			return nil, false
		}
		f, ok := s.Field(step)
		if !ok {
			return nil, false
		}
		s = f.Schema
	}
	return s, true
}

// structValue walks structs; a null struct on the way is null.
func (p fieldPath) structValue(s *connect.StructValue, replaceNull bool) any {
	var v any = s
	for _, step := range p {
		st, ok := v.(*connect.StructValue)
		if !ok || st == nil {
			return nil
		}
		v = fieldValue(st, step, replaceNull)
	}
	return v
}
