package logging

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

func TestLevelsInheritAndFilter(t *testing.T) {
	levels := New(slog.LevelInfo)
	var buf bytes.Buffer
	logger := slog.New(levels.Handler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug - 8})))
	raft := logger.With("component", "raft")
	api := logger.With("component", "api")

	raft.Debug("hidden")
	if buf.Len() != 0 {
		t.Fatal("debug logged at root INFO")
	}
	affected := levels.Set("connectd", slog.LevelDebug, 7)
	if !reflect.DeepEqual(affected, []string{"connectd", "connectd.api", "connectd.raft"}) {
		t.Fatalf("affected %v", affected)
	}
	raft.Debug("shown")
	if !strings.Contains(buf.String(), "shown") {
		t.Fatal("namespace level not inherited")
	}
	levels.Set("connectd.api", slog.LevelError, 8)
	buf.Reset()
	api.Warn("hidden")
	raft.Warn("kept")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "kept") {
		t.Fatalf("per-logger levels: %s", buf.String())
	}
	if s := levels.Get("connectd.api"); s.Level != slog.LevelError || *s.LastModified != 8 {
		t.Fatalf("get %+v", s)
	}
	if s := levels.Get("connectd.raft"); s.Level != slog.LevelDebug || s.LastModified != nil {
		t.Fatalf("effective level of an unset logger: %+v", s)
	}
	if !levels.Known("connectd.raft") || levels.Known("nope") {
		t.Fatal("known loggers")
	}
	if !logger.Enabled(context.Background(), slog.LevelInfo) {
		t.Fatal("root logger")
	}
}

func TestLevelNames(t *testing.T) {
	for _, name := range []string{"OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL"} {
		l, ok := ParseLevel(strings.ToLower(name))
		if !ok || LevelName(l) != name {
			t.Errorf("%s -> %v -> %s", name, l, LevelName(l))
		}
	}
	if _, ok := ParseLevel("LOUD"); ok {
		t.Error("LOUD accepted")
	}
}
