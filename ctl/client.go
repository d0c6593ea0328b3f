package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Exit codes a script can test.
const (
	ExitOK          = 0
	ExitRefused     = 1 // the cluster answered with an error (Kafka Connect's message is printed)
	ExitUsage       = 2 // the command line is wrong
	ExitUnreachable = 3 // no node answered
	ExitWait        = 4 // --wait ran out of time or the connector failed
)

// APIError is an error answer of the REST API, in Kafka Connect's shape.
type APIError struct {
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

func (e *APIError) Error() string { return e.Message }

// ErrUnreachable is returned when no URL answered.
var ErrUnreachable = errors.New("no connectd node answered")

// client talks to the first node of urls that answers.
type client struct {
	urls []string
	http *http.Client
}

// do sends a request to each URL in turn until one answers (any HTTP status), and decodes a
// 2xx JSON answer into out (when not nil). It returns the status and the raw body.
func (c *client) do(ctx context.Context, method, path string, body []byte, out any) (int, []byte, error) {
	var lastErr error
	for _, base := range c.urls {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, rd)
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %w", base, err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		resp, err := c.http.Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			lastErr = err
			continue
		}
		if resp.StatusCode >= 300 {
			apiErr := &APIError{Code: resp.StatusCode}
			if json.Unmarshal(data, apiErr) != nil || apiErr.Message == "" {
				apiErr.Message = strings.TrimSpace(resp.Status + " " + string(data))
			}
			return resp.StatusCode, data, apiErr
		}
		if out != nil && len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return resp.StatusCode, data, fmt.Errorf("%s %s: unexpected answer: %w", method, path, err)
			}
		}
		return resp.StatusCode, data, nil
	}
	return 0, nil, fmt.Errorf("%w (tried %s): %v", ErrUnreachable, strings.Join(c.urls, ", "), lastErr)
}

func newClient(urls []string, timeout time.Duration) *client {
	return &client{urls: urls, http: &http.Client{Timeout: timeout}}
}
