package transforms

import (
	"github.com/connectd/connectd/connect"
)

// DropHeaders removes the headers with the configured names.
type DropHeaders struct {
	names map[string]bool
}

// Config implements Transformation.
func (*DropHeaders) Config() *connect.ConfigDef {
	return connect.NewConfigDef().Define(connect.ConfigKey{Name: "headers", Type: connect.TypeList, Required: true, Validator: nonEmptyList,
		Importance: connect.High, Documentation: "The name of the headers to be removed."})
}

// Configure implements Transformation.
func (t *DropHeaders) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	t.names = map[string]bool{}
	for _, n := range v.list("headers") {
		t.names[n] = true
	}
	return nil
}

// Apply implements Transformation.
func (t *DropHeaders) Apply(r *Record) (bool, error) {
	var kept []connect.Header
	for i, h := range r.Headers {
		if t.names[h.Key] {
			if kept == nil {
				kept = append(make([]connect.Header, 0, len(r.Headers)), r.Headers[:i]...)
			}
			continue
		}
		if kept != nil {
			kept = append(kept, h)
		}
	}
	if kept != nil {
		r.Headers = kept
	}
	return true, nil
}

// InsertHeader adds a header with a literal value, typed as Kafka's Values.parseString types it.
type InsertHeader struct {
	header string
	schema *connect.Schema
	value  any
}

// Config implements Transformation.
func (*InsertHeader) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "header", Type: connect.TypeString, Required: true, Importance: connect.High, Documentation: "The name of the header."}).
		Define(connect.ConfigKey{Name: "value.literal", Type: connect.TypeString, Required: true, Importance: connect.High,
			Documentation: "The literal value that is to be set as the header value on all records."})
}

// Configure implements Transformation.
func (t *InsertHeader) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	t.header = v.str("header")
	t.schema, t.value = connect.ParseString(v.str("value.literal"))
	return nil
}

// Apply implements Transformation.
func (t *InsertHeader) Apply(r *Record) (bool, error) {
	r.Headers = appendHeader(r.Headers, connect.Header{Key: t.header, Schema: t.schema, Value: t.value})
	return true, nil
}

// appendHeader appends to a copy: the record's slice may be the task's.
func appendHeader(hs []connect.Header, h connect.Header) []connect.Header {
	out := make([]connect.Header, len(hs), len(hs)+1)
	copy(out, hs)
	return append(out, h)
}

// HeaderFrom copies or moves fields of the key or value into headers.
type HeaderFrom struct {
	side
	fields, headers []string
	move            bool
	replaceNull     bool
	cache           schemaCache
}

// Config implements Transformation.
func (*HeaderFrom) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "fields", Type: connect.TypeList, Required: true, Validator: nonEmptyList, Importance: connect.High,
			Documentation: "Field names in the record whose values are to be copied or moved to headers."}).
		Define(connect.ConfigKey{Name: "headers", Type: connect.TypeList, Required: true, Validator: nonEmptyList, Importance: connect.High,
			Documentation: "Header names, in the same order as the field names listed in the fields configuration property."}).
		Define(connect.ConfigKey{Name: "operation", Type: connect.TypeString, Required: true, Validator: connect.OneOf("move", "copy"), Importance: connect.High,
			Documentation: "Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value)."}).
		Define(replaceNullWithDefault())
}

// Configure implements Transformation.
func (t *HeaderFrom) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	t.fields, t.headers = v.list("fields"), v.list("headers")
	if len(t.fields) != len(t.headers) {
		return configErrorf("'fields' config must have the same number of elements as 'headers' config.")
	}
	t.move = v.str("operation") == "move"
	t.replaceNull = v.boolean("replace.null.with.default")
	return nil
}

// Apply implements Transformation.
func (t *HeaderFrom) Apply(r *Record) (bool, error) {
	schema, value := t.get(r)
	if value == nil {
		return true, nil
	}
	headers := make([]connect.Header, len(r.Headers), len(r.Headers)+len(t.fields))
	copy(headers, r.Headers)
	if schema == nil {
		m, err := requireMap(value, "header "+t.operation())
		if err != nil {
			return false, err
		}
		for i, f := range t.fields {
			headers = append(headers, connect.Header{Key: t.headers[i], Value: m[f]})
		}
		if t.move {
			m = copyMap(m, 0)
			for _, f := range t.fields {
				delete(m, f)
			}
			t.set(r, nil, m)
		}
		r.Headers = headers
		return true, nil
	}
	s, err := requireStruct(value, "header "+t.operation())
	if err != nil {
		return false, err
	}
	for i, f := range t.fields {
		field, ok := schema.Field(f)
		if !ok {
			return false, dataErrorf("Field does not exist: %s", f)
		}
		headers = append(headers, connect.Header{Key: t.headers[i], Schema: field.Schema, Value: fieldValue(s, f, t.replaceNull)})
	}
	if t.move {
		moved := map[string]bool{}
		for _, f := range t.fields {
			moved[f] = true
		}
		newSchema, _ := t.cache.get(schema, func(in *connect.Schema) (*connect.Schema, error) {
			out := in.CopyBasics()
			for _, f := range in.Fields {
				if !moved[f.Name] {
					out.AddField(f.Name, f.Schema)
				}
			}
			return out, nil
		})
		out := r.newStruct(newSchema)
		for _, f := range newSchema.Fields {
			_, _ = out.Put(f.Name, fieldValue(s, f.Name, t.replaceNull))
		}
		t.set(r, newSchema, out)
	}
	r.Headers = headers
	return true, nil
}

func (t *HeaderFrom) operation() string {
	if t.move {
		return "move"
	}
	return "copy"
}
