// Package ctl is `connectd ctl`, a command-line client for any Kafka Connect REST API (connectd's
// first) with kcctl's verbs and nouns: tables for people, -o json for scripts, exit codes a
// script can test.
package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// URLEnv names the environment variable that lists the nodes to try, comma separated.
const URLEnv = "CONNECTD_URL"

// Usage is the help text of `connectd ctl`.
const Usage = `connectd ctl: drive a connectd (or any Kafka Connect) cluster.

Usage:
  connectd ctl [flags] get connectors|plugins|loggers|nodes
  connectd ctl [flags] get offsets NAME
  connectd ctl [flags] describe connector NAME
  connectd ctl [flags] apply -f FILE            create or update a connector (JSON or .properties)
  connectd ctl [flags] patch connector NAME -s KEY=VALUE... -r KEY...
  connectd ctl [flags] pause|resume|stop connector NAME
  connectd ctl [flags] restart connector NAME [--tasks] [--failed]
  connectd ctl [flags] delete connector NAME
  connectd ctl [flags] offsets alter NAME -f FILE   (connector must be stopped)
  connectd ctl [flags] offsets reset NAME
  connectd ctl [flags] logs level [LOGGER [LEVEL]]

Flags (anywhere on the line):
  --url URL[,URL...]   nodes to try in turn (default $CONNECTD_URL, else http://localhost:8083)
  -o, --output FORMAT  table (default) or json
  --wait STATE         after apply/resume/restart/pause/stop: wait for running, paused or stopped
  --timeout DURATION   longest --wait, and per request (default 60s)

Exit codes: 0 done; 1 the cluster refused (its message is printed); 2 usage; 3 no node
answered; 4 --wait ran out of time or the connector failed.
`

// options are the parsed command line.
type options struct {
	urls     []string
	output   string
	wait     string
	timeout  time.Duration
	file     string
	set      []string
	remove   []string
	tasks    bool
	failed   bool
	args     []string
	progress time.Duration
}

// valueFlags take a value: "--flag value" or "--flag=value".
var valueFlags = map[string]bool{"--url": true, "-o": true, "--output": true, "--wait": true, "--timeout": true,
	"-f": true, "--file": true, "-s": true, "--set": true, "-r": true, "--remove": true}

func parse(args []string, env func(string) string) (*options, error) {
	o := &options{output: "table", timeout: 60 * time.Second, progress: 2 * time.Second}
	url := env(URLEnv)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			o.args = append(o.args, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			o.args = append(o.args, a)
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		if valueFlags[name] && !hasValue {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("flag %s needs a value", name)
			}
			i++
			value = args[i]
		}
		switch name {
		case "--url":
			url = value
		case "-o", "--output":
			if value != "table" && value != "json" {
				return nil, fmt.Errorf("unknown output format %q: use table or json", value)
			}
			o.output = value
		case "--wait":
			value = strings.ToLower(value)
			if value != "running" && value != "paused" && value != "stopped" {
				return nil, fmt.Errorf("--wait takes running, paused or stopped, not %q", value)
			}
			o.wait = value
		case "--timeout":
			d, err := time.ParseDuration(value)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("--timeout takes a positive duration such as 30s, not %q", value)
			}
			o.timeout = d
		case "-f", "--file":
			o.file = value
		case "-s", "--set":
			o.set = append(o.set, value)
		case "-r", "--remove":
			o.remove = append(o.remove, value)
		case "--tasks", "--include-tasks":
			o.tasks = true
		case "--failed", "--only-failed":
			o.failed = true
		case "-h", "--help":
			return nil, errHelp
		default:
			return nil, fmt.Errorf("unknown flag %s", name)
		}
	}
	if url == "" {
		url = "http://localhost:8083"
	}
	for _, u := range strings.Split(url, ",") {
		if u = strings.TrimSpace(u); u != "" {
			if !strings.Contains(u, "://") {
				u = "http://" + u
			}
			o.urls = append(o.urls, u)
		}
	}
	if len(o.urls) == 0 {
		return nil, errors.New("--url names no node")
	}
	return o, nil
}

var errHelp = errors.New("help")

// usageError is a wrong command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// waitError is a --wait that did not end in the wanted state.
type waitError struct{ msg string }

func (e waitError) Error() string { return e.msg }

// Main runs `connectd ctl` with args (after "ctl") and returns the exit code.
func Main(args []string, env func(string) string, stdout, stderr io.Writer) int {
	o, err := parse(args, env)
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, Usage)
		return ExitOK
	}
	if err == nil && len(o.args) == 0 {
		fmt.Fprint(stderr, Usage)
		return ExitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "connectd ctl: %v\n", err)
		return ExitUsage
	}
	r := &runner{o: o, c: newClient(o.urls, o.timeout), out: stdout, err: stderr}
	err = r.run(context.Background())
	var apiErr *APIError
	var uErr usageError
	var wErr waitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &uErr):
		fmt.Fprintf(stderr, "connectd ctl: %v\nRun 'connectd ctl --help' for usage.\n", err)
		return ExitUsage
	case errors.As(err, &apiErr):
		// Kafka Connect's own message, as kcctl prints it.
		fmt.Fprintln(stderr, apiErr.Message)
		return ExitRefused
	case errors.Is(err, ErrUnreachable):
		fmt.Fprintf(stderr, "connectd ctl: %v\n", err)
		return ExitUnreachable
	case errors.As(err, &wErr):
		fmt.Fprintf(stderr, "connectd ctl: %v\n", err)
		return ExitWait
	}
	fmt.Fprintf(stderr, "connectd ctl: %v\n", err)
	return ExitRefused
}

// Run is Main on the process's arguments, environment and standard streams.
func Run(args []string) int { return Main(args, os.Getenv, os.Stdout, os.Stderr) }
