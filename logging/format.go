package logging

import (
	"io"
	"log/slog"
)

// NewLogger returns a logger writing to w at the levels l sets, as key=value text or, when format
// is "json", one JSON object a line.
func NewLogger(l *Levels, format string, w io.Writer) *slog.Logger {
	// The handler passes everything; l's handler filters by logger name and level.
	opts := &slog.HandlerOptions{Level: slog.Level(-100)}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(l.Handler(h))
}
