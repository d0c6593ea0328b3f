package fsm

import "testing"

// TestSchemaCreateVersionsBySubject: a new schema is its subject's next version with the next
// cluster-wide id; the same bytes again answer the existing version and change nothing.
func TestSchemaCreateVersionsBySubject(t *testing.T) {
	h := newHarness(t)
	a1 := h.mustApply(&SchemaCreate{Subject: "a", SchemaType: 1, Bytes: []byte("one")})
	b1 := h.mustApply(&SchemaCreate{Subject: "b", SchemaType: 1, Bytes: []byte("one")})
	a2 := h.mustApply(&SchemaCreate{Subject: "a", SchemaType: 1, Bytes: []byte("two")})
	watch := h.f.State().WatchCh()
	again := h.mustApply(&SchemaCreate{Subject: "a", SchemaType: 1, Bytes: []byte("one")})
	for _, c := range []struct {
		name        string
		res         Result
		version, id int
		created     bool
	}{{"a1", a1, 1, 1, true}, {"b1", b1, 1, 2, true}, {"a2", a2, 2, 3, true}, {"a1 again", again, 1, 1, false}} {
		if c.res.Schema == nil || c.res.Schema.Version != c.version || c.res.Schema.ID != c.id || c.res.Created != c.created {
			t.Errorf("%s: %+v created=%v, want version %d id %d created=%v", c.name, c.res.Schema, c.res.Created, c.version, c.id, c.created)
		}
	}
	select {
	case <-watch:
		t.Fatal("registering known bytes again changed the state")
	default:
	}
	s := h.f.State()
	if got := s.Schema("a", 2); got == nil || string(got.Bytes) != "two" {
		t.Fatalf("a version 2: %+v", got)
	}
	if s.Schema("a", 3) != nil || s.Schema("c", 1) != nil || len(s.SchemaVersions("a")) != 2 {
		t.Fatal("versions that were never registered are found")
	}
	if res := h.apply(&SchemaCreate{Subject: "", Bytes: []byte("x")}); res.Err == nil || res.Err.Kind != KindBadRequest {
		t.Fatalf("empty subject: %+v", res)
	}
}
