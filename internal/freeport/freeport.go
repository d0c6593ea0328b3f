// Package freeport finds loopback ports for tests whose servers stop and start again on them.
package freeport

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Take reserves n free loopback TCP ports (also free for UDP, which gossip needs). They lie
// below the kernel's ephemeral range: a server restarted on its ports must not find one taken as
// the local port of some outgoing connection, which a port the kernel handed out for ":0" can be.
func Take(t testing.TB, n int) []int {
	t.Helper()
	low := ephemeralLow()
	var ports []int
	seen := map[int]bool{}
	for attempts := 0; len(ports) < n; attempts++ {
		if attempts > 10000 {
			t.Fatalf("no %d free ports below %d", n, low)
		}
		port := 10000 + rand.IntN(low-10000)
		if seen[port] {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		udp, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		ln.Close()
		if err != nil {
			continue
		}
		udp.Close()
		seen[port] = true
		ports = append(ports, port)
	}
	return ports
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's default where unknown).
func ephemeralLow() int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil && v > 11000 {
				low = v
			}
		}
	}
	return low
}
