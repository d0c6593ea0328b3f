package config

import "time"

// ControlPlane holds the bounds and waits of the control plane: how long REST requests wait for
// state a client can expect to appear, the REST server's timeouts, the internal apply path's body
// bound, the largest tasks.max, and when a failed Raft server is replaced.
type ControlPlane struct {
	// FirstStatusWait bounds how long a status or task request for a committed connector waits
	// for its first status or task configs.
	FirstStatusWait time.Duration
	// RESTReadTimeout bounds reading a whole request, body included.
	RESTReadTimeout time.Duration
	// RESTIdleTimeout bounds how long a keep-alive connection waits for its next request.
	RESTIdleTimeout time.Duration
	// InternalMaxBodyBytes bounds a command forwarded to the leader's internal apply endpoint.
	InternalMaxBodyBytes int64
	// TasksMaxLimit is the largest tasks.max a connector config may set.
	TasksMaxLimit int
	// DeadServerCleanup is how long a Raft server must have failed before the leader removes it
	// in favour of a healthy replacement (never less than scheduled.rebalance.max.delay.ms).
	DeadServerCleanup time.Duration
}

func init() {
	keys = append(keys,
		key{name: "rest.first.status.wait.ms", typ: tMillis, def: "2000", doc: "Longest a status or task request waits for a just-created connector's first status or task configs (then 404 as before).", set: func(c *Config, v any) { c.FirstStatusWait = v.(time.Duration) }, check: atLeast(0)},
		key{name: "rest.read.timeout.ms", typ: tMillis, def: "30000", doc: "Longest the REST server takes to read a whole request, body included.", set: func(c *Config, v any) { c.RESTReadTimeout = v.(time.Duration) }, check: atLeast(1)},
		key{name: "rest.idle.timeout.ms", typ: tMillis, def: "120000", doc: "Longest an idle keep-alive REST connection stays open.", set: func(c *Config, v any) { c.RESTIdleTimeout = v.(time.Duration) }, check: atLeast(1)},
		key{name: "internal.max.body.bytes", typ: tLong, def: "67108864", doc: "Largest command a node forwards to the leader's internal apply endpoint (task configs, source offsets).", set: func(c *Config, v any) { c.InternalMaxBodyBytes = v.(int64) }, check: atLeast(1024)},
		key{name: "tasks.max.limit", typ: tInt, def: "1000", doc: "Largest tasks.max a connector may set.", set: func(c *Config, v any) { c.TasksMaxLimit = v.(int) }, check: atLeast(1)},
		key{name: "raft.dead.server.cleanup.ms", typ: tMillis, def: "600000", doc: "How long a Raft server must have failed before the leader removes it, when a healthy replacement keeps the voter count (at least scheduled.rebalance.max.delay.ms).", set: func(c *Config, v any) { c.DeadServerCleanup = v.(time.Duration) }, check: atLeast(0)},
	)
}
