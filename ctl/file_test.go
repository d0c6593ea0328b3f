package ctl

import (
	"maps"
	"strings"
	"testing"
)

func TestParseConnectorFile(t *testing.T) {
	cases := []struct {
		name, in, wantName, wantErr string
		want                        map[string]string
	}{
		{name: "create request", in: `{"name":"a","config":{"connector.class":"X","tasks.max":2,"b":true}}`, wantName: "a",
			want: map[string]string{"name": "a", "connector.class": "X", "tasks.max": "2", "b": "true"}},
		{name: "flat config", in: `{"name":"a","connector.class":"X"}`, wantName: "a", want: map[string]string{"name": "a", "connector.class": "X"}},
		{name: "properties", in: "# c\nname=a\nconnector.class = X\nfile=${env:F}\n", wantName: "a",
			want: map[string]string{"name": "a", "connector.class": "X", "file": "${env:F}"}},
		{name: "empty", in: "  ", wantErr: "empty"},
		{name: "no name", in: `{"config":{"connector.class":"X"}}`, wantErr: `no "name"`},
		{name: "config not object", in: `{"name":"a","config":[1]}`, wantErr: "must be a JSON object"},
		{name: "nested value", in: `{"name":"a","x":{"y":1}}`, wantErr: `"x" must be a string`},
		{name: "broken JSON", in: `{"name":`, wantErr: "not JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name, config, err := ParseConnectorFile([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || name != tc.wantName || !maps.Equal(config, tc.want) {
				t.Fatalf("got %q %v %v", name, config, err)
			}
		})
	}
}

func FuzzParseConnectorFile(f *testing.F) {
	f.Add([]byte(`{"name":"a","config":{"k":"v"}}`))
	f.Add([]byte("name=a\nk=v\n"))
	f.Add([]byte(`{"name":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		name, config, err := ParseConnectorFile(data)
		if err == nil && (name == "" || config["name"] != name) {
			t.Fatalf("accepted %q with name %q and config %v", data, name, config)
		}
	})
}
