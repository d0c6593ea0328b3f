package plugins

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectd/connectd/connect"
)

// Malformed schemas in a JsonConverter envelope are errors, never panics: the first of these
// took a whole dev cluster down (issue 15).
func TestJSONConverterRejectsMalformedSchemas(t *testing.T) {
	c := &JSONConverter{}
	if err := c.Configure(map[string]string{}, false); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"schema":{"type":"struct","fields":[null]},"payload":{}}`, "field name not specified properly"},
		{`{"schema":{"type":"struct","fields":[7]},"payload":{}}`, "field name not specified properly"},
		{`{"schema":{"type":"struct","fields":[{"type":"int32"}]},"payload":{}}`, "field name not specified properly"},
		{`{"schema":{"type":"struct","fields":{}},"payload":{}}`, `"fields" argument is not an array`},
		{`{"schema":{"fields":[]},"payload":{}}`, "Schema must contain 'type' field"},
		{`{"schema":{"type":"struct","fields":[{"field":"a","type":"array","items":{"type":"nope"}}]},"payload":{}}`, "Unknown schema type: nope"},
		{`{"schema":"int32","payload":1}`, "Schema must be a JSON object"},
	} {
		_, _, err := c.ToConnectData("t", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.in, err, tc.want)
		}
	}
	// A struct field without a schema keeps the envelope JSON valid.
	s := &connect.Schema{Type: connect.Struct, Fields: []connect.Field{{Name: "a"}}}
	b, err := c.FromConnectData("t", s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ToConnectData("t", b); err == nil {
		t.Fatalf("a field without a type read back without error from %s", b)
	}
	if _, err := c.FromConnectData("t", s, (*connect.StructValue)(nil)); err == nil {
		t.Fatal("a nil struct converted")
	}
}

// failOnce fails its first write after writing half of it, as a full disk does.
type failOnce struct {
	f      *os.File
	failed bool
}

func (w *failOnce) Write(p []byte) (int, error) {
	if !w.failed {
		w.failed = true
		n, _ := w.f.Write(p[:len(p)/2])
		return n, errors.New("no space left on device")
	}
	return w.f.Write(p)
}

// A failed flush keeps what did not reach the file, so the next flush writes it: no line is
// lost between a failed flush and a later successful one.
func TestFileSinkKeepsUnwrittenLinesAfterAFailedFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	task := &fileSinkTask{}
	if err := task.Start(nil, map[string]string{"file": path}); err != nil {
		t.Fatal(err)
	}
	task.out.out = &failOnce{f: task.out.file}
	if err := task.Put([]*connect.SinkRecord{{Value: "one"}, {Value: "two"}, {Value: "three"}}); err != nil {
		t.Fatal(err)
	}
	if err := task.Flush(nil); err == nil {
		t.Fatal("the failed write was not reported")
	}
	if err := task.Put([]*connect.SinkRecord{{Value: "four"}}); err != nil {
		t.Fatal(err)
	}
	if err := task.Flush(nil); err != nil {
		t.Fatal(err)
	}
	task.Stop()
	got, _ := os.ReadFile(path)
	if string(got) != "one\ntwo\nthree\nfour\n" {
		t.Fatalf("file holds %q", got)
	}
}

// The automatic restart keys are validated like any key.
func TestRestartKeysAreValidated(t *testing.T) {
	r := New()
	str := func(s string) *string { return &s }
	infos, err := r.Validate(map[string]*string{"name": str("n"), "connector.class": str("FileStreamSource"), "topic": str("t"),
		"restart.policy": str("sometimes"), "restart.max.attempts": str("-2"), "restart.backoff.initial.ms": str("1000")}, ValidationContext{})
	if err != nil {
		t.Fatal(err)
	}
	errs := map[string][]string{}
	for _, c := range infos.Configs {
		if c.Value != nil && len(c.Value.Errors) > 0 {
			errs[c.Value.Name] = c.Value.Errors
		}
	}
	if len(errs["restart.policy"]) != 1 || len(errs["restart.max.attempts"]) != 1 || len(errs) != 2 {
		t.Fatalf("errors %v", errs)
	}
}

// A connector that panics while validating gets a 500 error, not a dropped connection.
func TestPluginCallTurnsPanicsIntoErrors(t *testing.T) {
	err := pluginCall("X", func() { panic("bad def") })
	var e *Error
	if !errors.As(err, &e) || e.Cause != CausePanicked || !strings.Contains(e.Message, "bad def") {
		t.Fatalf("%v", err)
	}
	if err := pluginCall("X", func() {}); err != nil {
		t.Fatal(err)
	}
}
