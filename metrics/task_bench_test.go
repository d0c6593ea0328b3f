package metrics

import (
	"testing"
	"time"
)

// BenchmarkSourceBatchCalls is what collection costs a source task per polled batch: one op is
// the calls the runtime makes for one poll and its acknowledgement. Divided by the batch (2,000
// records for FileStreamSource) it is the per-record cost of metrics.enable=true.
func BenchmarkSourceBatchCalls(b *testing.B) {
	benchOnOff(b, false, func(n *Node, t *Task) func() {
		return func() {
			t.Polled(2000, time.Millisecond)
			t.Submitted(2000)
			t.Written(2000)
			n.ProducerBatch(2000)
		}
	})
}

// BenchmarkSinkBatchCalls is the same for a sink task's delivered batch (FileStreamSink's are
// about 250 records in BenchmarkFileSink); the partition's lag is resolved once per claim.
func BenchmarkSinkBatchCalls(b *testing.B) {
	benchOnOff(b, true, func(_ *Node, t *Task) func() {
		lag := t.PartitionLag(TopicPartition{Topic: "topic", Partition: 0})
		return func() {
			t.Read(250)
			lag.Set(1000)
			t.Put(250, time.Millisecond)
		}
	})
}

// benchOnOff runs the calls that calls returns on a task of a node with collection on, and on
// nil handles (off).
func benchOnOff(b *testing.B, sink bool, calls func(*Node, *Task) func()) {
	for _, on := range []bool{true, false} {
		b.Run(map[bool]string{true: "metrics=on", false: "metrics=off"}[on], func(b *testing.B) {
			var n *Node
			if on {
				n = New(Sources{})
			}
			batch := calls(n, n.NewTask("c", 0, sink))
			for b.Loop() {
				batch()
			}
		})
	}
}
