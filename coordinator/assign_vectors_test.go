package coordinator

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/connectd/connectd/fsm"
)

// The vectors are kept in testdata/vectors.txt, in the notation of docs/assignment.md §12, and
// parsed here, so that the table stays reviewable on its own.

const t0 = int64(1_000_000_000)

type vector struct {
	id, title string
	delay     int64
	prev      fsm.Assignment
	alive     []string
	cfg       map[string]int
	now       int64
	expect    []string // raw "stop", "start", "owned", "book" lines
	prevBook  string   // raw book of prev, which may wrap over lines
}

var (
	nodeRe  = regexp.MustCompile(`(W\d+)\{([^}]*)\}`)
	fieldRe = regexp.MustCompile(`([a-z-]+)=(\{[^}]*\}|\[[^\]]*\]|\S+)`)
)

func parseItems(s string) fsm.Items {
	conns, tasks, _ := strings.Cut(s, "|")
	var out fsm.Items
	out.Connectors = append(out.Connectors, strings.Fields(conns)...)
	for _, t := range strings.Fields(tasks) {
		it, ok := parseTaskKey(t)
		if !ok {
			panic("bad task " + t)
		}
		out.Tasks = append(out.Tasks, it)
	}
	return toItems(itemsOf(out))
}

func parseNodes(s string) map[string]fsm.Items {
	out := map[string]fsm.Items{}
	for _, m := range nodeRe.FindAllStringSubmatch(s, -1) {
		out[m[1]] = parseItems(m[2])
	}
	return out
}

func parseTime(s string) int64 {
	if s == "-" {
		return 0
	}
	rest, ok := strings.CutPrefix(s, "T0")
	if !ok {
		panic("bad time " + s)
	}
	if rest == "" {
		return t0
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(rest, "+"), 10, 64)
	if err != nil {
		panic("bad time " + s)
	}
	return t0 + n
}

func parseList(s string) []string {
	return strings.Fields(strings.Trim(s, "[]"))
}

