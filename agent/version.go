package agent

import "runtime/debug"

// Commit is the abbreviated VCS revision the binary was built from (16 hex digits, as GET /
// reports Kafka's), or "unknown" for builds without VCS information.
var Commit = func() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 16 {
				return s.Value[:16]
			}
		}
	}
	return "unknown"
}()
