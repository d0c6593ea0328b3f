package agent_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/testcluster"
)

// The three write paths of issue A, side by side on one cluster: a REST write sent to a
// follower (forwarded to the leader), the same sent to the leader, and a bare raft.Apply.
// Run: go test ./agent -run '^$' -bench Write -benchtime 2000x

func benchPut(b *testing.B, url string) {
	client := &http.Client{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := fmt.Sprintf(`{"connector.class":"FileStreamSource","topic":"t","file":"/tmp/f%d"}`, i)
		req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/connectors/c%d/config", url, i%50), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != 201 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

func BenchmarkWriteRESTFollower(b *testing.B) {
	c := testcluster.New(b, 3)
	benchPut(b, c.URL((c.WaitLeader()+1)%3))
}

func BenchmarkWriteRESTLeader(b *testing.B) {
	c := testcluster.New(b, 3)
	benchPut(b, c.URL(c.WaitLeader()))
}

func BenchmarkWriteRaftApply(b *testing.B) {
	c := testcluster.New(b, 3)
	r := c.Node(c.WaitLeader()).Raft()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data, _ := fsm.Encode(&fsm.ConnectorPut{Name: fmt.Sprintf("c%d", i%50), Config: map[string]string{"name": "x"}})
		if err := r.Apply(data, 5*time.Second).Error(); err != nil {
			b.Fatal(err)
		}
	}
}
