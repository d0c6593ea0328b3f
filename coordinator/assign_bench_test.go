package coordinator

import (
	"fmt"
	"testing"

	"github.com/connectd/connectd/fsm"
)

// BenchmarkAssignScale computes the rounds that place 1,000 connectors with 10 tasks each on 3
// nodes: the connector round, then the task round.
func BenchmarkAssignScale(b *testing.B) {
	alive := []string{"W1", "W2", "W3"}
	connectorsOnly, full := map[string]int{}, map[string]int{}
	for i := 0; i < 1000; i++ {
		connectorsOnly[fmt.Sprintf("c%04d", i)] = 0
		full[fmt.Sprintf("c%04d", i)] = 10
	}
	for i := 0; i < b.N; i++ {
		first := Assign(fsm.Assignment{}, alive, connectorsOnly, t0, Options{Delay: 300000})
		second := Assign(first.Next, alive, full, t0, Options{Delay: 300000})
		if second.FollowUp {
			b.Fatal("not converged")
		}
	}
}
