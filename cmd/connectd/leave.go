package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/connectd/connectd/api"
)

func runLeave(args []string) error {
	fs := flag.NewFlagSet("leave", flag.ContinueOnError)
	url := fs.String("url", "http://localhost:8083", "REST `URL` of the node to decommission")
	if err := fs.Parse(args); err != nil {
		return err
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Post(strings.TrimRight(*url, "/")+api.LeavePath, "application/json", nil)
	if err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("leave: %s: %s", resp.Status, body)
	}
	fmt.Printf("%s handed off its work and left the cluster\n", *url)
	return nil
}
