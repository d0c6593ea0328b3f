package external

import (
	"context"
	"errors"
	"fmt"

	"github.com/conduitio/conduit-commons/schema"
	"github.com/conduitio/conduit-connector-protocol/pconnutils"

	"github.com/connectd/connectd/fsm"
)

// StateLog is the replicated state the plugins' schemas and last-active configs live in: a
// node's Raft log (Apply commits through the leader) and its state machine.
type StateLog interface {
	Apply(ctx context.Context, cmd fsm.Command) (fsm.Result, error)
	State() *fsm.State
}

// schemaStore keeps the schemas plugins register in the Raft state, by subject and version, so
// that every node serves every schema. Registering the same bytes under a subject again returns
// the existing version.
type schemaStore struct{ log StateLog }

func (s schemaStore) create(ctx context.Context, subject string, typ schema.Type, data []byte) (schema.Schema, error) {
	res, err := s.log.Apply(ctx, &fsm.SchemaCreate{Subject: subject, SchemaType: int(typ), Bytes: data})
	if err != nil {
		return schema.Schema{}, err
	}
	if res.Err != nil {
		return schema.Schema{}, res.Err
	}
	return toSchema(res.Schema), nil
}

// get returns a version of a subject; errors wrap pconnutils.ErrSubjectNotFound or
// pconnutils.ErrVersionNotFound.
func (s schemaStore) get(subject string, version int) (schema.Schema, error) {
	state := s.log.State()
	if sch := state.Schema(subject, version); sch != nil {
		return toSchema(sch), nil
	}
	if len(state.SchemaVersions(subject)) == 0 {
		return schema.Schema{}, fmt.Errorf("subject %q: %w", subject, pconnutils.ErrSubjectNotFound)
	}
	return schema.Schema{}, fmt.Errorf("subject %q version %d: %w", subject, version, pconnutils.ErrVersionNotFound)
}

func toSchema(s *fsm.Schema) schema.Schema {
	return schema.Schema{Subject: s.Subject, Version: s.Version, ID: s.ID, Type: schema.Type(s.Type), Bytes: s.Bytes}
}

// schemaService is the connector utilities' schema service: it checks the caller's token and
// delegates to the host's store.
type schemaService struct{ h *Host }

func (s *schemaService) CreateSchema(ctx context.Context, req pconnutils.CreateSchemaRequest) (pconnutils.CreateSchemaResponse, error) {
	if _, err := s.h.connectorOf(pconnutils.ConnectorTokenFromContext(ctx)); err != nil {
		return pconnutils.CreateSchemaResponse{}, err
	}
	if _, ok := schema.KnownSerdeFactories[req.Type]; !ok {
		return pconnutils.CreateSchemaResponse{}, fmt.Errorf("schema type %v: %w", req.Type, pconnutils.ErrInvalidSchema)
	}
	if _, err := (schema.Schema{Type: req.Type, Bytes: req.Bytes}).Serde(); err != nil {
		return pconnutils.CreateSchemaResponse{}, pconnutils.ErrInvalidSchema
	}
	sch, err := s.h.schemas.create(ctx, req.Subject, req.Type, req.Bytes)
	return pconnutils.CreateSchemaResponse{Schema: sch}, err
}

func (s *schemaService) GetSchema(ctx context.Context, req pconnutils.GetSchemaRequest) (pconnutils.GetSchemaResponse, error) {
	if _, err := s.h.connectorOf(pconnutils.ConnectorTokenFromContext(ctx)); err != nil {
		return pconnutils.GetSchemaResponse{}, err
	}
	sch, err := s.h.schemas.get(req.Subject, req.Version)
	if err != nil {
		// The protocol matches errors by message: send the sentinel itself.
		switch {
		case errors.Is(err, pconnutils.ErrSubjectNotFound):
			err = pconnutils.ErrSubjectNotFound
		case errors.Is(err, pconnutils.ErrVersionNotFound):
			err = pconnutils.ErrVersionNotFound
		}
	}
	return pconnutils.GetSchemaResponse{Schema: sch}, err
}
