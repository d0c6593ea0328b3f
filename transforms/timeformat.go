package transforms

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// javaLayout is a java.text.SimpleDateFormat pattern translated to a Go time layout, used in UTC
// as Kafka's transforms use their formats.
type javaLayout string

func (l javaLayout) format(t time.Time) string { return t.UTC().Format(string(l)) }

func (l javaLayout) parse(s string) (time.Time, error) { return time.Parse(string(l), s) }

// javaFields maps a pattern letter and its repeat count to Go's layout element.
var javaFields = map[byte]func(n int) string{
	'y': func(n int) string {
		if n == 2 {
			return "06"
		}
		return "2006"
	},
	'M': func(n int) string {
		switch {
		case n >= 4:
			return "January"
		case n == 3:
			return "Jan"
		case n == 2:
			return "01"
		}
		return "1"
	},
	'd': func(n int) string { return pad(n, "02", "2") },
	'H': func(int) string { return "15" },
	'h': func(n int) string { return pad(n, "03", "3") },
	'm': func(n int) string { return pad(n, "04", "4") },
	's': func(n int) string { return pad(n, "05", "5") },
	'a': func(int) string { return "PM" },
	'E': func(n int) string {
		if n >= 4 {
			return "Monday"
		}
		return "Mon"
	},
	'z': func(int) string { return "MST" },
	'Z': func(int) string { return "-0700" },
	'X': func(n int) string {
		switch n {
		case 1:
			return "Z07"
		case 2:
			return "Z0700"
		}
		return "Z07:00"
	},
}

func pad(n int, padded, plain string) string {
	if n >= 2 {
		return padded
	}
	return plain
}

// goLayoutWords are sequences Go reads as layout elements, so a literal may not contain them.
var goLayoutWords = []string{"Jan", "Mon", "MST", "PM", "pm", "Z07"}

// parseJavaLayout translates a SimpleDateFormat pattern; letters Go cannot express are an error.
func parseJavaLayout(p string) (javaLayout, error) {
	var b strings.Builder
	literal := func(s string) error {
		for _, w := range goLayoutWords {
			if strings.Contains(s, w) {
				return fmt.Errorf("unsupported literal %q", s)
			}
		}
		if strings.ContainsAny(s, "0123456789_") {
			return fmt.Errorf("unsupported literal %q", s)
		}
		b.WriteString(s)
		return nil
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			end := strings.IndexByte(p[i+1:], '\'')
			if end < 0 {
				return "", errors.New("Unterminated quote")
			}
			if end == 0 {
				b.WriteByte('\'')
			} else if err := literal(p[i+1 : i+1+end]); err != nil {
				return "", err
			}
			i += end + 2
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			n := 1
			for i+n < len(p) && p[i+n] == c {
				n++
			}
			if c == 'S' {
				// Go writes fractions of a second only after the seconds and a dot.
				if !strings.HasSuffix(b.String(), ".") && !strings.HasSuffix(b.String(), ",") {
					return "", errors.New("milliseconds (S) must follow seconds and a '.'")
				}
				b.WriteString(strings.Repeat("0", n))
			} else if f, ok := javaFields[c]; ok {
				b.WriteString(f(n))
			} else {
				return "", fmt.Errorf("Illegal pattern character '%c'", c)
			}
			i += n
		default:
			if err := literal(string(c)); err != nil {
				return "", err
			}
			i++
		}
	}
	return javaLayout(b.String()), nil
}
