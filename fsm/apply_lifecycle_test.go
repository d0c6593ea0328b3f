package fsm

import "testing"

// TestLastActiveConfigOutlivesDeleteUntilCleared: the last-active config of a plugin connector
// survives the connector's deletion (OnDeleted needs it), and a clear removes it only while it
// is the record the clearer read: a re-created connector's newer commit is kept.
func TestLastActiveConfigOutlivesDeleteUntilCleared(t *testing.T) {
	h := newHarness(t)
	const class = "io.conduit.connectors.PostgresSourceConnector"
	h.mustApply(&ConnectorPut{Name: "pg", Config: cfg("name", "pg", "connector.class", class, "url", "u1")})
	h.mustApply(&LastActiveConfigSet{Connector: "pg", Class: class, Config: cfg("url", "u1")})
	h.mustApply(&ConnectorDelete{Name: "pg"})
	first := h.f.State().LastActiveConfig("pg")
	if first == nil || first.Config["url"] != "u1" || first.Class != class {
		t.Fatalf("after delete: %+v", first)
	}

	h.mustApply(&LastActiveConfigSet{Connector: "pg", Class: class, Config: cfg("url", "u2")})
	wantErr(t, h.apply(&LastActiveConfigSet{Connector: "pg", Clear: true, IfIndex: first.ModifyIndex}), KindStaleConfig,
		"The last-active config of connector pg changed since index 2")
	if la := h.f.State().LastActiveConfig("pg"); la == nil || la.Config["url"] != "u2" {
		t.Fatalf("a stale clear removed the newer config: %+v", la)
	}

	h.mustApply(&LastActiveConfigSet{Connector: "pg", Clear: true, IfIndex: h.f.State().LastActiveConfig("pg").ModifyIndex})
	if la := h.f.State().LastActiveConfig("pg"); la != nil || len(h.f.State().LastActiveConfigs()) != 0 {
		t.Fatalf("cleared config still there: %+v", la)
	}
	h.mustApply(&LastActiveConfigSet{Connector: "pg", Clear: true})
	wantErr(t, h.apply(&LastActiveConfigSet{Connector: "pg", Config: cfg("url", "u3")}), KindBadRequest,
		"The last-active config of connector pg has no connector class")
	if res := h.apply(&LastActiveConfigSet{Connector: "", Class: class}); res.Err == nil || res.Err.Kind != KindBadRequest {
		t.Fatalf("empty connector name: %+v", res)
	}
}
