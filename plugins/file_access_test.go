package plugins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileStreamAllowedPaths(t *testing.T) {
	root := t.TempDir()
	allowed := filepath.Join(root, "files")
	if err := os.Mkdir(allowed, 0o700); err != nil {
		t.Fatal(err)
	}
	props := filepath.Join(root, "connectd.properties")
	if err := os.WriteFile(props, []byte("data.dir=/var/lib/connectd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(allowed, "props-link")
	if err := os.Symlink(props, link); err != nil {
		t.Fatal(err)
	}
	r := New()
	tests := []struct {
		class, file string
		allowed     []string
		refused     string
	}{
		{"FileStreamSource", props, []string{allowed}, "outside the directories of filestream.allowed.paths"},
		{"FileStreamSink", props, []string{allowed}, "outside the directories"},
		{"FileStreamSource", link, []string{allowed}, "outside the directories"},
		{"FileStreamSource", allowed + "/../connectd.properties", []string{allowed}, "outside the directories"},
		{"FileStreamSource", "in.txt", []string{allowed}, "give an absolute path"},
		{"FileStreamSource", filepath.Join(allowed, "in.txt"), nil, "use no file"},
		{"FileStreamSource", filepath.Join(allowed, "in.txt"), []string{allowed}, ""},
		{"FileStreamSink", filepath.Join(allowed, "new", "out.txt"), []string{allowed}, ""},
		{"FileStreamSource", props, []string{AllowAnyPath}, ""},
		{"FileStreamSource", "", nil, ""},
	}
	for _, tt := range tests {
		raw := map[string]*string{"connector.class": ptr(tt.class), "name": ptr("f"), "topic": ptr("t"), "topics": ptr("t"), "file": ptr(tt.file)}
		infos, err := r.Validate(raw, ValidationContext{WorkerGroupID: "g", FileStreamAllowedPaths: tt.allowed})
		if err != nil {
			t.Fatal(err)
		}
		var fileErrors []string
		for _, c := range infos.Configs {
			if c.Value != nil && c.Value.Name == "file" {
				fileErrors = c.Value.Errors
			}
		}
		got := strings.Join(fileErrors, "; ")
		if tt.refused == "" && got != "" || tt.refused != "" && !strings.Contains(got, tt.refused) {
			t.Errorf("%s file=%q allowed=%v: errors %q, want %q", tt.class, tt.file, tt.allowed, got, tt.refused)
		}
		if tt.refused != "" && infos.ErrorCount == 0 {
			t.Errorf("%s file=%q: refused file not counted as an error", tt.class, tt.file)
		}
	}
}
