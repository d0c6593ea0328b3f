package main

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/freeport"
	"github.com/connectd/connectd/internal/testcluster"
)

// freeBlock finds n consecutive free loopback ports (TCP and UDP) and returns the first.
func freeBlock(t *testing.T, n int) int {
	t.Helper()
	for attempt := 0; attempt < 200; attempt++ {
		first := freeport.Take(t, 1)[0]
		if first+n > 32000 {
			continue
		}
		free := true
		for p := first; p < first+n && free; p++ {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				free = false
				break
			}
			udp, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(p))
			ln.Close()
			if err != nil {
				free = false
				break
			}
			udp.Close()
		}
		if free {
			return first
		}
	}
	t.Fatalf("no %d consecutive free ports", n)
	return 0
}

// TestTwoDevClustersSideBySide: two dev clusters on one machine, told apart only by --rest-port,
// both come up healthy: every port (REST, Raft, gossip, broker) derives from it.
func TestTwoDevClustersSideBySide(t *testing.T) {
	const nodes = 2
	block := 3*nodes + 1
	first := freeBlock(t, 2*block)
	for i, port := range []int{first, first + block} {
		stop, done := make(chan struct{}), make(chan struct{})
		var runErr error
		args := []string{"--nodes", strconv.Itoa(nodes), "--rest-port", strconv.Itoa(port), "--data-dir", t.TempDir(),
			"--set", "log.level=ERROR", "--set", "raft.heartbeat.timeout.ms=300", "--set", "raft.election.timeout.ms=300",
			"--set", "raft.leader.lease.timeout.ms=150", "--set", "gossip.probe.interval.ms=100", "--set", "gossip.probe.timeout.ms=50"}
		go func() {
			defer close(done)
			runErr = runDevUntil(args, stop)
		}()
		t.Cleanup(func() {
			close(stop)
			<-done
		})
		for n := 0; n < nodes; n++ {
			url := fmt.Sprintf("http://127.0.0.1:%d/health", port+n)
			testcluster.Eventually(t, 30*time.Second, func() error {
				select {
				case <-done:
					t.Fatalf("dev cluster %d stopped: %v", i, runErr)
				default:
				}
				resp, err := http.Get(url)
				if err != nil {
					return err
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					return fmt.Errorf("%s: %d", url, resp.StatusCode)
				}
				return nil
			})
		}
	}
}
