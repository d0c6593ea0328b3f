package transforms

import (
	"strings"
	"time"

	"github.com/connectd/connectd/connect"
)

// ExtractField replaces the key or value with one of its fields.
type ExtractField struct {
	side
	field       fieldPath
	replaceNull bool
}

// Config implements Transformation.
func (*ExtractField) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "field", Type: connect.TypeString, Required: true, Importance: connect.Medium, Documentation: "Field name to extract."}).
		Define(replaceNullWithDefault()).
		Define(fieldSyntaxVersion())
}

// Configure implements Transformation.
func (t *ExtractField) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	t.replaceNull = v.boolean("replace.null.with.default")
	t.field, err = parseFieldPath(v.str("field"), v.str("field.syntax.version"))
	return err
}

// Apply implements Transformation.
func (t *ExtractField) Apply(r *Record) (bool, error) {
	const purpose = "field extraction"
	schema, value := t.get(r)
	if schema == nil {
		m, err := requireMapOrNull(value, purpose)
		if err != nil {
			return false, err
		}
		var out any
		if m != nil {
			if out, err = t.field.valueFrom(m); err != nil {
				return false, err
			}
		}
		t.set(r, nil, out)
		return true, nil
	}
	s, err := requireStructOrNull(value, purpose)
	if err != nil {
		return false, err
	}
	fs, ok := t.field.fieldFrom(schema)
	if !ok {
		return false, dataErrorf("Unknown field: %s", t.field)
	}
	var out any
	if s != nil {
		if out, err = t.field.structValue(s, t.replaceNull); err != nil {
			return false, err
		}
	}
	t.set(r, fs, out)
	return true, nil
}

// HoistField wraps the key or value in a struct or map with one field.
type HoistField struct {
	side
	field string
	cache schemaCache
}

// Config implements Transformation.
func (*HoistField) Config() *connect.ConfigDef {
	return connect.NewConfigDef().Define(connect.ConfigKey{Name: "field", Type: connect.TypeString, Required: true, Importance: connect.Medium,
		Documentation: "Field name for the single field that will be created in the resulting Struct or Map."})
}

// Configure implements Transformation.
func (t *HoistField) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	t.field = v.str("field")
	return nil
}

// Apply implements Transformation.
func (t *HoistField) Apply(r *Record) (bool, error) {
	schema, value := t.get(r)
	if schema == nil {
		t.set(r, nil, map[string]any{t.field: value})
		return true, nil
	}
	out, _ := t.cache.get(schema, func(in *connect.Schema) (*connect.Schema, error) {
		return (&connect.Schema{Type: connect.Struct}).AddField(t.field, in), nil
	})
	s := r.newStruct(out)
	s.PutAt(0, value)
	t.set(r, out, s)
	return true, nil
}

// insertSpec is an InsertField field name: "name!" is required, "name" or "name?" optional.
type insertSpec struct {
	name     string
	optional bool
}

func parseInsertSpec(s string) *insertSpec {
	if s == "" {
		return nil
	}
	if n, ok := strings.CutSuffix(s, "!"); ok {
		return &insertSpec{name: n}
	}
	return &insertSpec{name: strings.TrimSuffix(s, "?"), optional: true}
}

// InsertField adds the record's topic, partition, offset, timestamp or a static value as fields.
type InsertField struct {
	side
	topic, partition, offset, timestamp, static *insertSpec
	// staticValue is the static value as an interface once, not per record: boxing a string
	// allocates.
	staticValue any
	replaceNull bool
	cache       schemaCache
}

