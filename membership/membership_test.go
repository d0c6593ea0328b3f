package membership

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"
)

func freePort(t *testing.T) int {
	t.Helper()
	// memberlist binds TCP and UDP on the same port; a TCP probe is good enough on loopback.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func start(t *testing.T, id, group string) (*Membership, string) {
	t.Helper()
	port := freePort(t)
	m, err := New(Config{BindAddr: "127.0.0.1", BindPort: port, AdvertiseAddr: "127.0.0.1",
		Meta:          Meta{NodeID: id, RESTURL: "http://" + id, Session: id + "-s", GroupID: group},
		ProbeInterval: 100 * time.Millisecond, ProbeTimeout: 50 * time.Millisecond, GossipInterval: 20 * time.Millisecond,
		SuspicionMult: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m, "127.0.0.1:" + strconv.Itoa(port)
}

func eventually(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func statusOf(m *Membership, id string) (Member, bool) {
	for _, mem := range m.Members() {
		if mem.NodeID == id {
			return mem, true
		}
	}
	return Member{}, false
}

func TestJoinSeesMetadata(t *testing.T) {
	a, addrA := start(t, "a", "g")
	b, _ := start(t, "b", "g")
	if _, err := b.Join([]string{addrA}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		mem, ok := statusOf(a, "b")
		if !ok || mem.Status != StatusAlive || mem.RESTURL != "http://b" || mem.Session != "b-s" {
			return fmt.Errorf("a sees b as %+v (%v)", mem, ok)
		}
		return nil
	})
	meta := b.Local().Meta
	meta.Bootstrapped = true
	_ = b.UpdateMeta(meta, time.Second)
	eventually(t, func() error {
		if mem, _ := statusOf(a, "b"); !mem.Bootstrapped {
			return fmt.Errorf("metadata update not seen: %+v", mem)
		}
		return nil
	})
}

func TestLeaveIsNotFailure(t *testing.T) {
	a, addrA := start(t, "a", "g")
	b, _ := start(t, "b", "g")
	c, _ := start(t, "c", "g")
	for _, m := range []*Membership{b, c} {
		if _, err := m.Join([]string{addrA}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, func() error {
		if len(a.Members()) != 3 {
			return fmt.Errorf("members %v", a.Members())
		}
		return nil
	})
	if err := b.Leave(time.Second); err != nil {
		t.Fatal(err)
	}
	_ = c.Shutdown()
	eventually(t, func() error {
		left, _ := statusOf(a, "b")
		failed, _ := statusOf(a, "c")
		if left.Status != StatusLeft || failed.Status != StatusFailed {
			return fmt.Errorf("b is %s (want left), c is %s (want failed)", left.Status, failed.Status)
		}
		return nil
	})
}

func TestOtherGroupIsRefused(t *testing.T) {
	a, addrA := start(t, "a", "g")
	other, _ := start(t, "x", "another")
	if _, err := other.Join([]string{addrA}); err == nil {
		t.Fatal("a node of another group.id joined")
	}
	time.Sleep(300 * time.Millisecond)
	if _, ok := statusOf(a, "x"); ok {
		t.Fatal("the refused node is listed as a member")
	}
}

func TestAdvertisedHostNameIsResolved(t *testing.T) {
	port := freePort(t)
	m, err := New(Config{BindAddr: "127.0.0.1", BindPort: port, AdvertiseAddr: "localhost",
		Meta: Meta{NodeID: "h", GroupID: "g"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("a host name must be accepted: %v", err)
	}
	defer m.Shutdown()
	if addr := m.list.LocalNode().Addr.String(); addr != "127.0.0.1" {
		t.Fatalf("advertised %s, want 127.0.0.1", addr)
	}
}
