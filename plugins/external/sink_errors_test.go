package external_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// TestDestinationRefusalIsARecordFailure: a record the PostgreSQL destination refuses (a value
// its column cannot hold) is a record failure. With errors.tolerance=all it goes to the dead
// letter queue and the records around it are written; with none the task fails with the
// plugin's error.
func TestDestinationRefusalIsARecordFailure(t *testing.T) {
	pg := startPostgres(t)
	pg.mustQuery(t, `CREATE TABLE tolerant (id int PRIMARY KEY, n int); CREATE TABLE strict (id int PRIMARY KEY, n int)`)
	c := newCluster(t, 1)
	dir := t.TempDir()
	in, dlq := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "dlq.txt")
	// The destination writes what it gets in one call together and refuses all of it when one
	// row fails, so the bad row is appended alone, once the row before it is written.
	appendLine := func(line string) {
		t.Helper()
		f, err := os.OpenFile(in, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(line + "\n"); err != nil {
			t.Fatal(err)
		}
	}
	tableHolds := func(table, want string) {
		t.Helper()
		testcluster.Eventually(t, time.Minute, func() error {
			if got := pg.mustQuery(t, `SELECT coalesce(string_agg(id || ':' || n, ',' ORDER BY id), '') FROM `+table); got != want {
				return fmt.Errorf("table %s holds %q, want %q", table, got, want)
			}
			return nil
		})
	}
	appendLine(`{"id":1,"n":1}`)
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"in","config":{"connector.class":"FileStreamSource","file":%q,"topic":"rows",
		"value.converter":"org.apache.kafka.connect.storage.StringConverter"}}`, in))
	// One record per write, so that the destination refuses only the bad one; the key (the
	// destination's upsert key) is the row's id.
	sink := func(name, table, errors string) {
		testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":%q,"config":{"connector.class":"PostgresSink","url":%q,"table":%q,
			"topics":"rows","sdk.batch.size":"1","sdk.batch.delay":"0",%s,%s,
			"transforms":"key","transforms.key.type":"org.apache.kafka.connect.transforms.ValueToKey","transforms.key.fields":"id"}}`, name, pg.url(), table, jsonConverters, errors))
	}
	sink("tolerant", "tolerant", `"errors.tolerance":"all","errors.deadletterqueue.topic.name":"rows.dlq","errors.deadletterqueue.topic.replication.factor":"1"`)
	sink("strict", "strict", `"errors.tolerance":"none"`)
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"dlq","config":{"connector.class":"FileStreamSink","topics":"rows.dlq","file":%q,
		"key.converter":"org.apache.kafka.connect.storage.StringConverter","value.converter":"org.apache.kafka.connect.storage.StringConverter"}}`, dlq))

	tableHolds("tolerant", "1:1")
	tableHolds("strict", "1:1")
	appendLine(`{"id":2,"n":"two"}`)
	testcluster.Eventually(t, time.Minute, func() error {
		if lines := readLines(dlq); len(lines) != 1 || !strings.Contains(lines[0], `"two"`) {
			return fmt.Errorf("dead letter queue holds %q", lines)
		}
		return nil
	})
	appendLine(`{"id":3,"n":3}`)
	tableHolds("tolerant", "1:1,3:3")
	waitTask(t, c.URL(0), "tolerant", "RUNNING")
	body := waitTask(t, c.URL(0), "strict", "FAILED")
	if !strings.Contains(body, "Tolerance exceeded") || !strings.Contains(body, "plugin postgres failed to write record rows-") || !strings.Contains(body, "invalid input syntax") {
		t.Fatalf("the strict task's trace lacks the plugin's error: %s", body)
	}
	if got := pg.mustQuery(t, `SELECT string_agg(id::text, ',' ORDER BY id) FROM strict`); got != "1" {
		t.Fatalf("the strict sink went on past the refused record: %q", got)
	}
}
