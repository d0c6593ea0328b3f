package main

import (
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/connectd/connectd/agent"
	"github.com/connectd/connectd/config"
	"github.com/connectd/connectd/logging"
)

func runAgent(args []string) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	path := fs.String("config", "", "worker properties `file` (default: none, CONNECT_* variables only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Without --config every setting comes from CONNECT_* variables, as in containers.
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return err
	}
	levels := logging.New(cfg.LogLevel)
	logger := newLogger(levels, cfg.LogFormat)
	a, err := agent.Start(cfg, logger, levels)
	if err != nil {
		return err
	}
	logger.Info("connectd agent started", "node", cfg.NodeID, "rest", a.RESTURL())
	select {
	case <-signalled():
		logger.Info("shutting down")
		a.Shutdown()
	case <-a.Done():
		logger.Info("node left the cluster")
	}
	return nil
}

// newLogger logs to stderr at the levels /admin/loggers sets, in log.format.
func newLogger(levels *logging.Levels, format string) *slog.Logger {
	return logging.NewLogger(levels, format, os.Stderr)
}

func waitForSignal() { <-signalled() }

// signalled closes on SIGINT or SIGTERM.
func signalled() <-chan struct{} {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		<-ch
		signal.Stop(ch)
		close(done)
	}()
	return done
}