// Config implements Transformation.
func (*InsertField) Config() *connect.ConfigDef {
	def := connect.NewConfigDef()
	opt := "Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default)."
	for _, k := range []struct{ name, doc string }{
		{"topic.field", "Field name for Kafka topic. " + opt},
		{"partition.field", "Field name for Kafka partition. " + opt},
		{"offset.field", "Field name for Kafka offset - only applicable to sink connectors.<br/>" + opt},
		{"timestamp.field", "Field name for record timestamp. " + opt},
		{"static.field", "Field name for static data field. " + opt},
		{"static.value", "Static field value, if field name configured."},
	} {
		def.Define(connect.ConfigKey{Name: k.name, Type: connect.TypeString, NullDefault: true, Importance: connect.Medium, Documentation: k.doc})
	}
	return def.Define(replaceNullWithDefault())
}

// Configure implements Transformation.
func (t *InsertField) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	t.topic, t.partition = parseInsertSpec(v.str("topic.field")), parseInsertSpec(v.str("partition.field"))
	t.offset, t.timestamp = parseInsertSpec(v.str("offset.field")), parseInsertSpec(v.str("timestamp.field"))
	t.static = parseInsertSpec(v.str("static.field"))
	if v.has("static.value") {
		t.staticValue = v.str("static.value")
	}
	if t.topic == nil && t.partition == nil && t.offset == nil && t.timestamp == nil && t.static == nil {
		return configErrorf("No field insertion configured")
	}
	if t.static != nil && t.staticValue == nil {
		return invalid("static.value", "null", "No value specified for static field: "+t.static.name)
	}
	t.replaceNull = v.boolean("replace.null.with.default")
	return nil
}

// Apply implements Transformation.
func (t *InsertField) Apply(r *Record) (bool, error) {
	const purpose = "field insertion"
	schema, value := t.get(r)
	if value == nil {
		return true, nil
	}
	if t.offset != nil && !r.Sink {
		return false, dataErrorf("Only SinkRecord supported for [%s], found: org.apache.kafka.connect.source.SourceRecord", purpose)
	}
	if schema == nil {
		m, err := requireMap(value, purpose)
		if err != nil {
			return false, err
		}
		out := copyMap(m, t.inserted())
		if t.topic != nil {
			out[t.topic.name] = r.Topic
		}
		if t.partition != nil && r.Partition >= 0 {
			out[t.partition.name] = r.Partition
		}
		if t.offset != nil {
			out[t.offset.name] = r.Offset
		}
		if t.timestamp != nil && !r.Timestamp.IsZero() {
			out[t.timestamp.name] = r.Timestamp.UnixMilli()
		}
		if t.static != nil {
			out[t.static.name] = t.staticValue
		}
		t.set(r, nil, out)
		return true, nil
	}
	s, err := requireStruct(value, purpose)
	if err != nil {
		return false, err
	}
	newSchema, _ := t.cache.get(schema, t.updatedSchema)
	out := r.newStruct(newSchema)
	// The updated schema starts with the input's fields, in order.
	for i := range schema.Fields {
		out.PutAt(i, fieldValueAt(s, schema, i, t.replaceNull))
	}
	if t.topic != nil {
		_, _ = out.Put(t.topic.name, r.Topic)
	}
	if t.partition != nil && r.Partition >= 0 {
		_, _ = out.Put(t.partition.name, r.Partition)
	}
	if t.offset != nil {
		_, _ = out.Put(t.offset.name, r.Offset)
	}
	if t.timestamp != nil && !r.Timestamp.IsZero() {
		_, _ = out.Put(t.timestamp.name, r.Timestamp.UTC().Truncate(time.Millisecond))
	}
	if t.static != nil {
		_, _ = out.Put(t.static.name, t.staticValue)
	}
	t.set(r, newSchema, out)
	return true, nil
}

// inserted counts the fields the transform adds, to size the copy of a map once.
func (t *InsertField) inserted() int {
	n := 0
	for _, s := range []*insertSpec{t.topic, t.partition, t.offset, t.timestamp, t.static} {
		if s != nil {
			n++
		}
	}
	return n
}

