package config

import (
	"net"
	"strings"
	"testing"
)

func TestParseListeners(t *testing.T) {
	got, err := parseListeners("listeners", "http://:8083, https://node1:8443")
	if err != nil || len(got) != 2 || got[0] != (Listener{"http", ":8083"}) || got[1] != (Listener{"https", "node1:8443"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"tcp://:1", "http://", "https://host", "http://h:1/path", "://x:1"} {
		if _, err := parseListeners("listeners", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	c, err := Parse(map[string]string{"data.dir": "/tmp/x", "node.id": "n", "listeners": "https://127.0.0.1:8443,http://127.0.0.1:8083", "admin.listeners": ""}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.AdvertisedURL(8443) != "https://127.0.0.1:8443" || !c.AdminListenersSet || len(c.AdminListeners) != 0 {
		t.Fatalf("advertised %s, admin %v %v", c.AdvertisedURL(8443), c.AdminListenersSet, c.AdminListeners)
	}
}

// FuzzParseListeners checks that no listener list crashes the parser and that what it accepts
// is an http or https listener with a port.
func FuzzParseListeners(f *testing.F) {
	f.Add("http://:8083,https://h:8443")
	f.Add("https://[::1]:1")
	f.Fuzz(func(t *testing.T, v string) {
		ls, err := parseListeners("listeners", v)
		if err != nil {
			return
		}
		for _, l := range ls {
			_, port, perr := net.SplitHostPort(l.Addr)
			if (l.Scheme != "http" && l.Scheme != "https") || perr != nil || port == "" || strings.Contains(l.Addr, ",") {
				t.Fatalf("%q accepted as %+v", v, l)
			}
		}
	})
}
