package plugins

import (
	"strings"
	"testing"
)

func TestTasksMaxAboveTheLimitIsAValidationError(t *testing.T) {
	r := New()
	for _, tc := range []struct {
		tasksMax string
		errors   int
	}{{"1000", 0}, {"1001", 1}, {"2147483647", 1}} {
		class, topics, tasks := "FileStreamSink", "t", tc.tasksMax
		infos, err := r.Validate(map[string]*string{"connector.class": &class, "topics": &topics, "tasks.max": &tasks}, ValidationContext{TasksMaxLimit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, c := range infos.Configs {
			if c.Value != nil && c.Value.Name == "tasks.max" {
				msgs = c.Value.Errors
			}
		}
		if len(msgs) != tc.errors || (tc.errors > 0 && !strings.Contains(msgs[0], "no more than 1000")) {
			t.Fatalf("tasks.max=%s: errors %q, want %d naming the limit", tc.tasksMax, msgs, tc.errors)
		}
	}
}
