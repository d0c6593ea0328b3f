package coordinator

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/membership"
)

// roundPlan is what the leader decided the cluster's workers are, for one round.
type roundPlan struct {
	alive    []string
	sessions map[string]string
	// followUp is set when a node came back with a new session: it is left out of this round so
	// that its old session's work counts as lost, and joins in the next one.
	followUp bool
	// wakeAt is the earliest time a lease of a silent worker runs out (zero if none).
	wakeAt time.Time
}

// workers decides which workers take part in a round. A worker counts as present while gossip
// says it is alive, or while the lease its session holds has not run out (docs/assignment.md §8).
func (c *Coordinator) workers(prev *fsm.Assignment, now time.Time) roundPlan {
	plan := roundPlan{sessions: map[string]string{}}
	ttl := c.deps.SessionTimeout + c.deps.LeaseSkew
	for _, m := range c.deps.Members.Members() {
		node := m.NodeID
		owned := prev.Sessions[node]
		switch {
		case m.Leaving && owned == "":
			// A decommissioned node that has handed back its work takes no new work.
		case m.Status == membership.StatusAlive && (owned == "" || owned == m.Session):
			plan.alive = append(plan.alive, node)
			plan.sessions[node] = m.Session
		case owned != "" && !c.leftClean(prev, m):
			// The session that owns work is silent (crashed, frozen, or replaced by a restart):
			// it keeps its work until its lease is certainly over.
			expiry := c.leases.expiresAt(node, owned, ttl)
			if now.Before(expiry) {
				plan.alive = append(plan.alive, node)
				plan.sessions[node] = owned
				if plan.wakeAt.IsZero() || expiry.Before(plan.wakeAt) {
					plan.wakeAt = expiry
				}
			} else if m.Status == membership.StatusAlive {
				plan.followUp = true
			}
		}
	}
	sort.Strings(plan.alive)
	return plan
}

// leftClean reports whether a member left on purpose after handing back everything it ran.
func (c *Coordinator) leftClean(prev *fsm.Assignment, m membership.Member) bool {
	if m.Status != membership.StatusLeft {
		return false
	}
	_, pending := prev.PendingStops[m.NodeID]
	return !pending && prev.Owned[m.NodeID].Empty()
}

// rebalance runs one assignment round if one is due and returns when the leader should look
// again even if nothing else happens (zero: no timer needed).
func (c *Coordinator) rebalance(ctx context.Context) (time.Time, error) {
	c.roundMu.Lock()
	defer c.roundMu.Unlock()
	state := c.deps.FSM.State()
	prev := state.Assignment().Clone()
	now := c.deps.Now()
	plan := c.workers(&prev, now)
	c.deps.Logger.Debug("rebalance check", "alive", plan.alive, "pending_stops", len(prev.PendingStops), "wake", plan.wakeAt)

	present := map[string]bool{}
	for _, n := range plan.alive {
		present[n] = true
	}
	// Rounds are serialized: wait for live holders to acknowledge their stops. A holder that is
	// gone has stopped by definition, since its lease is over.
	for node := range prev.PendingStops {
		if !present[node] || plan.sessions[node] != prev.Sessions[node] {
			delete(prev.PendingStops, node)
		}
	}
	if len(prev.PendingStops) > 0 {
		return plan.wakeAt, nil
	}

	cfg := map[string]int{}
	for _, conn := range state.Connectors() {
		cfg[conn.Name] = len(conn.Tasks)
	}
	// Status and offset writes change the state far more often than the inputs of a round do;
	// skip the round when its inputs are those of the last one that changed nothing.
	inputs := roundInputs(&prev, plan, cfg)
	if inputs == c.lastInputs && (prev.ScheduledAt == 0 || now.UnixMilli() < prev.ScheduledAt) {
		return earliest(plan.wakeAt, msTime(prev.ScheduledAt)), nil
	}
	next := c.assign(prev, plan.alive, cfg, now)
	next.Sessions = plan.sessions
	next.Configured = cfg
	for node := range next.PendingStops {
		if !present[node] {
			delete(next.PendingStops, node)
		}
	}
	wake := earliest(plan.wakeAt, msTime(next.ScheduledAt))
	// Nothing but the generation would change: no commit.
	if next.SameAs(state.Assignment()) {
		c.lastInputs = inputs
		return wake, nil
	}
	c.lastInputs = ""
	res, err := c.deps.Apply(ctx, &fsm.AssignmentCommit{Assignment: next, ExpectGeneration: state.Assignment().Generation})
	if err != nil {
		return wake, err
	}
	if res.Err != nil {
		return wake, fmt.Errorf("commit assignment: %w", res.Err)
	}
	c.deps.Logger.Info("committed assignment", "generation", next.Generation, "workers", len(plan.alive),
		"pending_stops", len(next.PendingStops), "lost_connectors", len(next.Lost.Connectors), "lost_tasks", len(next.Lost.Tasks))
	if plan.followUp {
		c.poke()
	}
	return wake, nil
}

func (c *Coordinator) assign(prev fsm.Assignment, alive []string, cfg map[string]int, now time.Time) fsm.Assignment {
	if c.deps.Eager {
		return assignEagerRound(prev, alive, cfg)
	}
	round := Assign(prev, alive, cfg, now.UnixMilli(), Options{Delay: c.deps.RebalanceDelay.Milliseconds()})
	if round.FollowUp {
		c.poke()
	}
	return round.Next
}

// assignEagerRound is the eager protocol in two committed phases (docs/assignment.md §10): when
// the full assignment must change, everyone first stops everything; once all have acknowledged,
// the complete assignment is handed out.
func assignEagerRound(prev fsm.Assignment, alive []string, cfg map[string]int) fsm.Assignment {
	target := AssignEager(alive, cfg)
	next := prev.Clone()
	next.Generation = prev.Generation + 1
	next.PendingStops = map[string]fsm.Items{}
	if fsm.SameOwners(prev.Owned, target) {
		return next
	}
	stopping := false
	for node, items := range prev.Owned {
		if !items.Empty() {
			next.PendingStops[node] = items
			stopping = true
		}
	}
	if stopping {
		next.Owned = map[string]fsm.Items{}
		return next
	}
	next.Owned = target
	return next
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// roundInputs fingerprints what a round depends on: the committed assignment's generation, the
// present workers and their sessions, and each connector's task count.
func roundInputs(prev *fsm.Assignment, plan roundPlan, cfg map[string]int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|%v|", prev.Generation, plan.followUp)
	for _, n := range plan.alive {
		fmt.Fprintf(&b, "%s=%s,", n, plan.sessions[n])
	}
	names := make([]string, 0, len(cfg))
	for name := range cfg {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, "|%s:%d", name, cfg[name])
	}
	return b.String()
}
