package metrics

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkScrape1000x10 serves a node's share (a third) of 1,000 connectors x 10 tasks.
func BenchmarkScrape1000x10(b *testing.B) {
	n := New(Sources{Node: "n1", Protocol: "sessioned"})
	for c := 0; c < 334; c++ {
		for t := 0; t < 10; t++ {
			task := n.NewTask("connector-"+strconv.Itoa(c), t, t%2 == 0)
			task.State("RUNNING")
			task.Polled(10, 1000)
		}
	}
	h := n.Handler()
	req := httptest.NewRequest("GET", "/metrics", nil)
	h.ServeHTTP(discard{http.Header{}}, req) // the first scrape sizes the pooled buffers
	b.ResetTimer()
	// CPU time as well as wall time: on a busy machine the wall time is mostly waiting.
	start := cpuTime(b)
	for i := 0; i < b.N; i++ {
		h.ServeHTTP(discard{http.Header{}}, req)
	}
	b.ReportMetric(float64((cpuTime(b)-start).Microseconds())/1000/float64(b.N), "cpu-ms/scrape")
}

// cpuTime is the user and system CPU time this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discard is a ResponseWriter that drops the page, as a socket would take it.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
func (d discard) WriteHeader(int)             {}

func TestLabelValuesAreEscaped(t *testing.T) {
	n := New(Sources{Node: "n1"})
	n.NewTask("a\"b\\c\nd", 0, false)
	w := httptest.NewRecorder()
	n.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if want := `kafka_connect_source_task_metrics_source_record_poll_total{connector="a\"b\\c\nd",task="0"} 0`; !strings.Contains(w.Body.String(), want) {
		t.Fatalf("no %s in\n%s", want, w.Body.String())
	}
}
