package coordinator

import (
	"math"
	"slices"
	"sort"

	"github.com/connectd/connectd/fsm"
)

// Options tune the assignment function.
type Options struct {
	// Delay is scheduled.rebalance.max.delay.ms.
	Delay int64
	// KafkaCompat turns off connectd's switchable divergences from Kafka, D2–D5
	// (docs/assignment.md §9), for tests against Kafka's own behaviour.
	KafkaCompat bool
}

// Round is the result of one assignment round.
type Round struct {
	Next fsm.Assignment
	// Starts and Stops are, per node, the items to start and to stop in this round.
	Starts, Stops map[string]fsm.Items
	// FollowUp is set when configured items are neither owned nor held, so another round must
	// run once the stops are acknowledged.
	FollowUp bool
}

func itemsOf(s fsm.Items) []fsm.TaskID {
	out := make([]fsm.TaskID, 0, len(s.Connectors)+len(s.Tasks))
	for _, c := range s.Connectors {
		out = append(out, fsm.ConnectorInstance(c))
	}
	return append(out, s.Tasks...)
}

func toItems(list []fsm.TaskID) fsm.Items {
	var s fsm.Items
	for _, it := range list {
		if it.IsConnector() {
			s.Connectors = append(s.Connectors, it.Connector)
		} else {
			s.Tasks = append(s.Tasks, it)
		}
	}
	sort.Strings(s.Connectors)
	sort.Slice(s.Tasks, func(i, j int) bool { return s.Tasks[i].Less(s.Tasks[j]) })
	return s
}

type itemSet map[fsm.TaskID]bool

