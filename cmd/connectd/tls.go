package main

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/connectd/connectd/internal/certs"
)

// certValidity is how long generated certificates last: a development CA, rotated by remaking it.
const certValidity = 2 * 365 * 24 * time.Hour

func runTLS(args []string) error {
	if len(args) == 0 {
		return errors.New("tls: want 'ca' or 'cert'")
	}
	fs := flag.NewFlagSet("tls "+args[0], flag.ContinueOnError)
	dir := fs.String("dir", ".", "`directory` of the CA (ca.pem, ca-key.pem) and of the files written")
	name := fs.String("name", "", "node `name` of the certificate (its file is NAME.pem)")
	hosts := fs.String("hosts", "localhost,127.0.0.1", "comma-separated host names and IP `addresses` the certificate is valid for")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "ca":
		return writeCA(*dir)
	case "cert":
		if *name == "" || strings.ContainsAny(*name, `/\`) {
			return errors.New("tls cert: --name must be a plain node name")
		}
		path, err := writeCert(*dir, *name, strings.Split(*hosts, ","))
		if err == nil {
			fmt.Printf("wrote %s (private key and certificate, PEM)\n", path)
		}
		return err
	}
	return fmt.Errorf("tls: unknown subcommand %q: want 'ca' or 'cert'", args[0])
}

func writeCA(dir string) error {
	ca, err := certs.NewCA("connectd cluster CA", certValidity)
	if err != nil {
		return err
	}
	key, err := ca.KeyPEM()
	if err != nil {
		return err
	}
	if err := certs.WriteFile(filepath.Join(dir, "ca.pem"), ca.CertPEM); err != nil {
		return fmt.Errorf("tls ca: %w", err)
	}
	if err := certs.WriteFile(filepath.Join(dir, "ca-key.pem"), key); err != nil {
		return fmt.Errorf("tls ca: %w", err)
	}
	fmt.Printf("wrote %s and %s (keep ca-key.pem secret)\n", filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem"))
	return nil
}

func writeCert(dir, name string, hosts []string) (string, error) {
	ca, err := certs.LoadCA(filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem"))
	if err != nil {
		return "", fmt.Errorf("tls cert: %w (run 'connectd tls ca --dir %s' first)", err, dir)
	}
	cert, key, err := ca.Issue(name, hosts, certValidity)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name+".pem")
	if err := certs.WriteFile(path, append(key, cert...)); err != nil {
		return "", fmt.Errorf("tls cert: %w", err)
	}
	return path, nil
}
