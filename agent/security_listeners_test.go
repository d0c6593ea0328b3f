package agent_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/freeport"
	"github.com/connectd/connectd/internal/testcluster"
)

func TestAdminListenersAndCORS(t *testing.T) {
	adminURL := "http://127.0.0.1:" + strconv.Itoa(freeport.Take(t, 1)[0])
	c := testcluster.New(t, 1, testcluster.With("cluster.bootstrap.expect", "1"),
		testcluster.With("admin.listeners", adminURL),
		testcluster.With("access.control.allow.origin", "http://ui.example"),
		testcluster.With("access.control.allow.methods", "GET,PUT"))
	client := restClient{http: &http.Client{Timeout: 10 * time.Second}}
	for _, tt := range []struct {
		method, url string
		want        int
	}{
		{"GET", c.URL(0) + "/connectors", 200},
		{"GET", c.URL(0) + "/admin/loggers", 404},
		{"POST", c.URL(0) + "/connectd/leave", 404},
		{"GET", adminURL + "/admin/loggers", 200},
		{"GET", adminURL + "/connectors", 404},
	} {
		if code, body := client.do(t, tt.method, tt.url, ""); code != tt.want {
			t.Errorf("%s %s: %d %s, want %d", tt.method, tt.url, code, body, tt.want)
		}
	}

	cors := func(method, origin string, preflight bool) http.Header {
		req, _ := http.NewRequest(method, c.URL(0)+"/connectors", nil)
		req.Header.Set("Origin", origin)
		if preflight {
			req.Header.Set("Access-Control-Request-Method", "PUT")
		}
		resp, err := client.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header
	}
	if h := cors("GET", "http://ui.example", false); h.Get("Access-Control-Allow-Origin") != "http://ui.example" {
		t.Errorf("allowed origin: headers %v", h)
	}
	if h := cors("OPTIONS", "http://ui.example", true); h.Get("Access-Control-Allow-Methods") != "GET,PUT" {
		t.Errorf("preflight: headers %v", h)
	}
	if h := cors("GET", "http://evil.example", false); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin got CORS headers: %v", h)
	}
}