func (s itemSet) sorted() []fsm.TaskID {
	out := make([]fsm.TaskID, 0, len(s))
	for it := range s {
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

// Assign is the incremental cooperative assignment (docs/assignment.md §3–§6, which also name
// the rows L1–L5 and divergences D1–D6 cited below): a pure function of the committed
// assignment, the live workers, the committed task counts and the leader's clock.
func Assign(prev fsm.Assignment, alive []string, cfg map[string]int, now int64, opts Options) Round {
	kafka := opts.KafkaCompat
	alive = slices.Clone(alive)
	sort.Strings(alive)
	present := map[string]bool{}
	for _, w := range alive {
		present[w] = true
	}

	// Sized up front: with thousands of tasks, growing these maps dominated a round.
	total := 0
	for _, n := range cfg {
		total += n + 1
	}
	configured := make(itemSet, total)
	for c, n := range cfg {
		configured[fsm.ConnectorInstance(c)] = true
		for t := 0; t < n; t++ {
			configured[fsm.TaskID{Connector: c, Task: t}] = true
		}
	}
	remembered, active, duplicated := make(itemSet, total), make(itemSet, total), itemSet{}
	owner := make(map[fsm.TaskID]string, total)
	for _, w := range sortedKeys(prev.Owned) {
		for _, it := range itemsOf(prev.Owned[w]) {
			remembered[it] = true
			if present[w] {
				// Defensive: an item reported by two live nodes is revoked from both and placed
				// once in the next round (KAFKA-9841).
				if active[it] {
					duplicated[it] = true
				}
				active[it] = true
			}
			if _, seen := owner[it]; !seen || present[w] {
				owner[it] = w
			}
		}
	}
	prevLost := itemSet{}
	for _, it := range itemsOf(prev.Lost) {
		remembered[it] = true
		prevLost[it] = true
	}
	lost, created := itemSet{}, itemSet{}
	for it := range remembered {
		if configured[it] && !active[it] {
			lost[it] = true
		}
	}
	for it := range configured {
		if !remembered[it] && !active[it] {
			created[it] = true
		}
	}

	// cur is what each live worker runs; next starts as cur minus deleted items, and keeps
	// existing items ascending followed by hand-overs, which is the order cuts take from.
	cur := map[string]itemSet{}
	next := map[string][]fsm.TaskID{}
	stopped := map[string]itemSet{}
	for _, w := range alive {
		cur[w] = make(itemSet, len(prev.Owned[w].Connectors)+len(prev.Owned[w].Tasks))
		stopped[w] = itemSet{}
		for _, it := range itemsOf(prev.Owned[w]) {
			cur[w][it] = true
			if configured[it] && !duplicated[it] {
				next[w] = append(next[w], it)
			} else {
				stopped[w][it] = true
			}
		}
	}

	b := bookkeeping{scheduledAt: prev.ScheduledAt, delay: prev.Delay, candidates: slices.Clone(prev.Candidates),
		revokedInPrev: prev.RevokedInPrev, successive: prev.SuccessiveRevs}
	lostOwner := map[fsm.TaskID]string{}
	for c, w := range prev.LostConnectorOwner {
		lostOwner[fsm.ConnectorInstance(c)] = w
	}
	for key, w := range prev.LostTaskOwner {
		if it, ok := parseTaskKey(key); ok {
			lostOwner[it] = w
		}
	}
	for it := range lost {
		if !prevLost[it] {
			lostOwner[it] = owner[it]
		}
	}

	prevMembersPresent := true
	for w := range prev.Owned {
		if !present[w] {
			prevMembersPresent = false
		}
	}
	held := itemSet{}
	var pool []fsm.TaskID
	switch {
	case len(lost) == 0 && (!b.revokedInPrev || (!kafka && b.scheduledAt == 0)):
		// L1 (and D2: nothing lost and no clock running is not a reason to start one).
		b.scheduledAt, b.delay, b.candidates = 0, 0, nil
	case b.scheduledAt == 0 && prevMembersPresent:
		pool = lost.sorted() // L2
	case opts.Delay == 0:
		pool = lost.sorted() // L3
	case b.scheduledAt != 0 && now >= b.scheduledAt:
		pool = b.expire(lost.sorted(), lostOwner, present, next, kafka) // L4
	default:
		// L5: hold the lost items and keep (or start) the clock.
		for _, w := range alive {
			if len(next[w]) == 0 && !slices.Contains(b.candidates, w) {
				b.candidates = append(b.candidates, w)
			}
		}
		newlyLost := false
		for it := range lost {
			if !prevLost[it] {
				newlyLost = true
			}
		}
		// D3: a clock that can only be a back-off clock must not shorten the wait of new lost work.
		backoffClock := !kafka && len(prevLost) == 0 && newlyLost
		if b.scheduledAt != 0 && !backoffClock {
			b.delay = min(b.scheduledAt-now, opts.Delay)
		} else {
			b.delay = opts.Delay
		}
		b.scheduledAt = now + b.delay
		held = lost
	}

	if b.delay != 0 {
		b.revokedInPrev = false
	} else {
		revoked := revocations(next, alive, configured)
		switch {
		case len(revoked) > 0 && b.revokedInPrev:
			b.successive++
			if d := backoff(b.successive, opts.Delay, kafka); d > 0 {
				b.delay, b.scheduledAt = d, now+d
			} else {
				applyRevocations(next, stopped, revoked)
			}
		case len(revoked) > 0:
			applyRevocations(next, stopped, revoked)
			b.revokedInPrev = true
		case b.revokedInPrev:
			b.revokedInPrev, b.successive = false, 0
		}
	}

	toPlace := append(created.sorted(), pool...)
	fill(next, alive, toPlace, false)
	fill(next, alive, toPlace, true)

	round := Round{Starts: map[string]fsm.Items{}, Stops: map[string]fsm.Items{}}
	out := fsm.Assignment{Generation: prev.Generation + 1, Owned: map[string]fsm.Items{}, Sessions: prev.Sessions,
		ScheduledAt: b.scheduledAt, Delay: b.delay, Candidates: b.candidates,
		RevokedInPrev: b.revokedInPrev, SuccessiveRevs: b.successive, PendingStops: map[string]fsm.Items{}}
	owned := itemSet{}
	for _, w := range alive {
		out.Owned[w] = toItems(next[w])
		var starts, stops []fsm.TaskID
		for _, it := range next[w] {
			owned[it] = true
			if !cur[w][it] {
				starts = append(starts, it)
			}
		}
		for _, it := range stopped[w].sorted() {
			// D6: only items the node actually ran need a stop order.
			if cur[w][it] {
				stops = append(stops, it)
			}
		}
		if len(starts) > 0 {
			round.Starts[w] = toItems(starts)
		}
		if len(stops) > 0 {
			round.Stops[w] = toItems(stops)
			out.PendingStops[w] = toItems(stops)
		}
	}
	out.Lost = toItems(held.sorted())
	for it := range held {
		if w := lostOwner[it]; w != "" {
			if !it.IsConnector() {
				if out.LostTaskOwner == nil {
					out.LostTaskOwner = map[string]string{}
				}
				out.LostTaskOwner[it.String()] = w
			} else {
				if out.LostConnectorOwner == nil {
					out.LostConnectorOwner = map[string]string{}
				}
				out.LostConnectorOwner[it.Connector] = w
			}
		}
	}
	for it := range configured {
		if !owned[it] && !held[it] {
			round.FollowUp = true
		}
	}
	round.Next = out
	return round
}

// bookkeeping is the delay and back-off state a round reads and updates.
type bookkeeping struct {
	scheduledAt, delay int64
	candidates         []string
	revokedInPrev      bool
	successive         int
}

// expire hands out held work at the end of the delay (row L4). With sticky return (D4) each item
// first goes back to its last owner if that node is present; the rest is dealt round-robin over
// the remaining present candidates, connectors then tasks; with no candidate it goes to the pool.
func (b *bookkeeping) expire(lost []fsm.TaskID, lostOwner map[fsm.TaskID]string, present map[string]bool, next map[string][]fsm.TaskID, kafka bool) []fsm.TaskID {
	var rest []fsm.TaskID
	served := map[string]bool{}
	for _, it := range lost {
		if w := lostOwner[it]; !kafka && w != "" && present[w] {
			next[w] = append(next[w], it)
			served[w] = true
			continue
		}
		rest = append(rest, it)
	}
	var cands []string
	for _, w := range b.candidates {
		if present[w] && !served[w] {
			cands = append(cands, w)
		}
	}
	var pool []fsm.TaskID
	if len(cands) == 0 {
		pool = rest
	} else {
		for _, tasks := range []bool{false, true} {
			i := 0
			for _, it := range rest {
				if it.IsConnector() != tasks {
					next[cands[i%len(cands)]] = append(next[cands[i%len(cands)]], it)
					i++
				}
			}
		}
	}
	b.scheduledAt, b.delay, b.candidates, b.revokedInPrev = 0, 0, nil, false
	return pool
}

// revocations computes the load-balancing cuts (docs/assignment.md §5), per kind.
func revocations(next map[string][]fsm.TaskID, alive []string, configured itemSet) map[string][]fsm.TaskID {
	out := map[string][]fsm.TaskID{}
	allEmpty := true
	for _, w := range alive {
		if len(next[w]) > 0 {
			allEmpty = false
		}
	}
	if allEmpty || len(configured) == 0 || len(alive) == 0 {
		return out
	}
	for _, tasks := range []bool{false, true} {
		total := 0
		for it := range configured {
			if it.IsConnector() != tasks {
				total++
			}
		}
		n := len(alive)
		q, r := total/n, total%n
		held := func(w string) []fsm.TaskID {
			var l []fsm.TaskID
			for _, it := range next[w] {
				if it.IsConnector() != tasks {
					l = append(l, it)
				}
			}
			return l
		}
		atTop, atBase := 0, 0
		for _, w := range alive {
			switch len(held(w)) {
			case q + 1:
				atTop++
			case q:
				atBase++
			}
		}
		if atTop == r && atTop+atBase == n {
			continue
		}
		slots := 0
		for _, w := range alive {
			l := held(w)
			if len(l) <= q {
				continue
			}
			keep := q
			if slots < r {
				slots++
				keep = q + 1
			}
			if len(l) > keep {
				out[w] = append(out[w], l[:len(l)-keep]...)
			}
		}
	}
	return out
}

func applyRevocations(next map[string][]fsm.TaskID, stopped map[string]itemSet, revoked map[string][]fsm.TaskID) {
	for w, items := range revoked {
		cut := itemSet{}
		for _, it := range items {
			cut[it] = true
			stopped[w][it] = true
		}
		next[w] = slices.DeleteFunc(next[w], func(it fsm.TaskID) bool { return cut[it] })
	}
}

// fill places items of one kind, each on the member with the smallest (current count, count
// when the fill started, member id) — Kafka's level-by-level fill (docs/assignment.md §6).
func fill(next map[string][]fsm.TaskID, alive []string, items []fsm.TaskID, tasks bool) {
	if len(alive) == 0 {
		return
	}
	count := func(w string) int {
		n := 0
		for _, it := range next[w] {
			if it.IsConnector() != tasks {
				n++
			}
		}
		return n
	}
	current, start := map[string]int{}, map[string]int{}
	for _, w := range alive {
		current[w] = count(w)
		start[w] = current[w]
	}
	for _, it := range items {
		if it.IsConnector() == tasks {
			continue
		}
		best := alive[0]
		for _, w := range alive[1:] {
			if current[w] < current[best] || (current[w] == current[best] && start[w] < start[best]) {
				best = w
			}
		}
		next[best] = append(next[best], it)
		current[best]++
	}
}

// backoff is the wait before a second revoking round in a row: min(40^n, D) (D5), or Kafka's
// floating-point version in Kafka-compat mode.
func backoff(n int, maxDelay int64, kafka bool) int64 {
	if maxDelay <= 0 {
		return 0
	}
	if kafka {
		exp := math.Min(float64(n), math.Log(float64(maxDelay))/math.Log(40))
		return int64(math.Pow(40, exp))
	}
	d := int64(1)
	for i := 0; i < n; i++ {
		d *= 40
		if d >= maxDelay {
			return maxDelay
		}
	}
	return d
}

func sortedKeys(m map[string]fsm.Items) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// parseTaskKey reads "<connector>-<task>"; connector names may themselves contain '-'.
func parseTaskKey(key string) (fsm.TaskID, bool) {
	i := len(key) - 1
	for i >= 0 && key[i] >= '0' && key[i] <= '9' {
		i--
	}
	if i <= 0 || i == len(key)-1 || key[i] != '-' {
		return fsm.TaskID{}, false
	}
	n := 0
	for _, c := range key[i+1:] {
		n = n*10 + int(c-'0')
	}
	return fsm.TaskID{Connector: key[:i], Task: n}, true
}

// AssignEager is the eager assignment (docs/assignment.md §10): node ids sorted, one circular
// pointer over the connectors, then, continuing, over their tasks.
func AssignEager(alive []string, cfg map[string]int) map[string]fsm.Items {
	nodes := slices.Clone(alive)
	sort.Strings(nodes)
	out := map[string]fsm.Items{}
	if len(nodes) == 0 {
		return out
	}
	connectors := make([]string, 0, len(cfg))
	for c := range cfg {
		connectors = append(connectors, c)
	}
	sort.Strings(connectors)
	lists := map[string][]fsm.TaskID{}
	i := 0
	for _, c := range connectors {
		lists[nodes[i%len(nodes)]] = append(lists[nodes[i%len(nodes)]], fsm.ConnectorInstance(c))
		i++
	}
	for _, c := range connectors {
		for t := 0; t < cfg[c]; t++ {
			lists[nodes[i%len(nodes)]] = append(lists[nodes[i%len(nodes)]], fsm.TaskID{Connector: c, Task: t})
			i++
		}
	}
	for _, w := range nodes {
		out[w] = toItems(lists[w])
	}
	return out
}
