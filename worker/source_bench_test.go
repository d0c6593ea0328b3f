package worker_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// BenchmarkFileSource runs the file -> topic row of scripts/bench.sh in one process, so that
// the source path can be profiled: a FileStreamSource on BENCH_RECORDS 100-byte lines into the
// embedded broker (or the one at BENCH_BROKER, so that it can run in its own process), until its
// committed position covers the file. It runs with metrics.enable on and off, side by side.
// Run: go test ./worker -run '^$' -bench FileSource -benchtime 1x -count 8 -cpuprofile cpu.out
func BenchmarkFileSource(b *testing.B) {
	records, broker := benchSettings(b)
	in := filepath.Join(b.TempDir(), "in.txt")
	line := strings.Repeat("x", 99) + "\n"
	writeInput := func() error {
		f, err := os.Create(in)
		if err != nil {
			return err
		}
		chunk := []byte(strings.Repeat(line, 10000))
		for n := 0; n < records; n += 10000 {
			if _, err := f.Write(chunk[:min(10000, records-n)*len(line)]); err != nil {
				return err
			}
		}
		return f.Close()
	}
	if err := writeInput(); err != nil {
		b.Fatal(err)
	}
	size := int64(records * len(line))
	benchMetricsOnOff(b, broker, func(b *testing.B, c *testcluster.Cluster, name string) {
		testcluster.MustDo(b, 201, "PUT", fmt.Sprintf("%s/connectors/%s/config", c.URL(0), name), fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":%q,%s}`, in, name, stringConverters))
		testcluster.Eventually(b, 5*time.Minute, func() error {
			if pos := committedPosition(b, c.URL(0), name); pos < size {
				return fmt.Errorf("position %d of %d", pos, size)
			}
			return nil
		})
	}, records)
}

// BenchmarkFileSourceTransforms is the bench script's transform row in one process: the file
// source's lines with JsonConverter (schemas.enable=false), without and then through
// HoistField$Value, InsertField$Value (static field) and RegexRouter, side by side. Its
// cpu-ns/record is steadier than records/s on a shared machine.
// Run: go test ./worker -run '^$' -bench FileSourceTransforms -benchtime 1x -count 5 -cpuprofile cpu.out
func BenchmarkFileSourceTransforms(b *testing.B) {
	records, broker := benchSettings(b)
	in := filepath.Join(b.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte(strings.Repeat(strings.Repeat("x", 99)+"\n", records)), 0o600); err != nil {
		b.Fatal(err)
	}
	size := int64(records * 100)
	const conv = `"key.converter":"org.apache.kafka.connect.storage.StringConverter","value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false"`
	const chain = `,"transforms":"hoist,insert,route","transforms.hoist.type":"org.apache.kafka.connect.transforms.HoistField$Value","transforms.hoist.field":"line",` +
		`"transforms.insert.type":"org.apache.kafka.connect.transforms.InsertField$Value","transforms.insert.static.field":"origin","transforms.insert.static.value":"file",` +
		`"transforms.route.type":"RegexRouter","transforms.route.regex":"bench-(.*)","transforms.route.replacement":"routed-$1"`
	c := benchCluster(b, broker)
	run := func(b *testing.B, extra string) {
		name := fmt.Sprintf("bench-%d", time.Now().UnixNano())
		testcluster.MustDo(b, 201, "PUT", fmt.Sprintf("%s/connectors/%s/config", c.URL(0), name), fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":%q,%s%s}`, in, name, conv, extra))
		testcluster.Eventually(b, 5*time.Minute, func() error {
			if pos := committedPosition(b, c.URL(0), name); pos < size {
				return fmt.Errorf("position %d of %d", pos, size)
			}
			return nil
		})
		testcluster.MustDo(b, 204, "DELETE", fmt.Sprintf("%s/connectors/%s", c.URL(0), name), "")
	}
	// A first run, not measured, warms the worker and its producer for both rows alike.
	run(b, "")
	for _, tc := range []struct{ name, extra string }{{"transforms=0", ""}, {"transforms=3", chain}} {
		b.Run(tc.name, func(b *testing.B) {
			var total, cpu time.Duration
			for i := 0; i < b.N; i++ {
				start, cpuStart := time.Now(), cpuTime(b)
				run(b, tc.extra)
				total += time.Since(start)
				cpu += cpuTime(b) - cpuStart
			}
			b.ReportMetric(float64(records*b.N)/total.Seconds(), "records/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(records*b.N), "cpu-ns/record")
		})
	}
}

// benchMetricsOnOff runs one data-plane row as two sub-benchmarks, metrics.enable true and false,
// each on a one-node cluster of its own. run moves the records through a connector called name,
// unique to the run. Besides records/s (wall time, which the machine's other load sways) it
// reports the process's CPU time per record, which shows what collection costs more steadily.
func benchMetricsOnOff(b *testing.B, broker string, run func(b *testing.B, c *testcluster.Cluster, name string), records int) {
	for _, on := range []bool{true, false} {
		label := map[bool]string{true: "on", false: "off"}[on]
		b.Run("metrics="+label, func(b *testing.B) {
			c := benchCluster(b, broker, testcluster.With("metrics.enable", strconv.FormatBool(on)))
			var total, cpu time.Duration
			for i := 0; i < b.N; i++ {
				name := fmt.Sprintf("bench-%s-%d-%d", label, i, time.Now().UnixNano())
				start, cpuStart := time.Now(), cpuTime(b)
				run(b, c, name)
				total += time.Since(start)
				cpu += cpuTime(b) - cpuStart
			}
			b.ReportMetric(float64(records*b.N)/total.Seconds(), "records/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(records*b.N), "cpu-ns/record")
		})
	}
}

// cpuTime is the user and system CPU time this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchSettings reads the data-plane benchmarks' settings: BENCH_RECORDS (default 200,000) and
// BENCH_BROKER, the broker to use; without it an embedded one starts in this process.
func benchSettings(b *testing.B) (records int, broker string) {
	records, _ = strconv.Atoi(os.Getenv("BENCH_RECORDS"))
	if records <= 0 {
		records = 200000
	}
	if broker = os.Getenv("BENCH_BROKER"); broker == "" {
		broker = testcluster.StartBroker(b)
	}
	return records, broker
}

// benchCluster is a one-node cluster on broker that commits offsets often, as the bench script's does.
func benchCluster(b *testing.B, broker string, opts ...testcluster.Option) *testcluster.Cluster {
	return testcluster.New(b, 1, append([]testcluster.Option{testcluster.With("bootstrap.servers", broker), testcluster.With("offset.flush.interval.ms", "100")}, opts...)...)
}

func committedPosition(t testing.TB, url, name string) int64 {
	_, body := testcluster.Do(t, "GET", url+"/connectors/"+name+"/offsets", "")
	var out struct {
		Offsets []struct {
			Offset struct {
				Position int64 `json:"position"`
			} `json:"offset"`
		} `json:"offsets"`
	}
	if json.Unmarshal([]byte(body), &out) != nil || len(out.Offsets) == 0 {
		return 0
	}
	return out.Offsets[0].Offset.Position
}
