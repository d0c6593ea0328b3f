package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/connectd/connectd/api"
)

// runOperator runs `connectd operator raft list-peers|remove-peer`, Consul's operator commands.
func runOperator(args []string, out io.Writer) error {
	if len(args) < 2 || args[0] != "raft" {
		return errors.New("operator: usage: connectd operator raft list-peers|remove-peer [flags]")
	}
	fs := flag.NewFlagSet("operator raft "+args[1], flag.ContinueOnError)
	base := fs.String("url", "http://localhost:8083", "REST `URL` of any node")
	client := &http.Client{Timeout: 30 * time.Second}
	switch args[1] {
	case "list-peers":
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		var peers []api.RaftPeer
		if err := getJSON(client, strings.TrimRight(*base, "/")+api.RaftPeersPath, &peers); err != nil {
			return fmt.Errorf("list-peers: %w", err)
		}
		fmt.Fprintf(out, "%-20s %-24s %-10s %s\n", "Node", "Address", "Suffrage", "State")
		for _, p := range peers {
			state := "follower"
			if p.Leader {
				state = "leader"
			}
			fmt.Fprintf(out, "%-20s %-24s %-10s %s\n", p.ID, p.Address, p.Suffrage, state)
		}
		return nil
	case "remove-peer":
		id := fs.String("id", "", "node `id` of the Raft server to remove")
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		if *id == "" {
			return errors.New("remove-peer: --id is required")
		}
		var cluster api.ClusterStatus
		if err := getJSON(client, strings.TrimRight(*base, "/")+api.ClusterPath, &cluster); err != nil {
			return fmt.Errorf("remove-peer: %w", err)
		}
		if cluster.LeaderURL == "" {
			return errors.New("remove-peer: the cluster has no leader; to recover from a lost quorum, see peers.json in the README")
		}
		req, _ := http.NewRequest(http.MethodDelete, strings.TrimRight(cluster.LeaderURL, "/")+api.RaftPeersPath+"/"+url.PathEscape(*id), nil)
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("remove-peer: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			body, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("remove-peer: %s: %s", resp.Status, body)
		}
		fmt.Fprintf(out, "removed %s from the Raft configuration\n", *id)
		return nil
	}
	return fmt.Errorf("operator raft: unknown command %q (list-peers or remove-peer)", args[1])
}

func getJSON(client *http.Client, u string, v any) error {
	resp, err := client.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, body)
	}
	return json.Unmarshal(body, v)
}
