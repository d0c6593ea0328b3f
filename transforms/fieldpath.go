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

// fieldPath is a parsed field name (Kafka's SingleFieldPath): one step under V1, the path's
// steps under V2. text is the name as configured, for messages.
type fieldPath struct {
	text  string
	steps []string
}

func parseFieldPath(field, version string) (fieldPath, error) {
	if !strings.EqualFold(version, "V2") {
		return fieldPath{text: field, steps: []string{field}}, nil
	}
	steps, err := splitFieldPathV2(field)
	return fieldPath{text: field, steps: steps}, err
}

// splitFieldPathV2 splits a V2 path at its dots. A step that starts with a backtick runs to the
// next backtick followed by a dot or ending the path, so it may contain dots; a backslash before
// such a backtick keeps it in the name. Other backticks are ordinary characters.
func splitFieldPathV2(path string) ([]string, error) {
	var steps []string
	i := 0
	for i < len(path) {
		if path[i] != '`' {
			dot := strings.IndexByte(path[i:], '.')
			if dot < 0 {
				steps = append(steps, path[i:])
				break
			}
			steps = append(steps, path[i:i+dot])
			i += dot + 1
			continue
		}
		open := i
		i++
		start := i
		var name strings.Builder
		for {
			next := strings.IndexByte(path[i:], '`')
			if next < 0 {
				return nil, incompleteBackticks(path, open)
			}
			i += next
			escaped := path[i-1] == '\\'
			if i == len(path)-1 {
				if escaped {
					return nil, incompleteBackticks(path, open)
				}
				name.WriteString(path[start:i])
				steps = append(steps, name.String())
				i++
				break
			}
			if path[i+1] != '.' {
				i++
				continue
			}
			if escaped {
				name.WriteString(path[start : i-1])
				name.WriteByte('`')
				i++
				start = i
				continue
			}
			name.WriteString(path[start:i])
			steps = append(steps, name.String())
			i += 2
			break
		}
	}
	if strings.HasSuffix(path, ".") {
		steps = append(steps, "")
	}
	return steps, nil
}

func incompleteBackticks(path string, at int) error {
	return configErrorf("Incomplete backtick pair in path: [%s], consider adding a backslash before backtick at position %d to escape it", path, at)
}

func (p fieldPath) String() string { return p.text }

// valueFrom walks maps; a missing step is null, a step that is not a map an error.
func (p fieldPath) valueFrom(m map[string]any) (any, error) {
	if len(p.steps) == 0 {
		return nil, nil
	}
	last := len(p.steps) - 1
	for _, step := range p.steps[:last] {
		next, err := requireMapOrNull(m[step], "nested field access")
		if err != nil || next == nil {
			return nil, err
		}
		m = next
	}
	return m[p.steps[last]], nil
}

// fieldFrom walks struct schemas to the field's schema.
func (p fieldPath) fieldFrom(s *connect.Schema) (*connect.Schema, bool) {
	if len(p.steps) == 0 {
		return nil, false
	}
	for _, step := range p.steps {
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
func (p fieldPath) structValue(s *connect.StructValue, replaceNull bool) (any, error) {
	var v any = s
	for _, step := range p.steps {
		st, err := requireStructOrNull(v, "nested field access")
		if err != nil || st == nil {
			return nil, err
		}
		v = fieldValue(st, step, replaceNull)
	}
	return v, nil
}
