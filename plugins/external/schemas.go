package external

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/conduitio/conduit-commons/schema"
	"github.com/conduitio/conduit-connector-protocol/pconnutils"
)

// SchemaStore keeps the schemas plugins register, by subject and version. Registering the
// same bytes under a subject again returns the existing version.
type SchemaStore interface {
	CreateSchema(ctx context.Context, subject string, typ schema.Type, data []byte) (schema.Schema, error)
	// Schema returns a version of a subject; errors wrap pconnutils.ErrSubjectNotFound or
	// pconnutils.ErrVersionNotFound.
	Schema(subject string, version int) (schema.Schema, error)
}

// MemorySchemas is a SchemaStore local to one process.
type MemorySchemas struct {
	mu       sync.Mutex
	subjects map[string][]schema.Schema
	nextID   int
}

// NewMemorySchemas returns an empty store.
func NewMemorySchemas() *MemorySchemas {
	return &MemorySchemas{subjects: map[string][]schema.Schema{}}
}

// CreateSchema implements SchemaStore.
func (m *MemorySchemas) CreateSchema(_ context.Context, subject string, typ schema.Type, data []byte) (schema.Schema, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	versions := m.subjects[subject]
	for _, s := range versions {
		if s.Type == typ && bytes.Equal(s.Bytes, data) {
			return s, nil
		}
	}
	m.nextID++
	s := schema.Schema{Subject: subject, Version: len(versions) + 1, ID: m.nextID, Type: typ, Bytes: bytes.Clone(data)}
	m.subjects[subject] = append(versions, s)
	return s, nil
}

// Schema implements SchemaStore.
func (m *MemorySchemas) Schema(subject string, version int) (schema.Schema, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	versions, ok := m.subjects[subject]
	if !ok {
		return schema.Schema{}, fmt.Errorf("subject %q: %w", subject, pconnutils.ErrSubjectNotFound)
	}
	if version < 1 || version > len(versions) {
		return schema.Schema{}, fmt.Errorf("subject %q version %d: %w", subject, version, pconnutils.ErrVersionNotFound)
	}
	return versions[version-1], nil
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
	sch, err := s.h.schemas.CreateSchema(ctx, req.Subject, req.Type, req.Bytes)
	return pconnutils.CreateSchemaResponse{Schema: sch}, err
}

func (s *schemaService) GetSchema(ctx context.Context, req pconnutils.GetSchemaRequest) (pconnutils.GetSchemaResponse, error) {
	if _, err := s.h.connectorOf(pconnutils.ConnectorTokenFromContext(ctx)); err != nil {
		return pconnutils.GetSchemaResponse{}, err
	}
	sch, err := s.h.schemas.Schema(req.Subject, req.Version)
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
