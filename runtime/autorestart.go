package runtime

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
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
	attempts    int
	startedAt   time.Time
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

// started notes that a run started.
func (a *autoRestart) started(now time.Time) { a.startedAt = now }

// failed decides the next attempt after a failure at now: its delay and a note for the status
// trace, or ok=false when the policy gives up (or is off).
func (a *autoRestart) failed(now time.Time) (delay time.Duration, note string, ok bool) {
	if !a.enabled {
		return 0, "", false
	}
	// A run that lasted the longest backoff (a minute at most) was a success: start over.
	if !a.startedAt.IsZero() && now.Sub(a.startedAt) >= min(a.max, time.Minute) {
		a.attempts = 0
	}
	if a.maxAttempts >= 0 && a.attempts >= a.maxAttempts {
		return 0, fmt.Sprintf("\nNo automatic restart: restart.max.attempts (%d) reached.", a.maxAttempts), false
	}
	a.attempts++
	delay = a.initial << min(a.attempts-1, 30)
	if delay > a.max || delay <= 0 {
		delay = a.max
	}
	// Equal jitter: tasks that failed together do not all restart at once.
	delay = delay/2 + rand.N(delay/2+1)
	return delay, fmt.Sprintf("\nAutomatic restart attempt %d at %s.", a.attempts, now.Add(delay).UTC().Format(time.RFC3339Nano)), true
}

// reset forgets past attempts, after a config change or a restart through the REST API.
func (a *autoRestart) reset() { a.attempts, a.startedAt = 0, time.Time{} }
