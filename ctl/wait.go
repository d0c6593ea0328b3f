package ctl

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/connectd/connectd/internal/retry"
)

// waitFor waits, when --wait asks, until the connector and its tasks reach the wanted state,
// printing a progress line on standard error while it takes long.
func (r *runner) waitFor(ctx context.Context, name string) error {
	if r.o.wait == "" {
		return nil
	}
	want := strings.ToUpper(r.o.wait)
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, r.o.timeout)
	defer cancel()
	nextProgress := start.Add(r.o.progress)
	last := "no status yet"
	delays := retry.StatusPoll.Delays()
	for {
		var status connectorStatus
		_, _, err := r.c.do(ctx, http.MethodGet, "/connectors/"+url.PathEscape(name)+"/status", nil, &status)
		var apiErr *APIError
		switch {
		case err == nil:
			done, failure, summary := reached(status, want)
			if failure != "" {
				return waitError{fmt.Sprintf("connector %s failed while waiting for %s: %s", name, want, failure)}
			}
			if done {
				return nil
			}
			last = summary
		case errors.As(err, &apiErr) && apiErr.Code == http.StatusNotFound:
			// Just created: the status may not be written yet.
		case ctx.Err() == nil:
			return err
		}
		if now := time.Now(); now.After(nextProgress) {
			fmt.Fprintf(r.err, "waiting for connector %s to be %s: %s (%s)\n", name, want, last, now.Sub(start).Round(time.Second))
			nextProgress = now.Add(r.o.progress)
		}
		if !delays.Wait(ctx) {
			return waitError{fmt.Sprintf("connector %s not %s after %s: %s", name, want, r.o.timeout, last)}
		}
	}
}

// reached reports whether status is in the wanted state, a failure's first trace line when an
// instance failed, and a one-line summary for progress.
func reached(status connectorStatus, want string) (done bool, failure, summary string) {
	for _, s := range append([]instanceStatus{status.Connector}, status.Tasks...) {
		if s.State == "FAILED" && want != "STOPPED" {
			line, _, _ := strings.Cut(s.Trace, "\n")
			if line == "" {
				line = "FAILED"
			}
			return false, line, ""
		}
	}
	inState := 0
	for _, t := range status.Tasks {
		if t.State == want {
			inState++
		}
	}
	summary = fmt.Sprintf("connector %s, %d/%d tasks %s", status.Connector.State, inState, len(status.Tasks), want)
	if status.Connector.State != want {
		return false, "", summary
	}
	if want == "STOPPED" {
		// A stopped connector has no tasks.
		return len(status.Tasks) == 0, "", summary
	}
	return len(status.Tasks) > 0 && inState == len(status.Tasks), "", summary
}
