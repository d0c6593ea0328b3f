package external_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

const jsonConverters = `"key.converter":"org.apache.kafka.connect.json.JsonConverter","key.converter.schemas.enable":"false",` +
	`"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false"`

// createSource creates the source table with rows 1..n.
func createSource(t *testing.T, pg *pgServer, n int) {
	pg.mustQuery(t, fmt.Sprintf(`CREATE TABLE src (id int PRIMARY KEY, name text NOT NULL, n int NOT NULL);
		INSERT INTO src SELECT g, 'name-' || g, 0 FROM generate_series(1, %d) g`, n))
}

// auditRecord is a record of the topic as FileStreamSink wrote it (a tombstone is "null").
type auditRecord struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	N    int    `json:"n"`
}

// audit reads the topic's copy: how often each id was delivered, and each id's n values in
// delivery order.
func audit(path string) (seen map[int]int, ns map[int][]int) {
	seen, ns = map[int]int{}, map[int][]int{}
	for _, line := range readLines(path) {
		var r auditRecord
		if line == "null" || json.Unmarshal([]byte(line), &r) != nil {
			continue
		}
		seen[r.ID]++
		ns[r.ID] = append(ns[r.ID], r.N)
	}
	return seen, ns
}

func startPipeline(t *testing.T, c *testcluster.Cluster, pg *pgServer, out string, withDestination bool) {
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"pgsrc","config":{"connector.class":"PostgresSource",
		"url":%q,"tables":"src","topic":"pg.src","logrepl.withAvroSchema":"false",%s}}`, pg.url(), jsonConverters))
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"audit","config":{"connector.class":"FileStreamSink",
		"topics":"pg.src","file":%q,"key.converter":"org.apache.kafka.connect.storage.StringConverter","value.converter":"org.apache.kafka.connect.storage.StringConverter"}}`, out))
	if withDestination {
		testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"pgdst","config":{"connector.class":"PostgresSink",
			"url":%q,"table":"dst","topics":"pg.src",%s}}`, pg.url(), jsonConverters))
	}
}

// tableDigest summarises a table's rows, so that two tables can be compared.
const tableDigest = `SELECT count(*) || ':' || md5(coalesce(string_agg(id || ',' || name || ',' || n, ';' ORDER BY id), '')) FROM `

// TestPostgresSnapshotCDCAndDestination: a 100,000-row table is snapshotted to a topic (every
// row exactly once), then INSERT/UPDATE/DELETE are captured and delivered in commit order per
// key, and the PostgreSQL destination writes the topic into a second table until both are equal.
func TestPostgresSnapshotCDCAndDestination(t *testing.T) {
	pg := startPostgres(t)
	const rows = 100000
	createSource(t, pg, rows)
	pg.mustQuery(t, `CREATE TABLE dst (id int PRIMARY KEY, name text, n int)`)
	c := newCluster(t, 1)
	out := filepath.Join(t.TempDir(), "topic.jsonl")
	startPipeline(t, c, pg, out, true)
	waitTask(t, c.URL(0), "pgsrc", "RUNNING")

	testcluster.Eventually(t, 3*time.Minute, func() error {
		if seen, _ := audit(out); len(seen) < rows {
			return fmt.Errorf("%d of %d rows in the topic", len(seen), rows)
		}
		return nil
	})
	seen, _ := audit(out)
	for id := 1; id <= rows; id++ {
		if seen[id] != 1 {
			t.Fatalf("row %d delivered %d times on a clean snapshot", id, seen[id])
		}
	}

	// Changes, each its own transaction: five updates of one key, inserts, a delete.
	for n := 1; n <= 5; n++ {
		pg.mustQuery(t, fmt.Sprintf(`UPDATE src SET n = %d WHERE id = 7`, n))
	}
	pg.mustQuery(t, fmt.Sprintf(`INSERT INTO src SELECT g, 'new-' || g, 1 FROM generate_series(%d, %d) g`, rows+1, rows+100))
	pg.mustQuery(t, `DELETE FROM src WHERE id = 3`)
	pg.mustQuery(t, `UPDATE src SET name = 'renamed' WHERE id = 50`)
	want := pg.mustQuery(t, tableDigest+"src")
	testcluster.Eventually(t, 2*time.Minute, func() error {
		if got := pg.mustQuery(t, tableDigest+"dst"); got != want {
			lines := readLines(out)
			return fmt.Errorf("destination table %s, source table %s; topic has %d records, last %q", got, want, len(lines), lines[len(lines)-1])
		}
		return nil
	})
	_, ns := audit(out)
	if got := fmt.Sprint(ns[7]); got != "[0 1 2 3 4 5]" {
		t.Fatalf("key 7 delivered as n=%s, want the snapshot then the updates in commit order", got)
	}
}

// TestPostgresSourceNodeKilledNothingLost kills the node running the PostgreSQL source task
// mid-snapshot and again mid-stream: the task resumes elsewhere from its committed position and
// every row reaches the topic (at least once).
func TestPostgresSourceNodeKilledNothingLost(t *testing.T) {
	pg := startPostgres(t)
	const rows = 100000
	createSource(t, pg, rows)
	c := newCluster(t, 3)
	out := filepath.Join(t.TempDir(), "topic.jsonl")
	startPipeline(t, c, pg, out, false)

	killSourceNode := func(atLeast int) {
		t.Helper()
		testcluster.Eventually(t, 2*time.Minute, func() error {
			if seen, _ := audit(out); len(seen) < atLeast {
				return fmt.Errorf("%d rows in the topic, waiting for %d", len(seen), atLeast)
			}
			return nil
		})
		body := waitTask(t, c.URL(c.Leader()), "pgsrc", "RUNNING")
		victim := -1
		for i := 0; i < c.Size(); i++ {
			if c.Node(i) != nil && strings.Contains(body, `"worker_id":"`+strings.TrimPrefix(c.URL(i), "http://")+`"`) {
				victim = i
			}
		}
		if victim < 0 {
			t.Fatalf("no node runs the source task: %s", body)
		}
		c.Kill(victim)
		survivor := (victim + 1) % c.Size()
		testcluster.Eventually(t, time.Minute, func() error {
			body := waitTask(t, c.URL(survivor), "pgsrc", "RUNNING")
			if strings.Contains(body, strings.TrimPrefix(c.URL(victim), "http://")) {
				return fmt.Errorf("task still on the killed node: %s", body)
			}
			return nil
		})
		c.Start(victim)
		c.WaitHealthy()
	}

	killSourceNode(20000) // mid-snapshot
	testcluster.Eventually(t, 3*time.Minute, func() error {
		if seen, _ := audit(out); len(seen) < rows {
			return fmt.Errorf("%d of %d rows in the topic after the kill", len(seen), rows)
		}
		return nil
	})

	// Mid-stream: changes keep coming while the task's node dies.
	stop := make(chan struct{})
	inserted := make(chan int)
	go func() {
		next := rows + 1
		defer func() { inserted <- next - 1 }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := pg.query(fmt.Sprintf(`INSERT INTO src SELECT g, 'live-' || g, 0 FROM generate_series(%d, %d) g`, next, next+49)); err != nil {
				t.Error(err)
				return
			}
			next += 50
			time.Sleep(20 * time.Millisecond)
		}
	}()
	killSourceNode(rows + 500)
	close(stop)
	last := <-inserted
	testcluster.Eventually(t, 2*time.Minute, func() error {
		seen, _ := audit(out)
		for id := 1; id <= last; id++ {
			if seen[id] == 0 {
				return fmt.Errorf("row %d (of %d) has not arrived", id, last)
			}
		}
		return nil
	})
}

