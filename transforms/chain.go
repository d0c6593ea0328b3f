package transforms

import (
	"fmt"
	"strings"

	"github.com/connectd/connectd/connect"
)

// Chain is a connector's transforms, in order, each with its optional predicate.
type Chain struct {
	steps []step
	// structs, when set, recycles the structs the transforms make (RecycleStructs).
	structs *structRecycler
}

// RecycleStructs lets the chain make the structs of a record out of those of the record before
// it: for a caller that is done with each transformed record before it transforms the next, as
// a source task is once it converted the record. A struct per transform per record was most of
// a chain's cost.
func (c *Chain) RecycleStructs() {
	c.structs = &structRecycler{}
}

// structRecycler hands out the structs of the previous record again.
type structRecycler struct {
	made []*connect.StructValue
	used int
}

// maxRecycled bounds what a record with unusually many structs leaves behind.
const maxRecycled = 16

// newStruct is connect.NewStruct, from the structs of the previous record when there are any.
func (p *structRecycler) newStruct(schema *connect.Schema) *connect.StructValue {
	if p == nil {
		return connect.NewStruct(schema)
	}
	if p.used < len(p.made) {
		s := p.made[p.used]
		p.used++
		s.Reuse(schema)
		return s
	}
	s := connect.NewStruct(schema)
	if len(p.made) < maxRecycled {
		p.made = append(p.made, s)
		p.used++
	}
	return s
}

type step struct {
	alias  string
	t      Transformation
	pred   Predicate
	negate bool
}

// NewChain builds the chain a connector config's transforms and predicates keys describe; an
// empty chain when it names none.
func NewChain(config map[string]string) (*Chain, error) {
	c := &Chain{}
	for _, alias := range uniqueAliases(config["transforms"]) {
		prefix := "transforms." + alias + "."
		typ := config[prefix+"type"]
		p, ok := Lookup(typ)
		if !ok || p.Predicate {
			return nil, configErrorf("Invalid value %s for configuration %stype: Class %s could not be found.", typ, prefix, typ)
		}
		sub := withPrefix(config, prefix)
		predAlias, hasPred := sub["predicate"]
		negate := sub["negate"]
		delete(sub, "predicate")
		delete(sub, "negate")
		delete(sub, "type")
		t := p.NewTransformation()
		if err := t.Configure(sub); err != nil {
			return nil, fmt.Errorf("transforms.%s: %w", alias, err)
		}
		s := step{alias: alias, t: t}
		if hasPred && predAlias != "" {
			pred, err := newPredicate(config, predAlias)
			if err != nil {
				return nil, err
			}
			s.pred, s.negate = pred, strings.EqualFold(strings.TrimSpace(negate), "true")
		}
		c.steps = append(c.steps, s)
	}
	return c, nil
}

func newPredicate(config map[string]string, alias string) (Predicate, error) {
	prefix := "predicates." + alias + "."
	typ, ok := config[prefix+"type"]
	if !ok {
		return nil, configErrorf("Missing required configuration %q which has no default value.", prefix+"type")
	}
	p, found := Lookup(typ)
	if !found || !p.Predicate {
		return nil, configErrorf("Invalid value %s for configuration %stype: Class %s could not be found.", typ, prefix, typ)
	}
	sub := withPrefix(config, prefix)
	delete(sub, "type")
	pred := p.NewPredicate()
	if err := pred.Configure(sub); err != nil {
		return nil, fmt.Errorf("predicates.%s: %w", alias, err)
	}
	return pred, nil
}

// Len is the number of transforms; a nil chain has none.
func (c *Chain) Len() int {
	if c == nil {
		return 0
	}
	return len(c.steps)
}

// Apply runs the transforms in order on r; false means one dropped the record. An error names
// the transform that failed.
func (c *Chain) Apply(r *Record) (bool, error) {
	if c.structs != nil {
		c.structs.used = 0
		r.structs = c.structs
	}
	for i := range c.steps {
		s := &c.steps[i]
		if s.pred != nil && s.pred.Test(r) == s.negate {
			continue
		}
		keep, err := s.t.Apply(r)
		if err != nil {
			return false, fmt.Errorf("transform %s: %w", s.alias, err)
		}
		if !keep {
			return false, nil
		}
	}
	return true, nil
}

func uniqueAliases(list string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range connect.SplitList(list) {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

func withPrefix(config map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range config {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] = v
		}
	}
	return out
}
