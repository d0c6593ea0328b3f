package plugins

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/connectd/connectd/connect"
)

// AllowAnyPath in filestream.allowed.paths lets FileStream connectors touch any file the
// process can (connectd dev's quick start).
const AllowAnyPath = "*"

// fileStreamClasses are the connectors whose "file" setting filestream.allowed.paths bounds.
var fileStreamClasses = map[string]bool{
	"org.apache.kafka.connect.file.FileStreamSourceConnector": true,
	"org.apache.kafka.connect.file.FileStreamSinkConnector":   true,
}

// checkFileAccess refuses a FileStream connector's file outside the worker's allowed
// directories, so that a REST user cannot read the node's own files (its properties, its Raft
// snapshots) or append to them. Standard input and output (no file) stay allowed.
func checkFileAccess(p *Plugin, raw map[string]*string, allowed []string) []connect.ConfigValue {
	v := raw["file"]
	if !fileStreamClasses[p.Class] || v == nil || *v == "" {
		return nil
	}
	if reason := fileRefusal(*v, allowed); reason != "" {
		return []connect.ConfigValue{{Name: "file", Value: v, Visible: true, Errors: []string{reason}}}
	}
	return nil
}

func fileRefusal(file string, allowed []string) string {
	for _, dir := range allowed {
		if dir == AllowAnyPath {
			return ""
		}
	}
	if len(allowed) == 0 {
		return fmt.Sprintf("File %s is not allowed: this worker lets FileStream connectors use no file (set filestream.allowed.paths to the directories they may use)", file)
	}
	if !filepath.IsAbs(file) {
		return fmt.Sprintf("File %s is not allowed: give an absolute path under filestream.allowed.paths (%s)", file, strings.Join(allowed, ","))
	}
	real := realPath(filepath.Clean(file))
	for _, dir := range allowed {
		d := realPath(filepath.Clean(dir))
		if real == d || strings.HasPrefix(real, strings.TrimSuffix(d, string(filepath.Separator))+string(filepath.Separator)) {
			return ""
		}
	}
	return fmt.Sprintf("File %s is not allowed: it is outside the directories of filestream.allowed.paths (%s)", file, strings.Join(allowed, ","))
}

// realPath follows symbolic links in the longest existing prefix of path, so that a link inside
// an allowed directory cannot point outside it.
func realPath(path string) string {
	rest := ""
	for p := path; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			if r, err := filepath.EvalSymlinks(p); err == nil {
				return filepath.Join(r, rest)
			}
			return path
		}
		if p == filepath.Dir(p) {
			return path
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}
