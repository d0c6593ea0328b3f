package external_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/conduitio/conduit-commons/schema"
	"github.com/conduitio/conduit-connector-protocol/pconnutils"
	schemaclient "github.com/conduitio/conduit-connector-protocol/pconnutils/v1/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/connectd/connectd/internal/testcluster"
	"github.com/connectd/connectd/plugins/external"
)

// schemaClient connects to a host's schema service as a plugin process of it would.
func schemaClient(t *testing.T, h *external.Host, id string) (*schemaclient.SchemaServiceClient, context.Context) {
	t.Helper()
	token, target := h.IssueToken(id)
	cc, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return schemaclient.NewSchemaServiceClient(cc), pconnutils.ContextWithConnectorToken(ctx, token)
}

// TestSchemaRegisteredOnOneNodeIsServedByAnother: a schema a plugin registers through one node's
// connector utilities is in the Raft state, so another node's utilities serve it (a task that
// moves, or a consumer on another node, decodes what the first node's plugin encoded).
func TestSchemaRegisteredOnOneNodeIsServedByAnother(t *testing.T) {
	c := testcluster.New(t, 2)
	c.WaitHealthy()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hosts := make([]*external.Host, 2)
	for i := range hosts {
		h, err := external.NewHost(logger, c.Node(i), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Close)
		hosts[i] = h
	}
	on0, ctx0 := schemaClient(t, hosts[0], "a-0")
	on1, ctx1 := schemaClient(t, hosts[1], "b-0")
	avro := []byte(`{"type":"record","name":"row","fields":[{"name":"id","type":"int"}]}`)
	created, err := on0.CreateSchema(ctx0, pconnutils.CreateSchemaRequest{Subject: "orders", Type: schema.TypeAvro, Bytes: avro})
	if err != nil || created.Schema.Version != 1 {
		t.Fatalf("create on node 0: %+v %v", created, err)
	}
	testcluster.Eventually(t, 10*time.Second, func() error {
		got, err := on1.GetSchema(ctx1, pconnutils.GetSchemaRequest{Subject: "orders", Version: 1})
		if err != nil {
			return err
		}
		if string(got.Schema.Bytes) != string(avro) || got.Schema.ID != created.Schema.ID || got.Schema.Type != schema.TypeAvro {
			t.Fatalf("node 1 serves %+v, node 0 registered %+v", got.Schema, created.Schema)
		}
		return nil
	})
	// The same schema registered through node 1 is the version node 0 made, not a new one.
	again, err := on1.CreateSchema(ctx1, pconnutils.CreateSchemaRequest{Subject: "orders", Type: schema.TypeAvro, Bytes: avro})
	if err != nil || again.Schema.Version != 1 || again.Schema.ID != created.Schema.ID {
		t.Fatalf("create again on node 1: %+v %v", again, err)
	}
	// The protocol's client (v0.9.2) maps only the subject sentinel back from its message.
	if _, err := on1.GetSchema(ctx1, pconnutils.GetSchemaRequest{Subject: "orders", Version: 2}); err == nil || err.Error() != pconnutils.ErrVersionNotFound.Error() {
		t.Fatalf("a missing version: %v, want %v", err, pconnutils.ErrVersionNotFound)
	}
	if _, err := on1.GetSchema(ctx1, pconnutils.GetSchemaRequest{Subject: "customers", Version: 1}); !errors.Is(err, pconnutils.ErrSubjectNotFound) {
		t.Fatalf("a missing subject: %v, want %v", err, pconnutils.ErrSubjectNotFound)
	}
}
