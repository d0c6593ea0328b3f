package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/connectd/connectd/api"
)

func runLeave(args []string) error {
	fs := flag.NewFlagSet("leave", flag.ContinueOnError)
	url := fs.String("url", "http://localhost:8083", "REST `URL` of the node to decommission (its admin listener when admin.listeners is set)")
	user := fs.String("user", os.Getenv("CONNECTD_REST_USER"), "`user:password` for REST Basic authentication (default: $CONNECTD_REST_USER)")
	caFile := fs.String("cacert", "", "PEM `file` of the CA that signed the node's https certificate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return fmt.Errorf("leave: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("leave: %s holds no PEM certificate", *caFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	client := &http.Client{Timeout: 2 * time.Minute, Transport: transport}
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(*url, "/")+api.LeavePath, nil)
	if err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	if name, password, ok := strings.Cut(*user, ":"); ok {
		req.SetBasicAuth(name, password)
	} else if *user != "" {
		return errors.New("leave: --user must be user:password")
	}
	resp, err := client.Do(req)
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
