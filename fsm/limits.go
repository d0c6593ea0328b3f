package fsm

import (
	"errors"
)

// ErrCommandTooLarge is returned for a command whose encoding exceeds the bound of the path that
// would carry it to the leader; retrying cannot help.
var ErrCommandTooLarge = errors.New("command too large")

// Splitter is a command that can be committed as several smaller commands of the same effect,
// applied in order: each part stays small enough to travel, replicate and apply quickly.
type Splitter interface {
	Command
	// Split returns the command in parts of at most n entries each (itself when already small).
	Split(n int) []Command
}

// Split implements Splitter: source offsets are independent per partition, so committing them
// in parts keeps at-least-once (each part covers only acknowledged records).
func (c *SourceOffsets) Split(n int) []Command {
	if n < 1 || len(c.Offsets) <= n {
		return []Command{c}
	}
	var parts []Command
	for start := 0; start < len(c.Offsets); start += n {
		part := *c
		part.Offsets = c.Offsets[start:min(start+n, len(c.Offsets))]
		parts = append(parts, &part)
	}
	return parts
}

// MaxClusterLoggers bounds how many distinct loggers may carry a cluster-scoped level, so that
// PUT /admin/loggers/{any name}?scope=cluster cannot grow the replicated state without end.
const MaxClusterLoggers = 1000

func checkLoggerLimit(state *State, logger string) *Error {
	if state.first(tableLoggers, logger) != nil {
		return nil
	}
	if n := len(state.all(tableLoggers, "id")); n >= MaxClusterLoggers {
		return errorf(KindBadRequest, "Cannot set a cluster-wide level for logger %s: %d loggers already have one, the most the cluster keeps", logger, n)
	}
	return nil
}
