package transforms

import (
	"regexp"
	"strings"

	"github.com/connectd/connectd/connect"
)

// Filter drops every record; with a predicate it drops the records the predicate selects.
type Filter struct{}

// Config implements Transformation.
func (Filter) Config() *connect.ConfigDef { return connect.NewConfigDef() }

// Configure implements Transformation.
func (Filter) Configure(map[string]string) error { return nil }

// Apply implements Transformation.
func (Filter) Apply(*Record) (bool, error) { return false, nil }

// RegexRouter renames the topic of a record whose topic the regex matches in full.
type RegexRouter struct {
	re          *regexp.Regexp
	replacement string
	// lastIn and lastOut remember the last rename: records mostly come from one topic, and a
	// match per record was the transform's whole cost.
	lastIn, lastOut string
}

// Config implements Transformation.
func (*RegexRouter) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "regex", Type: connect.TypeString, Required: true, Validator: validRegex, Importance: connect.High, Documentation: "Regular expression to use for matching."}).
		Define(connect.ConfigKey{Name: "replacement", Type: connect.TypeString, Required: true, Importance: connect.High, Documentation: "Replacement string."})
}

// Configure implements Transformation.
func (t *RegexRouter) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	if t.re, err = anchored(v.str("regex")); err != nil {
		return invalid("regex", v.str("regex"), "Invalid regex: "+err.Error())
	}
	t.replacement = javaReplacement(v.str("replacement"))
	return nil
}

// Apply implements Transformation.
func (t *RegexRouter) Apply(r *Record) (bool, error) {
	if r.Topic == t.lastIn && t.lastIn != "" {
		r.Topic = t.lastOut
		return true, nil
	}
	in := r.Topic
	if m := t.re.FindStringSubmatchIndex(r.Topic); m != nil {
		r.Topic = string(t.re.ExpandString(nil, t.replacement, r.Topic, m))
	}
	t.lastIn, t.lastOut = in, r.Topic
	return true, nil
}

// javaReplacement turns a Java replacement string ($1, \$) into Go's template syntax (${1}, $$).
func javaReplacement(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(s[i])
			}
		case c == '$' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			b.WriteString("${" + s[i+1:j] + "}")
			i = j - 1
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				b.WriteString("$$")
				continue
			}
			b.WriteString(s[i : i+end+1])
			i += end
		case c == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// TimestampRouter renames the topic from a format of the topic and the record's timestamp.
type TimestampRouter struct {
	topicFormat string
	layout      javaLayout
}

// Config implements Transformation.
func (*TimestampRouter) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "topic.format", Type: connect.TypeString, Default: "${topic}-${timestamp}", Importance: connect.High,
			Documentation: "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as placeholders for the topic and timestamp, respectively."}).
		Define(connect.ConfigKey{Name: "timestamp.format", Type: connect.TypeString, Default: "yyyyMMdd", Importance: connect.High,
			Documentation: "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>."})
}

// Configure implements Transformation.
func (t *TimestampRouter) Configure(config map[string]string) error {
	v, err := parse(t.Config(), config)
	if err != nil {
		return err
	}
	t.topicFormat = v.str("topic.format")
	if t.layout, err = parseJavaLayout(v.str("timestamp.format")); err != nil {
		return invalid("timestamp.format", v.str("timestamp.format"), err.Error())
	}
	return nil
}

// Apply implements Transformation.
func (t *TimestampRouter) Apply(r *Record) (bool, error) {
	if r.Timestamp.IsZero() {
		return false, dataErrorf("Timestamp missing on record: topic %s", r.Topic)
	}
	ts := t.layout.format(r.Timestamp)
	r.Topic = strings.ReplaceAll(strings.ReplaceAll(t.topicFormat, "${topic}", r.Topic), "${timestamp}", ts)
	return true, nil
}
