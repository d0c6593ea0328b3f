package agent_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/commit"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/signing"
	"github.com/connectd/connectd/internal/testcluster"
)

// signedApply builds a forwarded command for url's internal apply endpoint, signed with key at at.
func signedApply(t *testing.T, url string, cmd fsm.Command, key []byte, at time.Time) *http.Request {
	t.Helper()
	data, err := fsm.Encode(cmd)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url+commit.ApplyPath, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	signing.SignAt(req, key, data, at)
	return req
}

// send sends req, or a copy of it with the same headers and body, and returns the answer.
func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	again, _ := http.NewRequest(req.Method, req.URL.String(), bytes.NewReader(body))
	again.Header = req.Header.Clone()
	resp, err := http.DefaultClient.Do(again)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// waitSessionKey waits until node i has applied the leader's first signing key.
func waitSessionKey(t *testing.T, c *testcluster.Cluster, i int) fsm.SessionKeys {
	t.Helper()
	var keys fsm.SessionKeys
	testcluster.Eventually(t, 20*time.Second, func() error {
		if keys = c.Node(i).FSM().State().SessionKeys(); keys.Current == nil {
			return fmt.Errorf("node %d has no session key yet", i)
		}
		return nil
	})
	return keys
}

func loggerCmd(name string) *fsm.LoggerLevelSet {
	return &fsm.LoggerLevelSet{Level: fsm.LoggerLevel{Logger: name, Level: "DEBUG", SetAt: time.Now().UnixMilli()}}
}

func TestSignedInternalRequestsRefuseReplaysAndLeaderOnlyCommands(t *testing.T) {
	c := testcluster.New(t, 3)
	leader := c.WaitLeader()
	url := c.URL(leader)
	key := waitSessionKey(t, c, leader).Current

	first := signedApply(t, url, loggerCmd("org.example.first"), key, time.Now())
	if code, body := send(t, first); code != http.StatusOK {
		t.Fatalf("signed apply: %d %s", code, body)
	}
	if code, body := send(t, first); code != http.StatusForbidden || !strings.Contains(body, "already received") {
		t.Errorf("replayed apply: %d %s", code, body)
	}
	stale := signedApply(t, url, loggerCmd("org.example.stale"), key, time.Now().Add(-2*signing.Window))
	if code, body := send(t, stale); code != http.StatusForbidden || !strings.Contains(body, "expired") {
		t.Errorf("apply signed long ago: %d %s", code, body)
	}
	// The signature covers the path: a heartbeat's signature does not carry an apply.
	moved := signedApply(t, url, loggerCmd("org.example.moved"), key, time.Now())
	moved.URL.Path = commit.HeartbeatPath
	if code, body := send(t, moved); code != http.StatusForbidden || !strings.Contains(body, "invalid signature") {
		t.Errorf("apply's signature on the heartbeat path: %d %s", code, body)
	}
	for _, cmd := range []fsm.Command{
		&fsm.SessionKeyChange{Key: []byte("0123456789abcdef0123456789abcdef"), Created: time.Now().UnixMilli()},
		&fsm.AssignmentCommit{},
		&fsm.WorkerDeregister{Node: c.Node((leader + 1) % 3).NodeID()},
	} {
		if code, body := send(t, signedApply(t, url, cmd, key, time.Now())); code != http.StatusForbidden || !strings.Contains(body, "may not be forwarded") {
			t.Errorf("forwarded %T: %d %s", cmd, code, body)
		}
	}
	for _, l := range c.Node(leader).FSM().State().LoggerLevels() {
		if l.Logger != "org.example.first" {
			t.Errorf("a refused request set logger %s", l.Logger)
		}
	}
	if !bytes.Equal(c.Node(leader).FSM().State().SessionKey(), key) {
		t.Error("a forwarded command replaced the session key")
	}
}

func TestSessionKeyRotates(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.With("inter.worker.key.ttl.ms", "1000"))
	leader := c.WaitLeader()
	state := func() fsm.SessionKeys { return c.Node(leader).FSM().State().SessionKeys() }
	first := waitSessionKey(t, c, leader).Current
	var second []byte
	testcluster.Eventually(t, 20*time.Second, func() error {
		if k := state(); k.Current == nil || bytes.Equal(k.Current, first) {
			return fmt.Errorf("key not rotated yet")
		}
		second = state().Current
		return nil
	})
	// Right after a rotation the key before it still verifies, unless a second rotation passed.
	if k := state(); bytes.Equal(k.Previous, first) {
		if code, body := send(t, signedApply(t, c.URL(leader), loggerCmd("org.example.previous"), first, time.Now())); code != http.StatusOK && bytes.Equal(state().Previous, first) {
			t.Errorf("request signed with the previous key: %d %s", code, body)
		}
	}
	testcluster.Eventually(t, 20*time.Second, func() error {
		if k := state(); bytes.Equal(k.Current, second) || bytes.Equal(k.Previous, first) {
			return fmt.Errorf("second rotation not done yet")
		}
		return nil
	})
	if code, body := send(t, signedApply(t, c.URL(leader), loggerCmd("org.example.old"), first, time.Now())); code != http.StatusForbidden {
		t.Errorf("request signed with a key two rotations old: %d %s", code, body)
	}
	// Workers keep their leases and writes keep flowing through followers across rotations.
	put(t, c, (leader+1)%3, "after-rotations")
	c.WaitHealthy()
}
