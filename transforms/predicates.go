package transforms

import (
	"regexp"

	"github.com/connectd/connectd/connect"
)

// HasHeaderKey matches records with at least one header of the configured name.
type HasHeaderKey struct {
	name string
}

// Config implements Predicate.
func (*HasHeaderKey) Config() *connect.ConfigDef {
	return connect.NewConfigDef().Define(connect.ConfigKey{Name: "name", Type: connect.TypeString, Required: true, Validator: connect.NonEmptyString,
		Importance: connect.Medium, Documentation: "The header name."})
}

// Configure implements Predicate.
func (p *HasHeaderKey) Configure(config map[string]string) error {
	v, err := parse(p.Config(), config)
	if err != nil {
		return err
	}
	p.name = v.str("name")
	return nil
}

// Test implements Predicate.
func (p *HasHeaderKey) Test(r *Record) bool {
	for _, h := range r.Headers {
		if h.Key == p.name {
			return true
		}
	}
	return false
}

// RecordIsTombstone matches records with a null value.
type RecordIsTombstone struct{}

// Config implements Predicate.
func (RecordIsTombstone) Config() *connect.ConfigDef { return connect.NewConfigDef() }

// Configure implements Predicate.
func (RecordIsTombstone) Configure(map[string]string) error { return nil }

// Test implements Predicate.
func (RecordIsTombstone) Test(r *Record) bool { return r.Value == nil }

// TopicNameMatches matches records whose whole topic name the pattern matches.
type TopicNameMatches struct {
	re *regexp.Regexp
}

// Config implements Predicate.
func (*TopicNameMatches) Config() *connect.ConfigDef {
	return connect.NewConfigDef().Define(connect.ConfigKey{Name: "pattern", Type: connect.TypeString, Required: true,
		Validator: func(v any) string {
			if r := connect.NonEmptyString(v); r != "" {
				return r
			}
			return validRegex(v)
		},
		Importance: connect.Medium, Documentation: "A Java regular expression for matching against the name of a record's topic."})
}

// Configure implements Predicate.
func (p *TopicNameMatches) Configure(config map[string]string) error {
	v, err := parse(p.Config(), config)
	if err != nil {
		return err
	}
	if p.re, err = anchored(v.str("pattern")); err != nil {
		return invalid("pattern", v.str("pattern"), "Invalid regex: "+err.Error())
	}
	return nil
}

// Test implements Predicate.
func (p *TopicNameMatches) Test(r *Record) bool { return p.re.MatchString(r.Topic) }
