package fsm

import (
	"bytes"
)

func init() {
	registerCommand(func() *SchemaCreate { return new(SchemaCreate) }, applySchemaCreate)
}

// SchemaCreate registers a schema under a subject for the connector plugins' schema service,
// so that every node serves it. The same type and bytes under the same subject answer the
// version already registered; anything else becomes the subject's next version, with the next
// cluster-wide id.
type SchemaCreate struct {
	Subject string `json:"subject"`
	// SchemaType is the plugin protocol's schema type (1 is Avro); the state machine keeps it
	// without interpreting it.
	SchemaType int    `json:"schema_type"`
	Bytes      []byte `json:"bytes"`
}

// Type implements Command.
func (*SchemaCreate) Type() MessageType { return SchemaCreateType }

// Schema is one version of a subject registered through SchemaCreate.
type Schema struct {
	Subject string `json:"subject"`
	Version int    `json:"version"`
	ID      int    `json:"id"`
	Type    int    `json:"type"`
	Bytes   []byte `json:"bytes"`
}

// MaxSchemas bounds how many schema versions the cluster keeps, so that a plugin registering a
// new schema per record cannot grow the replicated state without end.
const MaxSchemas = 10000

func applySchemaCreate(tx *writeTxn, cmd *SchemaCreate, _ uint64) Result {
	state := tx.view()
	versions := state.SchemaVersions(cmd.Subject)
	for _, s := range versions {
		if s.Type == cmd.SchemaType && bytes.Equal(s.Bytes, cmd.Bytes) {
			return Result{Schema: s}
		}
	}
	// Schemas are never removed, so the count is the last id given.
	n := len(state.all(tableSchemas, "id"))
	if n >= MaxSchemas {
		return Result{Err: errorf(KindBadRequest, "Cannot register a schema for subject %s: the cluster already keeps %d, the most it keeps", cmd.Subject, n)}
	}
	s := &Schema{Subject: cmd.Subject, Version: len(versions) + 1, ID: n + 1, Type: cmd.SchemaType, Bytes: cmd.Bytes}
	tx.insert(tableSchemas, s)
	return Result{Schema: s, Created: true}
}

// SchemaVersions returns every version of a subject, oldest first.
func (s *State) SchemaVersions(subject string) []*Schema {
	var out []*Schema
	for _, obj := range s.all(tableSchemas, "subject", subject) {
		out = append(out, obj.(*Schema))
	}
	return out
}

// Schema returns one version of a subject, or nil. The value must not be modified.
func (s *State) Schema(subject string, version int) *Schema {
	if obj := s.first(tableSchemas, subject, version); obj != nil {
		return obj.(*Schema)
	}
	return nil
}
