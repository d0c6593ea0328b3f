package configprovider

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveWithEachProvider(t *testing.T) {
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets.properties")
	if err := os.WriteFile(secrets, []byte("db.password=hunter2\njaas=user=\"u\" password=\"p\";\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("tok-123"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := FromWorkerConfig(map[string]string{
		"config.providers":                             "file,dir,env",
		"config.providers.file.class":                  FileClass,
		"config.providers.file.param.allowed.paths":    dir,
		"config.providers.dir.class":                   DirectoryClass,
		"config.providers.env.class":                   EnvVarClass,
		"config.providers.env.param.allowlist.pattern": "APP_.*",
	}, []string{"APP_USER=alice", "HOME=/root"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Resolve(map[string]string{
		"password": "${file:" + secrets + ":db.password}",
		"jaas":     "${file:" + secrets + ":jaas}",
		"mixed":    "pre-${dir:" + dir + ":token}-${env::APP_USER}",
		"unknown":  "${vault:x:y}",
		"plain":    "value",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"password": "hunter2", "jaas": `user="u" password="p";`, "mixed": "pre-tok-123-alice", "unknown": "${vault:x:y}", "plain": "value"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}

	refused := []string{
		"${file:/etc/passwd:root}",                  // outside allowed.paths
		"${file:" + dir + "/../../etc/passwd:root}", // .. cannot escape
		"${env::HOME}",                              // outside allowlist.pattern
		"${dir:" + dir + ":../secrets.properties}",  // a key is a file name, not a path
		"${file:" + secrets + ":no.such.key}",       // a missing key is an error, not ""
	}
	for _, v := range refused {
		if _, err := p.Resolve(map[string]string{"k": v}); err == nil {
			t.Errorf("%s resolved", v)
		} else if strings.Contains(v, "passwd") && !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%s: %v, want ErrNotAllowed", v, err)
		}
	}
}

func TestRestoreKeepsPlaceholders(t *testing.T) {
	raw := map[string]string{"password": "${file:/s:p}", "topic": "t"}
	resolved := map[string]string{"password": "hunter2", "topic": "t"}
	generated := map[string]string{"password": "hunter2", "topic": "t", "task.id": "0"}
	got := Restore(raw, resolved, generated)
	if got["password"] != "${file:/s:p}" || got["topic"] != "t" || got["task.id"] != "0" {
		t.Fatalf("restored %v", got)
	}
}

func TestFromWorkerConfigRefusesBadProviders(t *testing.T) {
	for _, props := range []map[string]string{
		{"config.providers": "x"},
		{"config.providers": "x", "config.providers.x.class": "com.example.Vault"},
		{"config.providers": "f", "config.providers.f.class": FileClass, "config.providers.f.param.allowed.paths": "relative/dir"},
		{"config.providers": "e", "config.providers.e.class": EnvVarClass, "config.providers.e.param.allowlist.pattern": "("},
	} {
		if _, err := FromWorkerConfig(props, nil); err == nil {
			t.Errorf("%v accepted", props)
		}
	}
}

// FuzzResolve checks that no config value crashes resolution and that values without a
// placeholder come back unchanged.
func FuzzResolve(f *testing.F) {
	f.Add("${env::A}")
	f.Add("x${file:/tmp:y}z${")
	p, err := FromWorkerConfig(map[string]string{"config.providers": "env", "config.providers.env.class": EnvVarClass}, []string{"A=1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		out, err := p.Resolve(map[string]string{"k": v})
		if err == nil && !HasPlaceholder(v) && out["k"] != v {
			t.Fatalf("%q changed to %q", v, out["k"])
		}
	})
}
