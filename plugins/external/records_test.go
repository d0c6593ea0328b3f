package external

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conduitio/conduit-commons/opencdc"

	"github.com/connectd/connectd/connect"
)

func TestSinkRecordMapsTombstonesToDeletes(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	rec, err := sinkRecord(&connect.SinkRecord{Topic: "a/b", Partition: 2, Offset: 41, Key: map[string]any{"id": int64(7)},
		Timestamp: ts, Headers: []connect.Header{{Key: "opencdc.collection", Value: "users"}, {Key: headerOperation, Value: "update"}}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Operation != opencdc.OperationDelete || rec.Payload.After != nil {
		t.Fatalf("tombstone mapped to %v with after %v", rec.Operation, rec.Payload.After)
	}
	if rec.Metadata["opencdc.collection"] != "users" || rec.Metadata[metaTopic] != "a/b" || rec.Metadata[metaPartition] != "2" || rec.Metadata[metaOffset] != "41" {
		t.Fatalf("metadata %v", rec.Metadata)
	}
	if _, ok := rec.Metadata[headerOperation]; ok {
		t.Fatalf("the source's operation header must not reach the destination: %v", rec.Metadata)
	}
	if got, _ := rec.Metadata.GetCreatedAt(); !got.Equal(ts) {
		t.Fatalf("createdAt %v, want %v", got, ts)
	}
	tp, off, err := parseSinkPosition(rec.Position)
	if err != nil || tp.Topic != "a/b" || tp.Partition != 2 || off != 41 {
		t.Fatalf("position %q read back as %v %d %v", rec.Position, tp, off, err)
	}
	rec, err = sinkRecord(&connect.SinkRecord{Topic: "t", Value: "v"})
	if err != nil || rec.Operation != opencdc.OperationCreate || string(rec.Payload.After.Bytes()) != "v" {
		t.Fatalf("value record mapped to %v %v %v", rec.Operation, rec.Payload.After, err)
	}
}

func TestTopicRoutingByCollection(t *testing.T) {
	rec := &opencdc.Record{Metadata: opencdc.Metadata{opencdc.MetadataCollection: "orders"}}
	for _, c := range []struct{ pattern, want string }{
		{"pg.${collection}", "pg.orders"}, {"fixed", "fixed"}, {"", "orders"},
	} {
		if got := topicFor(c.pattern, "conn", rec); got != c.want {
			t.Errorf("topic %q: %q, want %q", c.pattern, got, c.want)
		}
	}
	if got := topicFor("", "conn", &opencdc.Record{}); got != "conn" {
		t.Errorf("no collection, no topic: %q", got)
	}
}

func TestPositionOffsetRoundTrip(t *testing.T) {
	for _, p := range []opencdc.Position{opencdc.Position(`{"type":1,"lsn":"0/1"}`), {0xff, 0x00, 0xfe}} {
		got, err := positionFromOffset(positionOffset(p))
		if err != nil || string(got) != string(p) {
			t.Fatalf("%q came back as %q (%v)", p, got, err)
		}
	}
	if _, err := positionFromOffset(map[string]any{"other": 1}); err == nil {
		t.Fatal("an offset without a position was accepted")
	}
}

// A plugin that dies before the handshake fails with its last stderr lines.
func TestFailedPluginReportsItsStderr(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "broken")
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho 'panic: cannot connect to the moon' >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h, err := NewHost(slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	_, err = h.Specify(path)
	if err == nil || !strings.Contains(err.Error(), "panic: cannot connect to the moon") {
		t.Fatalf("error %v lacks the plugin's stderr", err)
	}
}

func FuzzParseSinkPosition(f *testing.F) {
	f.Add("topic/0/12")
	f.Add("a/b/c/3/-1")
	f.Add("//")
	f.Fuzz(func(t *testing.T, s string) {
		tp, off, err := parseSinkPosition(opencdc.Position(s))
		if err != nil {
			return
		}
		if back := string(sinkPosition(tp.Topic, tp.Partition, off)); back != s {
			// Only canonical numbers survive a round trip; a parsed position must still name the same record.
			tp2, off2, err := parseSinkPosition(opencdc.Position(back))
			if err != nil || tp2 != tp || off2 != off {
				t.Fatalf("%q -> %v %d -> %q", s, tp, off, back)
			}
		}
	})
}

func FuzzPositionFromOffset(f *testing.F) {
	f.Add("position", "x")
	f.Add("position.base64", "//8=")
	f.Add("position.base64", "!")
	f.Fuzz(func(t *testing.T, key, value string) {
		p, err := positionFromOffset(map[string]any{key: value})
		if err != nil {
			return
		}
		if p != nil {
			if q, err := positionFromOffset(positionOffset(p)); err != nil || string(q) != string(p) {
				t.Fatalf("%q round-tripped to %q (%v)", p, q, err)
			}
		}
	})
}
