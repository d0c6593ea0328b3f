package metrics

import (
	"io"
	"strconv"
)

// family is one metric family of the state-derived series. Those series are written straight
// in Prometheus' text format rather than built as client_golang const metrics: at 1,000
// connectors x 10 tasks a node has about 100,000 of them, and building each one as an object
// took a scrape past a second; appending text takes a tenth of that.
type family struct {
	idx    int
	name   string
	help   string
	labels []string
}

// families lists every family in the order a scrape writes them.
var families []*family

func desc(name, help string, labels ...string) *family {
	f := &family{idx: len(families), name: name, help: help, labels: labels}
	families = append(families, f)
	return f
}

// exposition collects one scrape's series, family by family: the text format wants a family's
// series together, and the collector visits them task by task.
type exposition struct {
	bufs  [][]byte
	types []string
	// labels is scratch space for rendering a series' labels.
	labels []byte
}

func newExposition() *exposition {
	return &exposition{bufs: make([][]byte, len(families)), types: make([]string, len(families))}
}

// reset empties the exposition for the next scrape, keeping its buffers.
func (e *exposition) reset() {
	for i := range e.bufs {
		e.bufs[i] = e.bufs[i][:0]
		e.types[i] = ""
	}
}

func (e *exposition) gauge(f *family, v float64, labelValues ...string) {
	e.add(f, "gauge", v, labelValues)
}

func (e *exposition) counter(f *family, v float64, labelValues ...string) {
	e.add(f, "counter", v, labelValues)
}

func (e *exposition) add(f *family, typ string, v float64, labelValues []string) {
	e.labels = appendLabels(e.labels[:0], f.labels, labelValues)
	e.series(f, typ, v, e.labels)
}

// series appends one series whose labels are rendered already, as appendLabels renders them.
func (e *exposition) series(f *family, typ string, v float64, labels []byte) {
	e.types[f.idx] = typ
	b := append(e.bufs[f.idx], f.name...)
	b = append(b, labels...)
	b = append(b, ' ')
	// Most values are whole numbers, which AppendInt writes several times faster.
	if i := int64(v); float64(i) == v && -1<<53 < i && i < 1<<53 {
		b = strconv.AppendInt(b, i, 10)
	} else {
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	e.bufs[f.idx] = append(b, '\n')
}

// appendLabels renders a label set as the text format writes it: {name="value",...}, or nothing
// without labels.
func appendLabels(b []byte, names, values []string) []byte {
	if len(names) == 0 {
		return b
	}
	b = append(b, '{')
	for i, l := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, l...)
		b = append(b, '=', '"')
		b = appendEscaped(b, values[i])
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendEscaped escapes a label value as the text format requires.
func appendEscaped(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		plain = s[i] != '\\' && s[i] != '"' && s[i] != '\n'
	}
	if plain {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, s[i])
		}
	}
	return b
}

// writeTo writes the families that have series, each with its HELP and TYPE lines.
func (e *exposition) writeTo(w io.Writer) error {
	for i, f := range families {
		if len(e.bufs[i]) == 0 {
			continue
		}
		out := make([]byte, 0, 512)
		out = append(out, "# HELP "...)
		out = append(out, f.name...)
		out = append(out, ' ')
		out = append(out, f.help...)
		out = append(out, "\n# TYPE "...)
		out = append(out, f.name...)
		out = append(out, ' ')
		out = append(out, e.types[i]...)
		out = append(out, '\n')
		if _, err := w.Write(out); err != nil {
			return err
		}
		if _, err := w.Write(e.bufs[i]); err != nil {
			return err
		}
	}
	return nil
}
