package coordinator

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/connectd/connectd/fsm"
)

// TestAssignEagerVectors checks the eager assignment (docs/assignment.md §10) on three examples:
// E1 three nodes, E2 one of them gone, E3 the pointer carrying on from connectors into tasks.
func TestAssignEagerVectors(t *testing.T) {
	tests := []struct {
		alive []string
		cfg   map[string]int
		want  string
	}{
		{[]string{"W1", "W2", "W3"}, map[string]int{"a": 4, "b": 4}, "W1{a | a-1 b-0 b-3}  W2{b | a-2 b-1}  W3{ | a-0 a-3 b-2}"},
		{[]string{"W1", "W3"}, map[string]int{"a": 4, "b": 4}, "W1{a | a-0 a-2 b-0 b-2}  W3{b | a-1 a-3 b-1 b-3}"},
		{[]string{"W2", "W1"}, map[string]int{"c1": 1, "c2": 1, "c3": 1}, "W1{c1 c3 | c2-0}  W2{c2 | c1-0 c3-0}"},
	}
	for i, tt := range tests {
		if got := render(AssignEager(tt.alive, tt.cfg)); got != tt.want {
			t.Errorf("E%d: got %s want %s", i+1, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	for _, tt := range []struct {
		n     int
		delay int64
		want  int64
		kafka bool
	}{
		{1, 300000, 40, false}, {2, 300000, 1600, false}, {3, 300000, 64000, false}, {4, 300000, 300000, false},
		{1, 0, 0, false}, {1, 1, 1, false}, {2, 1000, 1000, false}, {3, 30000, 29999, true}, {1, 7, 6, true},
	} {
		if got := backoff(tt.n, tt.delay, tt.kafka); got != tt.want {
			t.Errorf("backoff(%d, %d, kafka=%v) = %d, want %d", tt.n, tt.delay, tt.kafka, got, tt.want)
		}
	}
}

// spreads returns the max-min difference of connector and of task counts over alive nodes.
func spreads(a fsm.Assignment, alive []string) (int, int) {
	minC, maxC, minT, maxT := 1<<30, 0, 1<<30, 0
	for _, w := range alive {
		c, tk := len(a.Owned[w].Connectors), len(a.Owned[w].Tasks)
		minC, maxC = min(minC, c), max(maxC, c)
		minT, maxT = min(minT, tk), max(maxT, tk)
	}
	return maxC - minC, maxT - minT
}

func randomConfig(r *rand.Rand) map[string]int {
	cfg := map[string]int{}
	for i := 0; i < 1+r.Intn(6); i++ {
		cfg[fmt.Sprintf("c%d", i)] = r.Intn(7)
	}
	return cfg
}

func randomNodes(r *rand.Rand) []string {
	var nodes []string
	for i := 1; i <= 5; i++ {
		if r.Intn(3) > 0 {
			nodes = append(nodes, fmt.Sprintf("W%d", i))
		}
	}
	if len(nodes) == 0 {
		nodes = []string{"W1"}
	}
	return nodes
}

// settle runs rounds with fixed members and config until nothing changes, as the leader does
// after each round's stops are acknowledged, and returns the number of rounds that changed
// ownership.
func settle(t *testing.T, prev fsm.Assignment, alive []string, cfg map[string]int, now int64, opts Options) (fsm.Assignment, int) {
	t.Helper()
	changes := 0
	for i := 0; i < 10; i++ {
		round := Assign(prev, alive, cfg, now, opts)
		checkInvariants(t, prev, alive, cfg, round)
		if len(round.Starts) == 0 && len(round.Stops) == 0 {
			return round.Next, changes
		}
		changes++
		prev = round.Next
	}
	t.Fatalf("no convergence in 10 rounds: alive %v cfg %v", alive, cfg)
	return prev, changes
}

// TestAssignConvergesFromRandomStarts: with fixed members and config, from any duplicate-free
// ownership, at most two rounds change anything and the result is balanced
// (docs/assignment.md §12).
func TestAssignConvergesFromRandomStarts(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		alive := randomNodes(r)
		cfg := randomConfig(r)
		prev := fsm.Assignment{Owned: map[string]fsm.Items{}}
		lists := map[string][]fsm.TaskID{}
		var names []string
		for c := range cfg {
			names = append(names, c)
		}
		sort.Strings(names)
		for _, c := range names {
			lists[alive[r.Intn(len(alive))]] = append(lists[alive[r.Intn(len(alive))]], fsm.ConnectorInstance(c))
			for tk := 0; tk < cfg[c]; tk++ {
				if r.Intn(4) > 0 {
					w := alive[r.Intn(len(alive))]
					lists[w] = append(lists[w], fsm.TaskID{Connector: c, Task: tk})
				}
			}
		}
		for _, w := range alive {
			prev.Owned[w] = toItems(lists[w])
		}
		next, changes := settle(t, prev, alive, cfg, t0, Options{Delay: 300000})
		if changes > 2 {
			t.Fatalf("case %d: %d rounds changed ownership (alive %v cfg %v)", i, changes, alive, cfg)
		}
		if sc, st := spreads(next, alive); sc > 1 || st > 1 {
			t.Fatalf("case %d: spreads %d/%d after convergence: %+v", i, sc, st, next.Owned)
		}
	}
}

// TestAssignRandomHistories drives random joins, leaves, config changes and time jumps, checking
// the invariants after every round, and that every configured item ends up owned once the delay
// has passed.
func TestAssignRandomHistories(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for h := 0; h < 200; h++ {
		opts := Options{Delay: []int64{0, 1000, 300000}[r.Intn(3)], KafkaCompat: r.Intn(2) == 0}
		prev := fsm.Assignment{}
		now := t0
		alive := randomNodes(r)
		cfg := randomConfig(r)
		for step := 0; step < 30; step++ {
			switch r.Intn(4) {
			case 0:
				alive = randomNodes(r)
			case 1:
				cfg = randomConfig(r)
			case 2:
				now += int64(r.Intn(400000))
			}
			round := Assign(prev, alive, cfg, now, opts)
			checkInvariants(t, prev, alive, cfg, round)
			prev = round.Next
		}
		now += opts.Delay + 100000
		final, _ := settle(t, prev, alive, cfg, now, opts)
		owned := 0
		for _, s := range final.Owned {
			owned += len(s.Connectors) + len(s.Tasks)
		}
		want := 0
		for _, n := range cfg {
			want += 1 + n
		}
		if owned != want || !final.Lost.Empty() {
			t.Fatalf("history %d: %d of %d items owned after the delay, lost %+v", h, owned, want, final.Lost)
		}
	}
}
