package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/connectd/connectd/internal/certs"
)

// devSecurity makes (or, in a reused data dir, reuses) a throwaway CA, a certificate for the
// loopback nodes, a gossip key and an admin password under dir, prints how to use them, and
// returns the worker settings that turn everything on.
func devSecurity(dir string, restPort int) (map[string]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dev --secure: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ca.pem")); errors.Is(err, fs.ErrNotExist) {
		if err := writeCA(dir); err != nil {
			return nil, err
		}
		if _, err := writeCert(dir, "node", []string{"localhost", "127.0.0.1"}); err != nil {
			return nil, err
		}
		gossip := make([]byte, 32)
		password := make([]byte, 12)
		if _, err := rand.Read(gossip); err != nil {
			return nil, err
		}
		if _, err := rand.Read(password); err != nil {
			return nil, err
		}
		if err := certs.WriteFile(filepath.Join(dir, "gossip.key"), []byte(base64.StdEncoding.EncodeToString(gossip))); err != nil {
			return nil, err
		}
		if err := certs.WriteFile(filepath.Join(dir, "users.properties"), []byte("admin="+hex.EncodeToString(password)+"\n")); err != nil {
			return nil, err
		}
	}
	gossip, err := os.ReadFile(filepath.Join(dir, "gossip.key"))
	if err != nil {
		return nil, fmt.Errorf("dev --secure: %w", err)
	}
	users, err := os.ReadFile(filepath.Join(dir, "users.properties"))
	if err != nil {
		return nil, fmt.Errorf("dev --secure: %w", err)
	}
	ca, node := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "node.pem")
	fmt.Printf("secure mode: CA %s; REST user and password in %s: %s", ca, filepath.Join(dir, "users.properties"), users)
	fmt.Printf("  try: curl --cacert %s -u admin:PASSWORD https://127.0.0.1:%d/connectors\n", ca, restPort)
	return map[string]string{
		"rest.extension.classes":                  "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension",
		"rest.basic.auth.credentials.file":        filepath.Join(dir, "users.properties"),
		"listeners.https.ssl.keystore.type":       "PEM",
		"listeners.https.ssl.keystore.location":   node,
		"listeners.https.ssl.truststore.type":     "PEM",
		"listeners.https.ssl.truststore.location": ca,
		"cluster.tls.ca.file":                     ca,
		"cluster.tls.cert.file":                   node,
		"cluster.tls.key.file":                    node,
		"cluster.gossip.key":                      string(gossip),
	}, nil
}