// TestDeletedPostgresSourceDropsItsSlot: deleting a PostgreSQL source runs the plugin's OnDeleted
// hook, which drops the replication slot and publication the source created, so the database
// stops keeping WAL for it; the last-active config is cleared after.
func TestDeletedPostgresSourceDropsItsSlot(t *testing.T) {
	pg := startPostgres(t)
	createSource(t, pg, 10)
	c := newCluster(t, 1)
	testcluster.MustDo(t, 201, "POST", c.URL(0)+"/connectors", fmt.Sprintf(`{"name":"pgslot","config":{"connector.class":"PostgresSource",
		"url":%q,"tables":"src","topic":"pg.slot","cdcMode":"logrepl","logrepl.slotName":"connectd_slot","logrepl.publicationName":"connectd_pub",%s}}`, pg.url(), jsonConverters))
	waitTask(t, c.URL(0), "pgslot", "RUNNING")
	const slots = `SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'connectd_slot') || ',' || (SELECT count(*) FROM pg_publication WHERE pubname = 'connectd_pub')`
	testcluster.Eventually(t, 60*time.Second, func() error {
		if got := pg.mustQuery(t, slots); got != "1,1" {
			return fmt.Errorf("slots,publications = %s, want 1,1", got)
		}
		return nil
	})

	testcluster.MustDo(t, 204, "DELETE", c.URL(0)+"/connectors/pgslot", "")
	testcluster.Eventually(t, 60*time.Second, func() error {
		if got := pg.mustQuery(t, slots); got != "0,0" {
			return fmt.Errorf("slots,publications = %s after the delete, want 0,0", got)
		}
		if la := c.Node(0).State().LastActiveConfig("pgslot"); la != nil {
			return fmt.Errorf("last-active config still held: %+v", la.Config)
		}
		return nil
	})
}