func fields(line string) map[string]string {
	out := map[string]string{}
	for _, m := range fieldRe.FindAllStringSubmatch(line, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// parseBook reads a "book" line into prev's bookkeeping, including last owners of held work.
func parseBook(line string, a *fsm.Assignment) {
	f := fields(line)
	a.Lost = parseItems(strings.Trim(f["lost"], "{}"))
	a.ScheduledAt = parseTime(f["next"])
	a.Candidates = parseList(f["cands"])
	a.RevokedInPrev = f["rip"] == "yes"
	a.SuccessiveRevs, _ = strconv.Atoi(f["n"])
	owners := ""
	if i := strings.Index(line, "(last owner"); i >= 0 {
		owners = line[i+1 : strings.Index(line[i:], ")")+i]
	}
	setOwner := func(w string, items fsm.Items) {
		for _, c := range items.Connectors {
			if a.LostConnectorOwner == nil {
				a.LostConnectorOwner = map[string]string{}
			}
			a.LostConnectorOwner[c] = w
		}
		for _, t := range items.Tasks {
			if a.LostTaskOwner == nil {
				a.LostTaskOwner = map[string]string{}
			}
			a.LostTaskOwner[t.String()] = w
		}
	}
	switch {
	case strings.HasPrefix(owners, "last owners:"):
		for _, part := range strings.Split(strings.TrimPrefix(owners, "last owners:"), ";") {
			words := strings.Fields(part)
			var items fsm.Items
			for _, w := range words[1:] {
				if it, ok := parseTaskKey(w); ok {
					items.Tasks = append(items.Tasks, it)
				} else {
					items.Connectors = append(items.Connectors, w)
				}
			}
			setOwner(words[0], items)
		}
	case strings.HasPrefix(owners, "last owner "):
		setOwner(strings.TrimPrefix(owners, "last owner "), a.Lost)
	}
}

func loadVectors(t *testing.T) []vector {
	f, err := os.Open("testdata/vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vector
	var cur *vector
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		// Drop explanatory parentheses at the end of expectation lines.
		if i := strings.Index(line, "   ("); i > 0 && !strings.Contains(line, "last owner") {
			line = line[:i]
		}
		trimmed := strings.TrimSpace(line)
		switch {
		case regexp.MustCompile(`^V\d+[a-z]*\s`).MatchString(line):
			id := strings.Fields(line)[0]
			v := vector{id: id, title: strings.TrimSpace(strings.TrimPrefix(line, id)), delay: 300000}
			base := regexp.MustCompile(`^V\d+`).FindString(id)
			if id != base && !strings.HasPrefix(id, base+"a") && !strings.HasPrefix(id, base+"b") && cur != nil {
				// A variant: same input as the vector it varies.
				for i := len(out) - 1; i >= 0; i-- {
					if regexp.MustCompile(`^V\d+`).FindString(out[i].id) == base {
						v.delay, v.prev, v.alive, v.cfg, v.now, v.prevBook = out[i].delay, out[i].prev, out[i].alive, out[i].cfg, out[i].now, out[i].prevBook
						break
					}
				}
			}
			out = append(out, v)
			cur = &out[len(out)-1]
			section = ""
		case cur == nil || trimmed == "" || strings.HasPrefix(trimmed, "(follow-up"):
		case strings.HasPrefix(trimmed, "D="):
			cur.delay, _ = strconv.ParseInt(strings.TrimPrefix(trimmed, "D="), 10, 64)
		case strings.HasPrefix(trimmed, "prev"):
			section = "prev"
			cur.prev = fsm.Assignment{Owned: parseNodes(trimmed)}
		case strings.HasPrefix(trimmed, "input"):
			section = "input"
			f := fields(trimmed)
			cur.alive = parseList(f["alive"])
			cur.now = parseTime(f["now"])
			cur.cfg = map[string]int{}
			cfgPart := trimmed[strings.Index(trimmed, "cfg=")+4 : strings.Index(trimmed, "now=")]
			for _, kv := range strings.Fields(cfgPart) {
				name, n, _ := strings.Cut(kv, ":")
				cur.cfg[name], _ = strconv.Atoi(n)
			}
		case strings.HasPrefix(trimmed, "expect"):
			section = "expect"
			cur.expect = append(cur.expect, strings.TrimSpace(strings.TrimPrefix(trimmed, "expect")))
		case section == "expect":
			if strings.HasPrefix(trimmed, "stop") || strings.HasPrefix(trimmed, "start") || strings.HasPrefix(trimmed, "owned") || strings.HasPrefix(trimmed, "book") {
				cur.expect = append(cur.expect, trimmed)
			} else {
				cur.expect[len(cur.expect)-1] += "  " + trimmed
			}
		case section == "prev":
			// The book of prev may wrap; gather it and parse it once the vector is read.
			cur.prevBook += "  " + trimmed
		case strings.HasPrefix(line, "     "):
			cur.title += " " + trimmed
		}
	}
	for i := range out {
		parseBook(out[i].prevBook, &out[i].prev)
	}
	return out
}

func render(s map[string]fsm.Items) string {
	var nodes []string
	for w, items := range s {
		if !items.Empty() {
			nodes = append(nodes, w)
		}
	}
	sort.Strings(nodes)
	var parts []string
	for _, w := range nodes {
		var tasks []string
		for _, t := range s[w].Tasks {
			tasks = append(tasks, t.String())
		}
		parts = append(parts, fmt.Sprintf("%s{%s | %s}", w, strings.Join(s[w].Connectors, " "), strings.Join(tasks, " ")))
	}
	return strings.Join(parts, "  ")
}

func TestAssignVectors(t *testing.T) {
	vectors := loadVectors(t)
	if len(vectors) < 50 {
		t.Fatalf("parsed only %d vectors", len(vectors))
	}
	for _, v := range vectors {
		modes := []bool{false, true}
		switch {
		case strings.HasPrefix(v.title, "(Kafka"):
			modes = []bool{true}
		case strings.HasPrefix(v.title, "(connectd"):
			modes = []bool{false}
		}
		for _, kafka := range modes {
			name := v.id
			if kafka {
				name += "/kafka"
			}
			t.Run(name, func(t *testing.T) {
				if len(v.expect) != 4 || v.alive == nil {
					t.Fatalf("vector not fully parsed: %d expectation lines, alive %v", len(v.expect), v.alive)
				}
				round := Assign(v.prev, v.alive, v.cfg, v.now, Options{Delay: v.delay, KafkaCompat: kafka})
				for _, line := range v.expect {
					kind, rest, _ := strings.Cut(line, " ")
					rest = strings.TrimSpace(rest)
					switch kind {
					case "stop", "start", "owned":
						var got map[string]fsm.Items
						switch kind {
						case "stop":
							got = round.Stops
						case "start":
							got = round.Starts
						case "owned":
							got = round.Next.Owned
						}
						want := map[string]fsm.Items{}
						if rest != "-" {
							want = parseNodes(rest)
						}
						if render(got) != render(want) {
							t.Errorf("%s: got  %s\n      want %s\n(%s)", kind, render(got), render(want), v.title)
						}
					case "book":
						checkBook(t, rest, round)
					}
				}
				checkInvariants(t, v.prev, v.alive, v.cfg, round)
			})
		}
	}
}

func checkBook(t *testing.T, line string, round Round) {
	t.Helper()
	f := fields(line)
	next := round.Next
	var want fsm.Assignment
	parseBook(line, &want)
	if render(map[string]fsm.Items{"lost": next.Lost}) != render(map[string]fsm.Items{"lost": want.Lost}) {
		t.Errorf("lost: got %+v want %+v", next.Lost, want.Lost)
	}
	if d, _ := strconv.ParseInt(f["delay"], 10, 64); next.Delay != d {
		t.Errorf("delay: got %d want %d", next.Delay, d)
	}
	if next.ScheduledAt != want.ScheduledAt {
		t.Errorf("next: got %d want %d", next.ScheduledAt-t0, want.ScheduledAt-t0)
	}
	if !reflect.DeepEqual(append([]string{}, next.Candidates...), append([]string{}, want.Candidates...)) {
		t.Errorf("cands: got %v want %v", next.Candidates, want.Candidates)
	}
	if next.RevokedInPrev != want.RevokedInPrev || next.SuccessiveRevs != want.SuccessiveRevs {
		t.Errorf("rip/n: got %v/%d want %v/%d", next.RevokedInPrev, next.SuccessiveRevs, want.RevokedInPrev, want.SuccessiveRevs)
	}
	if fu := f["follow-up"] == "yes"; round.FollowUp != fu {
		t.Errorf("follow-up: got %v want %v", round.FollowUp, fu)
	}
}

// checkInvariants asserts the invariants that hold after every round (docs/assignment.md §3).
func checkInvariants(t *testing.T, prev fsm.Assignment, alive []string, cfg map[string]int, round Round) {
	t.Helper()
	running := map[fsm.TaskID]bool{}
	for _, w := range alive {
		for _, it := range itemsOf(prev.Owned[w]) {
			running[it] = true
		}
	}
	for w, s := range round.Starts {
		for _, it := range itemsOf(s) {
			if running[it] {
				t.Errorf("%s starts %v, which runs somewhere now", w, it)
			}
		}
	}
	owners := map[fsm.TaskID]string{}
	for w, s := range round.Next.Owned {
		for _, it := range itemsOf(s) {
			if o, dup := owners[it]; dup {
				t.Errorf("%v owned by %s and %s", it, o, w)
			}
			owners[it] = w
		}
	}
	for w, s := range round.Stops {
		cur := map[fsm.TaskID]bool{}
		for _, it := range itemsOf(prev.Owned[w]) {
			cur[it] = true
		}
		for _, it := range itemsOf(s) {
			if !cur[it] && !round.Next.RevokedInPrev {
				t.Errorf("%s told to stop %v it did not run", w, it)
			}
		}
	}
}
