package worker

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/kafka"
	"github.com/connectd/connectd/plugins"
	"github.com/connectd/connectd/transforms"
)

// BenchmarkSourceMessage is a source record's way from the task to the producer's message on
// the clean path: transforms (none), converters and the error handling around them, with the
// FileStreamSource row's record and converters. It isolates what the end-to-end rows of
// scripts/bench.sh see of the per-record machinery.
func BenchmarkSourceMessage(b *testing.B) {
	chain, err := transforms.NewChain(map[string]string{})
	if err != nil {
		b.Fatal(err)
	}
	r := &sourceRun{
		conv: converters{key: guardedConverter{plugins.StringConverter{}}, value: guardedConverter{plugins.StringConverter{}},
			header: plugins.SimpleHeaderConverter{}, chain: chain},
		errs:     &errorHandler{logger: slog.New(slog.NewTextHandler(io.Discard, nil)), sleep: sleepOrDone},
		producer: &batchProducer{settings: kafka.DefaultProducerSettings},
	}
	line := strings.Repeat("x", 99)
	rec := &connect.SourceRecord{Topic: "t", ValueSchema: connect.StringSchema, Value: line}
	ctx, now := context.Background(), time.Now()
	var msg message
	b.ReportAllocs()
	for b.Loop() {
		if keep, err := r.message(ctx, &msg, rec, now); !keep || err != nil {
			b.Fatal(keep, err)
		}
	}
}
