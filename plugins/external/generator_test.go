package external_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// TestPluginsAreListedWithTheirParameters: discovery registers each plugin as a source and a
// sink class with its version, lists its parameters, validates them per key, and skips a file
// on plugin.path that is not a plugin.
func TestPluginsAreListedWithTheirParameters(t *testing.T) {
	dir := t.TempDir()
	src := pluginDir(t)
	for _, name := range []string{"conduit-connector-generator", "conduit-connector-postgres"} {
		if err := os.Symlink(filepath.Join(src, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "not-a-plugin"), []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := newCluster(t, 1, testcluster.With("plugin.path", dir))
	list := testcluster.MustDo(t, 200, "GET", c.URL(0)+"/connector-plugins", "")
	for _, want := range []string{
		`{"class":"io.conduit.connectors.GeneratorSourceConnector","type":"source","version":"v0.10.0"}`,
		`{"class":"io.conduit.connectors.PostgresSinkConnector","type":"sink","version":"v0.14.0"}`,
		`{"class":"io.conduit.connectors.PostgresSourceConnector","type":"source","version":"v0.14.0"}`,
	} {
		if !strings.Contains(list, want) {
			t.Errorf("GET /connector-plugins lacks %s: %s", want, list)
		}
	}
	if strings.Contains(list, "GeneratorSinkConnector") {
		t.Errorf("the generator has no destination, yet is listed as a sink: %s", list)
	}
	var keys []struct {
		Name     string  `json:"name"`
		Required bool    `json:"required"`
		Default  *string `json:"default_value"`
		Doc      string  `json:"documentation"`
	}
	if err := json.Unmarshal([]byte(testcluster.MustDo(t, 200, "GET", c.URL(0)+"/connector-plugins/PostgresSource/config", "")), &keys); err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for i, k := range keys {
		byName[k.Name] = i
	}
	if i, ok := byName["url"]; !ok || !keys[i].Required || keys[i].Doc == "" {
		t.Errorf("postgres source url parameter missing or not required: %+v", keys)
	}
	if _, ok := byName["tasks.max"]; !ok {
		t.Errorf("Kafka Connect's common keys not merged in: %+v", keys)
	}
	// Validation: the plugin's own rules per key; unknown keys are refused by its SDK.
	body := testcluster.MustDo(t, 200, "PUT", c.URL(0)+"/connector-plugins/GeneratorSource/config/validate",
		`{"connector.class":"GeneratorSource","name":"g","topic":"t","format.type":"xml","rate":"fast","typo.key":"1"}`)
	var infos struct {
		ErrorCount int `json:"error_count"`
		Configs    []struct {
			Value struct {
				Name   string   `json:"name"`
				Errors []string `json:"errors"`
			} `json:"value"`
		} `json:"configs"`
	}
	if err := json.Unmarshal([]byte(body), &infos); err != nil {
		t.Fatal(err)
	}
	errs := map[string]string{}
	for _, cfg := range infos.Configs {
		if len(cfg.Value.Errors) > 0 {
			errs[cfg.Value.Name] = strings.Join(cfg.Value.Errors, ";")
		}
	}
	for _, key := range []string{"format.type", "rate", "typo.key"} {
		if errs[key] == "" {
			t.Errorf("no error on %s: %s", key, body)
		}
	}
	if errs["topic"] != "" || infos.ErrorCount != 3 {
		t.Errorf("want exactly 3 errors, got %d: %v", infos.ErrorCount, errs)
	}
}

// TestGeneratorSourceToTopic runs the generator plugin as a source: its structured records
// arrive in the topic as JSON (through the configured converter), each exactly once, with the
// OpenCDC metadata as headers, and its position is committed as the connector's offset.
func TestGeneratorSourceToTopic(t *testing.T) {
	c := newCluster(t, 1)
	out := filepath.Join(t.TempDir(), "out.txt")
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", `{"name":"gen","config":{"connector.class":"GeneratorSource","topic":"generated",
		"recordCount":"500","format.type":"structured","format.options.id":"int","format.options.name":"string",
		"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false"}}`)
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"out","config":{"connector.class":"FileStreamSink","topics":"generated","file":%q,
		"value.converter":"org.apache.kafka.connect.storage.StringConverter"}}`, out))
	waitTask(t, c.URL(0), "gen", "RUNNING")
	testcluster.Eventually(t, 60*time.Second, func() error {
		if n := len(readLines(out)); n != 500 {
			return fmt.Errorf("%d of 500 records in the topic", n)
		}
		return nil
	})
	for _, line := range readLines(out)[:5] {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil || v["id"] == nil || v["name"] == nil {
			t.Fatalf("record %q is not the generated structure: %v", line, err)
		}
	}
	testcluster.Eventually(t, 20*time.Second, func() error {
		body := testcluster.MustDo(t, 200, "GET", c.URL(0)+"/connectors/gen/offsets", "")
		if !strings.Contains(body, `"partition":{"source":"generator"}`) || !strings.Contains(body, `"position"`) {
			return fmt.Errorf("offsets: %s", body)
		}
		return nil
	})
	// No more than recordCount: the generator stops after 500, and none is sent twice.
	time.Sleep(time.Second)
	if n := len(readLines(out)); n != 500 {
		t.Fatalf("%d records in the topic, want 500", n)
	}
}
