package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// TestOperatorRaftPeers: list-peers prints one line per server; remove-peer drops a dead voter
// so that the survivors' quorum no longer counts it.
func TestOperatorRaftPeers(t *testing.T) {
	c := testcluster.New(t, 3)
	leader := c.WaitLeader()
	var out bytes.Buffer
	if err := runOperator([]string{"raft", "list-peers", "--url", c.URL((leader + 1) % 3)}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.Contains(out.String(), "leader") || strings.Count(out.String(), " voter ") != 3 {
		t.Fatalf("list-peers:\n%s", out.String())
	}
	dead := (leader + 2) % 3
	deadID := c.Node(dead).NodeID()
	c.Kill(dead)
	// A loaded machine may see an election right now; operators retry as this does.
	testcluster.Eventually(t, 10*time.Second, func() error {
		out.Reset()
		return runOperator([]string{"raft", "remove-peer", "--id", deadID, "--url", c.URL((leader + 1) % 3)}, &out)
	})
	testcluster.Eventually(t, 10*time.Second, func() error {
		out.Reset()
		if err := runOperator([]string{"raft", "list-peers", "--url", c.URL(c.WaitLeader())}, &out); err != nil {
			return err
		}
		if strings.Contains(out.String(), deadID) {
			return fmt.Errorf("%s still listed:\n%s", deadID, out.String())
		}
		return nil
	})
	if err := runOperator([]string{"raft", "remove-peer", "--id", "nope", "--url", c.URL(c.WaitLeader())}, &out); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("removing an unknown peer: %v", err)
	}
}

// TestRecoveryFromLostQuorumWithPeersJSON: two of three nodes are lost for good; the survivor,
// restarted with a peers.json that names only itself, leads alone and takes writes, with the
// state it had.
func TestRecoveryFromLostQuorumWithPeersJSON(t *testing.T) {
	c := testcluster.New(t, 3)
	leader := c.WaitLeader()
	createAt(t, c.URL(leader), "before")
	survivor := (leader + 1) % 3
	// A write is committed once a majority has it; the survivor must be one of them.
	testcluster.Eventually(t, 10*time.Second, func() error {
		if c.Node(survivor).FSM().State().Connector("before") == nil {
			return fmt.Errorf("the survivor has not applied the write yet")
		}
		return nil
	})
	id := c.Node(survivor).NodeID()
	var addr string
	for _, s := range c.Node(survivor).Raft().GetConfiguration().Configuration().Servers {
		if string(s.ID) == id {
			addr = string(s.Address)
		}
	}
	dir := c.DataDir(survivor)
	for i := 0; i < 3; i++ {
		c.Kill(i)
	}
	peers, _ := json.Marshal([]map[string]any{{"id": id, "address": addr, "non_voter": false}})
	if err := os.WriteFile(filepath.Join(dir, "raft", "peers.json"), peers, 0o600); err != nil {
		t.Fatal(err)
	}
	c.Start(survivor)
	testcluster.Eventually(t, 20*time.Second, func() error {
		if !c.Node(survivor).IsLeader() {
			return fmt.Errorf("the survivor does not lead")
		}
		return nil
	})
	createAt(t, c.URL(survivor), "after")
	if c.Node(survivor).FSM().State().Connector("before") == nil {
		t.Fatal("the state from before the loss is gone")
	}
	if _, err := os.Stat(filepath.Join(dir, "raft", "peers.json")); err == nil {
		t.Fatal("peers.json was left in place: the next start would apply it again")
	}
}

func createAt(t *testing.T, url, name string) {
	t.Helper()
	testcluster.Eventually(t, 20*time.Second, func() error {
		code, body := httpDo(url+"/connectors", fmt.Sprintf(`{"name":%q,"config":{"connector.class":"FileStreamSource","file":"/nonexistent","topic":"t"}}`, name))
		if code != 201 && !(code == 409 && strings.Contains(body, "already exists")) {
			return fmt.Errorf("create %s: %d %s", name, code, body)
		}
		return nil
	})
}

func httpDo(url, body string) (int, string) {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
