package fsm

import (
	"fmt"
	"testing"
)

func TestClusterLoggerLevelsAreBounded(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < MaxClusterLoggers; i++ {
		if res := h.apply(&LoggerLevelSet{Level: LoggerLevel{Logger: fmt.Sprintf("l%d", i), Level: "DEBUG"}}); res.Err != nil {
			t.Fatalf("logger %d: %v", i, res.Err)
		}
	}
	res := h.apply(&LoggerLevelSet{Level: LoggerLevel{Logger: "one.too.many", Level: "DEBUG"}})
	if res.Err == nil || res.Err.Kind != KindBadRequest {
		t.Fatalf("logger beyond the bound: %+v, want a 400", res.Err)
	}
	if n := len(h.f.State().LoggerLevels()); n != MaxClusterLoggers {
		t.Fatalf("%d loggers stored, want %d", n, MaxClusterLoggers)
	}
	if res := h.apply(&LoggerLevelSet{Level: LoggerLevel{Logger: "l7", Level: "WARN"}}); res.Err != nil {
		t.Fatalf("changing a stored logger at the bound: %v", res.Err)
	}
}

func TestSourceOffsetsSplitKeepsEveryEntryInOrder(t *testing.T) {
	cmd := &SourceOffsets{Connector: "c", Task: 2, Fence: &Fence{Node: "n"}}
	for i := 0; i < 2500; i++ {
		cmd.Offsets = append(cmd.Offsets, OffsetEntry{SourcePartition: map[string]any{"p": i}})
	}
	parts := cmd.Split(1000)
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	next := 0
	for _, p := range parts {
		so := p.(*SourceOffsets)
		if so.Connector != "c" || so.Task != 2 || so.Fence != cmd.Fence || len(so.Offsets) > 1000 {
			t.Fatalf("part %+v", so)
		}
		for _, e := range so.Offsets {
			if e.SourcePartition["p"] != next {
				t.Fatalf("entry %v out of order, want %d", e.SourcePartition["p"], next)
			}
			next++
		}
	}
	if next != 2500 {
		t.Fatalf("%d entries in the parts, want 2500", next)
	}
}