func (t *InsertField) updatedSchema(in *connect.Schema) (*connect.Schema, error) {
	out := in.CopyBasics()
	for _, f := range in.Fields {
		out.AddField(f.Name, f.Schema)
	}
	add := func(spec *insertSpec, schema *connect.Schema) {
		if spec != nil {
			if spec.optional {
				schema = schema.AsOptional()
			}
			out.AddField(spec.name, schema)
		}
	}
	add(t.topic, connect.StringSchema)
	add(t.partition, connect.Int32Schema)
	add(t.offset, connect.Int64Schema)
	add(t.timestamp, connect.TimestampSchema(false))
	add(t.static, connect.StringSchema)
	return out, nil
}

// ValueToKey replaces the key with a struct or map of fields of the value.
type ValueToKey struct {
	fields      []string
	replaceNull bool
	cache       schemaCache
}

// Config implements Transformation.
func (*ValueToKey) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "fields", Type: connect.TypeList, Required: true, Validator: nonEmptyList, Importance: connect.High,
			Documentation: "Field names on the record value to extract as the record key."}).
		Define(replaceNullWithDefault())
}

// Configure implements Transformation.
func (t *ValueToKey) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	t.fields, t.replaceNull = v.list("fields"), v.boolean("replace.null.with.default")
	return nil
}

// Apply implements Transformation.
func (t *ValueToKey) Apply(r *Record) (bool, error) {
	const purpose = "copying fields from value to key"
	if r.ValueSchema == nil {
		m, err := requireMap(r.Value, purpose)
		if err != nil {
			return false, err
		}
		key := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			key[f] = m[f]
		}
		r.KeySchema, r.Key = nil, key
		return true, nil
	}
	s, err := requireStruct(r.Value, purpose)
	if err != nil {
		return false, err
	}
	keySchema, err := t.cache.get(r.ValueSchema, func(in *connect.Schema) (*connect.Schema, error) {
		out := &connect.Schema{Type: connect.Struct}
		for _, name := range t.fields {
			f, ok := in.Field(name)
			if !ok {
				return nil, dataErrorf("Field does not exist: %s", name)
			}
			out.AddField(name, f.Schema)
		}
		return out, nil
	})
	if err != nil {
		return false, err
	}
	key := r.newStruct(keySchema)
	for _, f := range t.fields {
		_, _ = key.Put(f, fieldValue(s, f, t.replaceNull))
	}
	r.KeySchema, r.Key = keySchema, key
	return true, nil
}

// SetSchemaMetadata sets the name and/or version of the key's or value's schema.
type SetSchemaMetadata struct {
	side
	name       string
	version    int
	hasVersion bool
	cache      schemaCache
}

// Config implements Transformation.
func (*SetSchemaMetadata) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "schema.name", Type: connect.TypeString, NullDefault: true, Importance: connect.High, Documentation: "Schema name to set."}).
		Define(connect.ConfigKey{Name: "schema.version", Type: connect.TypeInt, NullDefault: true, Importance: connect.High, Documentation: "Schema version to set."})
}

// Configure implements Transformation.
func (t *SetSchemaMetadata) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	t.name = v.str("schema.name")
	t.version, t.hasVersion = v["schema.version"].(int)
	if t.name == "" && !t.hasVersion {
		return configErrorf("Neither schema name nor version configured")
	}
	return nil
}

// Apply implements Transformation.
func (t *SetSchemaMetadata) Apply(r *Record) (bool, error) {
	schema, value := t.get(r)
	if err := requireSchema(schema, "updating schema metadata"); err != nil {
		return false, err
	}
	out, _ := t.cache.get(schema, func(in *connect.Schema) (*connect.Schema, error) {
		c := *in
		if t.name != "" {
			c.Name = t.name
		}
		if t.hasVersion {
			c.Version = t.version
		}
		return &c, nil
	})
	if s, ok := value.(*connect.StructValue); ok {
		ns := r.newStruct(out)
		for _, f := range out.Fields {
			if s.Has(f.Name) {
				_, _ = ns.Put(f.Name, s.Get(f.Name))
			}
		}
		value = ns
	}
	t.set(r, out, value)
	return true, nil
}
