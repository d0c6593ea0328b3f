package testcluster

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Do sends a request to a node's REST API, with body as JSON when it is not empty, and returns
// the status code and the response body.
func Do(t testing.TB, method, url, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// MustDo is Do that fails the test unless the answer's status is want.
func MustDo(t testing.TB, want int, method, url, body string) string {
	t.Helper()
	code, resp := Do(t, method, url, body)
	if code != want {
		t.Fatalf("%s %s: %d %s (want %d)", method, url, code, resp, want)
	}
	return resp
}
