package worker

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/fsm"
)

// autoRestart is the opt-in automatic restart of a FAILED connector or task (restart.policy=
// on-failure, beyond Kafka Connect): attempts follow an exponential backoff with jitter between
// restart.backoff.initial.ms and restart.backoff.max.ms, at most restart.max.attempts in a row;
// a run that lasts resets the count.
type autoRestart struct {
	enabled     bool
	initial     time.Duration
	max         time.Duration
	maxAttempts int // negative: unlimited
	// attempts counts the restarts made in a row. A task reports it in its status, so that the
	// worker that takes the task over goes on counting (inherit).
	attempts int
}

// configure reads a connector's restart.* keys, keeping the attempts so far; invalid values
// (which validation refuses) fall back to the defaults.
func (a *autoRestart) configure(config map[string]string) {
	a.initial, a.max, a.maxAttempts = time.Second, 5*time.Minute, -1
	a.enabled = strings.EqualFold(strings.TrimSpace(config["restart.policy"]), "on-failure")
	ms := func(key string, d *time.Duration) {
		if n, err := strconv.ParseInt(strings.TrimSpace(config[key]), 10, 64); err == nil && n > 0 {
			*d = time.Duration(n) * time.Millisecond
		}
	}
	ms("restart.backoff.initial.ms", &a.initial)
	ms("restart.backoff.max.ms", &a.max)
	if n, err := strconv.Atoi(strings.TrimSpace(config["restart.max.attempts"])); err == nil && n >= -1 {
		a.maxAttempts = n
	}
}

// lasting is how long a run must last to count as a success that resets the count: the
// longest backoff, a minute at most.
func (a *autoRestart) lasting() time.Duration { return min(a.max, time.Minute) }

// exhausted reports whether restart.max.attempts restarts were made in a row.
func (a *autoRestart) exhausted() bool { return a.maxAttempts >= 0 && a.attempts >= a.maxAttempts }

// failed decides the next attempt after a failure at now: its delay and a note for the status
// trace, or ok=false when the policy gives up (or is off).
func (a *autoRestart) failed(now time.Time) (delay time.Duration, note string, ok bool) {
	if !a.enabled {
		return 0, "", false
	}
	if a.exhausted() {
		return 0, fmt.Sprintf("\nNo automatic restart: restart.max.attempts (%d) reached.", a.maxAttempts), false
	}
	next := a.attempts + 1
	delay = a.initial << min(next-1, 30)
	if delay > a.max || delay <= 0 {
		delay = a.max
	}
	// Equal jitter: tasks that failed together do not all restart at once.
	delay = delay/2 + rand.N(delay/2+1)
	return delay, fmt.Sprintf("\nAutomatic restart attempt %d at %s.", next, now.Add(delay).UTC().Format(time.RFC3339Nano)), true
}

// restarting counts an attempt as it is made.
func (a *autoRestart) restarting() { a.attempts++ }

// reset forgets past attempts: after a run that lasted, a config change or a restart through
// the REST API.
func (a *autoRestart) reset() { a.attempts = 0 }

// inherit takes over the count of the status that the item's previous worker last wrote, when
// it was counted under the connector's current version (modifyIndex). It returns what became
// of that worker's run: failed, and whether the policy had given up on it.
func (a *autoRestart) inherit(st *fsm.Status, modifyIndex uint64) (failed, exhausted bool) {
	if !a.enabled || st == nil || st.ModifyIndex != modifyIndex {
		return false, false
	}
	a.attempts = st.RestartAttempts
	return st.State == fsm.StateFailed, a.exhausted()
}
