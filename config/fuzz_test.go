package config

import (
	"testing"

	"github.com/magiconair/properties"
)

// FuzzParse parses arbitrary worker properties files: a config or an error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("data.dir=/tmp/x\nnode.id=n1\nrest.port=8083\n"))
	f.Add([]byte("data.dir=/tmp/x\nnode.id=n1\noffset.flush.interval.ms=-5\nplugin.path=a,,b\n"))
	f.Add([]byte("data.dir = /tmp/x\\\n  y\nnode.id:n1\nbootstrap.servers=${env:X}\nlisteners=http://[::1]:x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := properties.Load(data, properties.UTF8)
		if err != nil {
			return
		}
		p.DisableExpansion = true
		_, _ = Parse(p.Map(), []string{"CONNECT_GROUP_ID=g"})
	})
}
