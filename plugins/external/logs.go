package external

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
)

// stderrTailLines is how many of a plugin's last stderr lines a failed task's trace shows.
const stderrTailLines = 20

// stderrLog receives a plugin's stderr: the SDK's JSON log lines become connectd log records
// (with the logger's connector and task), other lines are logged as they are, and the last
// lines are kept for the trace of a plugin that dies.
type stderrLog struct {
	logger *slog.Logger
	mu     sync.Mutex
	buf    []byte
	lines  []string
	next   int
}

func newStderrLog(logger *slog.Logger) *stderrLog {
	return &stderrLog{logger: logger, lines: make([]string, 0, stderrTailLines)}
}

// Write implements io.Writer; go-plugin writes each line, then its newline.
func (l *stderrLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		line := string(l.buf[:i])
		l.buf = l.buf[i+1:]
		if strings.TrimSpace(line) != "" {
			l.keep(line)
			l.emit(line)
		}
	}
	return len(p), nil
}

func (l *stderrLog) keep(line string) {
	if len(l.lines) < stderrTailLines {
		l.lines = append(l.lines, line)
		return
	}
	l.lines[l.next] = line
	l.next = (l.next + 1) % stderrTailLines
}

// tail returns the kept lines, oldest first.
func (l *stderrLog) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append(append([]string{}, l.lines[l.next:]...), l.lines[:l.next]...)
	if len(l.buf) > 0 {
		out = append(out, string(l.buf))
	}
	return strings.Join(out, "\n")
}

func (l *stderrLog) emit(line string) {
	var entry map[string]any
	if json.Unmarshal([]byte(line), &entry) != nil {
		l.logger.Info(line, "stream", "stderr")
		return
	}
	level := slog.LevelInfo
	switch entry["@level"] {
	case "trace", "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error", "fatal", "panic":
		level = slog.LevelError
	}
	msg, _ := entry["@message"].(string)
	attrs := make([]any, 0, 2*len(entry))
	for k, v := range entry {
		if !strings.HasPrefix(k, "@") {
			attrs = append(attrs, "plugin."+k, v)
		}
	}
	l.logger.Log(context.Background(), level, msg, attrs...)
}
