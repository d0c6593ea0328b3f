package transforms

import (
	"github.com/connectd/connectd/connect"
)

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
	out := r.newStruct(newSchema)
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
