package metrics

import (
	"testing"
	"time"
)

func TestRateWindowUsesTheLast30Seconds(t *testing.T) {
	start := time.Unix(1000, 0)
	var r rateWindow
	r.begin(start)
	if got := r.rate(start.Add(10*time.Second), 100); got != 10 {
		t.Fatalf("rate after 10 s and 100 records: %v", got)
	}
	r.rate(start.Add(40*time.Second), 400)
	// 70 s in: the window starts at the newest sample at least 30 s old (the one at 40 s).
	if got := r.rate(start.Add(70*time.Second), 1000); got != 20 {
		t.Fatalf("rate over the last window: %v, want 20", got)
	}
}

func TestRatiosFollowTheStates(t *testing.T) {
	n := New(Sources{})
	task := n.NewTask("c", 0, false)
	task.State("RUNNING")
	time.Sleep(60 * time.Millisecond)
	task.State("PAUSED")
	time.Sleep(60 * time.Millisecond)
	running, paused := task.ratios(time.Now())
	if running < 0.3 || running > 0.7 || paused < 0.3 || paused > 0.7 || running+paused > 1.0001 {
		t.Fatalf("running %v, paused %v after equal times in each", running, paused)
	}
}

func TestStatAndNilHandles(t *testing.T) {
	var s stat
	for _, v := range []int64{3, 9, 6} {
		s.observe(v)
	}
	if s.max.Load() != 9 || s.avg() != 6 {
		t.Fatalf("max %d avg %v", s.max.Load(), s.avg())
	}
	// Collection off: every call on nil handles is a no-op.
	var n *Node
	task := n.NewTask("c", 0, true)
	task.Read(5)
	task.Committed(time.Millisecond, nil)
	n.Request("/", "GET", 200, time.Millisecond)
	if task != nil {
		t.Fatal("a nil node handed out a task")
	}
}

func TestPartitionLagHandles(t *testing.T) {
	task := New(Sources{}).NewTask("c", 0, true)
	a, b := TopicPartition{Topic: "t", Partition: 0}, TopicPartition{Topic: "t", Partition: 1}
	task.Assigned([]TopicPartition{a, b})
	lagA, lagB := task.PartitionLag(a), task.PartitionLag(b)
	lagA.Set(7)
	lagB.Set(9)
	// A rebalance that keeps a keeps its handle; b's lag is forgotten.
	task.Assigned([]TopicPartition{a})
	lagA.Set(5)
	got := map[TopicPartition]int64{}
	task.eachLag(func(tp TopicPartition, lag int64) { got[tp] = lag })
	if len(got) != 1 || got[a] != 5 {
		t.Fatalf("lags after the rebalance: %v, want only %v at 5", got, a)
	}
	var off *Task
	off.PartitionLag(a).Set(1)
}
