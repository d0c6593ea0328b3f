package agent_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/testcluster"
)

// TestConfigProviderSecretsAreNeverStored runs a connector whose producer login comes from a
// FileConfigProvider placeholder: the task gets the secret, while REST, raft.db and the
// snapshots only ever hold the placeholder.
func TestConfigProviderSecretsAreNeverStored(t *testing.T) {
	const secret = "pa55-Wh1ch-Must-Not-Leak"
	secrets := t.TempDir()
	secretsFile := filepath.Join(secrets, "connector.properties")
	jaas := `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="` + secret + `";`
	if err := os.WriteFile(secretsFile, []byte("jaas="+jaas+"\nprotocol=PLAINTEXT\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(input, []byte("a\nb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := testcluster.New(t, 3,
		testcluster.With("bootstrap.servers", testcluster.StartBroker(t)),
		testcluster.With("config.providers", "file"),
		testcluster.With("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider"),
		testcluster.With("config.providers.file.param.allowed.paths", secrets),
	)
	c.WaitLeader()
	client := restClient{http: &http.Client{Timeout: 20 * time.Second}}
	jaasRef := "${file:" + secretsFile + ":jaas}"
	body := fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"secret-test","tasks.max":"1",
		"producer.override.sasl.jaas.config":%q,"producer.override.security.protocol":"${file:%s:protocol}"}`, input, jaasRef, secretsFile)
	testcluster.Eventually(t, 15*time.Second, func() error {
		if code, out := client.do(t, "PUT", c.URL(0)+"/connectors/s/config", body); code != http.StatusCreated && code != http.StatusOK {
			return fmt.Errorf("PUT: %d %s", code, out)
		}
		return nil
	})
	// The task can only run with the protocol resolved: the placeholder itself is no protocol.
	testcluster.Eventually(t, 20*time.Second, func() error {
		code, out := client.do(t, "GET", c.URL(1)+"/connectors/s/status", "")
		if code != 200 || !strings.Contains(out, `"tasks":[{"id":0,"state":"RUNNING"`) {
			return fmt.Errorf("status: %d %s", code, out)
		}
		return nil
	})

	var rest bytes.Buffer
	for i := 0; i < 3; i++ {
		for _, path := range []string{"/connectors/s/config", "/connectors/s", "/connectors/s/tasks", "/connectors/s/status", "/connectors?expand=info&expand=status"} {
			code, out := client.do(t, "GET", c.URL(i)+path, "")
			if code != 200 {
				t.Fatalf("GET %s: %d %s", path, code, out)
			}
			rest.WriteString(out)
		}
	}
	if strings.Contains(rest.String(), secret) {
		t.Fatal("REST output holds the secret")
	}
	if !strings.Contains(rest.String(), jaasRef) {
		t.Fatalf("GET config must return the placeholder as written: %s", rest.String())
	}

	for i := 0; i < 3; i++ {
		if err := c.Node(i).Raft().Snapshot().Error(); err != nil {
			t.Fatalf("snapshot on node %d: %v", i, err)
		}
	}
	c.Stop()
	dataDir := filepath.Dir(c.Prop(0, "data.dir"))
	var scanned int
	err := filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned++
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("%s holds the secret", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 6 {
		t.Fatalf("scanned only %d files under %s", scanned, dataDir)
	}
}
