package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/internal/signing"
	"github.com/connectd/connectd/internal/testcluster"
)

// call sends one request and returns the status and body.
func call(t *testing.T, method, url, contentType, body string) (int, string, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

const jsonType = "application/json"

func sourceConfig(name string) string {
	return fmt.Sprintf(`{"name":%q,"config":{"connector.class":"FileStreamSource","file":"/tmp/in.txt","topic":"t","tasks.max":1}}`, name)
}

func errorBody(code int, msg string) string {
	b, _ := json.Marshal(map[string]any{"error_code": code, "message": msg})
	return string(b)
}

func TestContract(t *testing.T) {
	c := testcluster.New(t, 3)
	node := func(i int) string { return c.URL(i) }
	// Fixtures shared by the table: a source and a sink connector, created on node 1.
	for _, body := range []string{
		sourceConfig("src"),
		`{"name":"sink","config":{"connector.class":"org.apache.kafka.connect.file.FileStreamSinkConnector","topics":"t","file":"/tmp/out.txt"}}`,
	} {
		if code, resp, _ := call(t, "POST", node(1)+"/connectors", jsonType, body); code != http.StatusCreated {
			t.Fatalf("fixture: %d %s", code, resp)
		}
	}
	// Other nodes apply the fixtures a few milliseconds later.
	for i := 0; i < 3; i++ {
		testcluster.Eventually(t, 5*time.Second, func() error {
			if _, body, _ := call(t, "GET", node(i)+"/connectors", "", ""); !strings.Contains(body, `"sink"`) || !strings.Contains(body, `"src"`) {
				return fmt.Errorf("node %d lists %s", i, body)
			}
			return nil
		})
	}
	invalidSuffix := "\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"
	tests := []struct {
		name        string
		node        int
		method      string
		path        string
		contentType string
		body        string
		wantCode    int
		wantBody    string // exact JSON when set
		wantContain string
	}{
		{name: "root", method: "GET", path: "/", wantCode: 200, wantContain: `"version":"3.9.0"`},
		{name: "unknown route", method: "GET", path: "/nope", wantCode: 404, wantBody: errorBody(404, "HTTP 404 Not Found")},
		{name: "wrong method", method: "DELETE", path: "/connectors", wantCode: 405, wantBody: errorBody(405, "HTTP 405 Method Not Allowed")},
		{name: "list on another node", node: 2, method: "GET", path: "/connectors", wantCode: 200, wantContain: `"sink"`},
		{name: "get unknown", method: "GET", path: "/connectors/nope", wantCode: 404, wantBody: errorBody(404, "Connector nope not found")},
		{name: "config unknown", method: "GET", path: "/connectors/nope/config", wantCode: 404, wantBody: errorBody(404, "Connector nope not found")},
		{name: "tasks unknown", method: "GET", path: "/connectors/nope/tasks", wantCode: 404, wantBody: errorBody(404, "Connector nope not found")},
		{name: "status unknown", method: "GET", path: "/connectors/nope/status", wantCode: 404, wantBody: errorBody(404, "No status found for connector nope")},
		{name: "task status unknown", method: "GET", path: "/connectors/nope/tasks/0/status", wantCode: 404, wantBody: errorBody(404, "No status found for task nope-0")},
		{name: "task status not a number", method: "GET", path: "/connectors/src/tasks/x/status", wantCode: 404, wantBody: errorBody(404, "HTTP 404 Not Found")},
		{name: "delete unknown", node: 2, method: "DELETE", path: "/connectors/nope", wantCode: 404, wantBody: errorBody(404, "Connector nope not found")},
		{name: "pause unknown", method: "PUT", path: "/connectors/nope/pause", wantCode: 404, wantBody: errorBody(404, "Unknown connector nope")},
		{name: "resume unknown", method: "PUT", path: "/connectors/nope/resume", wantCode: 404, wantBody: errorBody(404, "Unknown connector nope")},
		{name: "stop unknown", method: "PUT", path: "/connectors/nope/stop", wantCode: 404, wantBody: errorBody(404, "Unknown connector nope")},
		{name: "restart unknown", method: "POST", path: "/connectors/nope/restart", wantCode: 404, wantBody: errorBody(404, "Unknown connector: nope")},
		{name: "task restart unknown connector", method: "POST", path: "/connectors/nope/tasks/0/restart", wantCode: 404, wantBody: errorBody(404, "Unknown connector: nope")},
		{name: "task restart unknown task", method: "POST", path: "/connectors/src/tasks/7/restart", wantCode: 404, wantBody: errorBody(404, "Unknown task: src-7")},
		{name: "patch unknown", method: "PATCH", path: "/connectors/nope/config", contentType: jsonType, body: `{"a":"b"}`, wantCode: 404, wantBody: errorBody(404, "Connector nope not found")},
		{name: "create existing from a follower", node: 2, method: "POST", path: "/connectors", contentType: jsonType, body: sourceConfig("src"), wantCode: 409, wantBody: errorBody(409, "Connector src already exists")},
		{name: "create with wrong content type", method: "POST", path: "/connectors", contentType: "text/plain", body: sourceConfig("x"), wantCode: 415, wantBody: errorBody(415, "HTTP 415 Unsupported Media Type")},
		{name: "create without content type", method: "POST", path: "/connectors", body: sourceConfig("x"), wantCode: 415, wantBody: errorBody(415, "HTTP 415 Unsupported Media Type")},
		{name: "create malformed JSON", method: "POST", path: "/connectors", contentType: jsonType, body: `{"name":"x",`, wantCode: 400, wantContain: "Malformed JSON"},
		{name: "create unknown field", method: "POST", path: "/connectors", contentType: jsonType, body: `{"name":"x","config":{},"bogus":1}`, wantCode: 400, wantContain: `bogus`},
		{name: "create without class", method: "POST", path: "/connectors", contentType: jsonType, body: `{"name":"x","config":{"topic":"t"}}`, wantCode: 400, wantContain: "contains no connector type"},
		{name: "create name mismatch", method: "POST", path: "/connectors", contentType: jsonType, body: `{"name":"x","config":{"name":"y","connector.class":"FileStreamSource","topic":"t"}}`, wantCode: 400, wantBody: errorBody(400, "Connector name configuration (y) doesn't match connector name in the URL (x)")},
		{name: "create invalid tasks.max", method: "POST", path: "/connectors", contentType: jsonType, body: `{"name":"x","config":{"connector.class":"FileStreamSource","topic":"t","tasks.max":"0"}}`, wantCode: 400, wantContain: "Connector configuration is invalid and contains the following 1 error(s):\\nInvalid value 0 for configuration tasks.max: Value must be at least 1"},
		{name: "create empty name", method: "POST", path: "/connectors", contentType: jsonType, body: `{"name":"  ","config":{"connector.class":"FileStreamSource","topic":"t"}}`, wantCode: 400, wantContain: "String may not be empty"},
		{name: "create name with slash", method: "POST", path: "/connectors", contentType: jsonType, body: `{"name":"a/b","config":{"connector.class":"FileStreamSource","topic":"t"}}`, wantCode: 400, wantContain: "/"},
		{name: "create unknown class", method: "POST", path: "/connectors", contentType: jsonType, body: `{"name":"x","config":{"connector.class":"com.example.Nope"}}`, wantCode: 400, wantContain: "Failed to find any class that implements Connector and which name matches com.example.Nope"},
		{name: "create bad initial state", method: "POST", path: "/connectors", contentType: jsonType, body: `{"name":"x","config":{"connector.class":"FileStreamSource","topic":"t"},"initial_state":"SLEEPING"}`, wantCode: 400, wantContain: "initial_state"},
		{name: "create null config value", method: "POST", path: "/connectors", contentType: jsonType, body: `{"name":"x","config":{"connector.class":"FileStreamSource","topic":null}}`, wantCode: 400, wantContain: "Null value can not be supplied as the configuration value."},
		{name: "put name mismatch", method: "PUT", path: "/connectors/x/config", contentType: jsonType, body: `{"name":"y","connector.class":"FileStreamSource","topic":"t"}`, wantCode: 400, wantBody: errorBody(400, "Connector name configuration (y) doesn't match connector name in the URL (x)")},
		{name: "put sink with topics and regex", method: "PUT", path: "/connectors/x/config", contentType: jsonType, body: `{"connector.class":"FileStreamSink","topics":"a","topics.regex":"b.*"}`, wantCode: 400, wantContain: "topics and topics.regex are mutually exclusive options, but both are set." + strings.ReplaceAll(invalidSuffix, "\n", "\\n")},
		{name: "put array body", method: "PUT", path: "/connectors/x/config", contentType: jsonType, body: `["a"]`, wantCode: 400, wantContain: "Malformed JSON"},
		{name: "put nested object value", method: "PUT", path: "/connectors/x/config", contentType: jsonType, body: `{"connector.class":{"a":1}}`, wantCode: 400, wantContain: "connector.class"},
		{name: "topics", method: "GET", path: "/connectors/src/topics", wantCode: 200, wantBody: `{"src":{"topics":[]}}`},
		{name: "topics reset", method: "PUT", path: "/connectors/src/topics/reset", wantCode: 202},
		{name: "offsets unknown", method: "GET", path: "/connectors/nope/offsets", wantCode: 404, wantBody: errorBody(404, "Connector nope not found")},
		{name: "internal task configs unsigned", method: "POST", path: "/connectors/src/tasks", contentType: jsonType, body: `[{}]`, wantCode: 400, wantBody: errorBody(400, "Internal request missing required signature")},
		{name: "internal fence unsigned", method: "PUT", path: "/connectors/src/fence", wantCode: 400, wantBody: errorBody(400, "Internal request missing required signature")},
		{name: "source offsets", method: "GET", path: "/connectors/src/offsets", wantCode: 200, wantBody: `{"offsets":[]}`},
		{name: "sink offsets without Kafka", method: "GET", path: "/connectors/sink/offsets", wantCode: 500, wantBody: errorBody(500, "Failed to retrieve consumer group offsets for sink connector sink")},
		{name: "plugins", method: "GET", path: "/connector-plugins", wantCode: 200, wantContain: `"class":"org.apache.kafka.connect.file.FileStreamSinkConnector","type":"sink"`},
		{name: "plugins with transforms", method: "GET", path: "/connector-plugins?connectorsOnly=false", wantCode: 200, wantContain: `{"class":"org.apache.kafka.connect.transforms.predicates.HasHeaderKey","type":"predicate","version":"3.9.0"}`},
		{name: "transform config", method: "GET", path: "/connector-plugins/org.apache.kafka.connect.transforms.HoistField$Value/config", wantCode: 200, wantContain: `"name":"field","type":"STRING","required":true`},
		{name: "plugin config unknown", method: "GET", path: "/connector-plugins/Nope/config", wantCode: 404, wantBody: errorBody(404, "Unknown plugin Nope.")},
		{name: "validate mismatch", method: "PUT", path: "/connector-plugins/FileStreamSink/config/validate", contentType: jsonType, body: `{"connector.class":"FileStreamSource"}`, wantCode: 400, wantBody: errorBody(400, "Included connector type FileStreamSource does not match request type FileStreamSink")},
		{name: "validate reports errors with 200", method: "PUT", path: "/connector-plugins/FileStreamSink/config/validate", contentType: jsonType, body: `{"connector.class":"FileStreamSink"}`, wantCode: 200, wantContain: `"error_count":`},
		{name: "oversized body", method: "PUT", path: "/connectors/x/config", contentType: jsonType, body: `{"k":"` + strings.Repeat("x", 2<<20) + `"}`, wantCode: 413},
		{name: "internal apply without signature", method: "POST", path: "/connectd/internal/apply", body: "x", wantCode: 400, wantBody: errorBody(400, "Internal request missing required signature")},
		{name: "loggers", method: "GET", path: "/admin/loggers", wantCode: 200, wantContain: `"root":{"level":"INFO","last_modified":null}`},
		{name: "logger unknown", method: "GET", path: "/admin/loggers/org.nope", wantCode: 404, wantBody: errorBody(404, "Logger org.nope not found.")},
		{name: "logger root any case", method: "GET", path: "/admin/loggers/ROOT", wantCode: 200, wantBody: `{"level":"INFO","last_modified":null}`},
		{name: "logger set without level", method: "PUT", path: "/admin/loggers/connectd.api", contentType: jsonType, body: `{}`, wantCode: 400, wantBody: errorBody(400, "Desired 'level' parameter was not specified in request.")},
		{name: "logger set invalid level", method: "PUT", path: "/admin/loggers/connectd.api", contentType: jsonType, body: `{"level":"LOUD"}`, wantCode: 400, wantBody: errorBody(400, "invalid log level 'LOUD'.")},
		{name: "logger set worker scope", method: "PUT", path: "/admin/loggers/connectd", contentType: jsonType, body: `{"level":"debug"}`, wantCode: 200, wantContain: `"connectd.api"`},
		{name: "logger set cluster scope", method: "PUT", path: "/admin/loggers/connectd.raft?scope=cluster", contentType: jsonType, body: `{"level":"WARN"}`, wantCode: 204},
		{name: "health", method: "GET", path: "/health", wantCode: 200, wantBody: `{"status":"healthy","message":"Worker has completed startup and is ready to handle requests."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, _ := call(t, tt.method, node(tt.node)+tt.path, tt.contentType, tt.body)
			body = strings.TrimSpace(body)
			if code != tt.wantCode {
				t.Fatalf("status %d, want %d; body %s", code, tt.wantCode, body)
			}
			if tt.wantBody != "" && body != tt.wantBody {
				t.Fatalf("body\n got %s\nwant %s", body, tt.wantBody)
			}
			if tt.wantContain != "" && !strings.Contains(body, tt.wantContain) {
				t.Fatalf("body %s does not contain %s", body, tt.wantContain)
			}
		})
	}
}

// TestWriteOnOneNodeReadOnAll covers create/update/patch/pause/stop/delete across nodes, with the
// status codes and Location header of the spec.
func TestWriteOnOneNodeReadOnAll(t *testing.T) {
	c := testcluster.New(t, 3)
	code, body, hdr := call(t, "POST", c.URL(1)+"/connectors", jsonType, sourceConfig("a"))
	if code != 201 || hdr.Get("Location") != c.URL(1)+"/connectors/a" {
		t.Fatalf("create: %d %s location %q", code, body, hdr.Get("Location"))
	}
	want := `{"name":"a","config":{"connector.class":"FileStreamSource","file":"/tmp/in.txt","name":"a","tasks.max":"1","topic":"t"},"tasks":[],"type":"source"}`
	if strings.TrimSpace(body) != want {
		t.Fatalf("create body %s", body)
	}
	// Every node reads the connector, once its task config is committed too (a create answers
	// before the connector has generated it).
	withTask := strings.Replace(want, `"tasks":[]`, `"tasks":[{"connector":"a","task":0}]`, 1)
	for i := 0; i < 3; i++ {
		testcluster.Eventually(t, 5*time.Second, func() error {
			code, got, _ := call(t, "GET", c.URL(i)+"/connectors/a", "", "")
			if code != 200 || strings.TrimSpace(got) != withTask {
				return fmt.Errorf("node %d: %d %s", i, code, got)
			}
			return nil
		})
	}
	if code, body, _ := call(t, "PUT", c.URL(2)+"/connectors/a/config", jsonType, `{"connector.class":"FileStreamSource","topic":"u"}`); code != 200 || !strings.Contains(body, `"topic":"u"`) {
		t.Fatalf("update: %d %s", code, body)
	}
	if code, _, hdr := call(t, "PUT", c.URL(2)+"/connectors/b/config", jsonType, `{"connector.class":"FileStreamSink","topics":"u"}`); code != 201 || hdr.Get("Location") == "" {
		t.Fatalf("upsert create: %d", code)
	}
	if code, body, _ := call(t, "PATCH", c.URL(0)+"/connectors/a/config", jsonType, `{"topic":"v","file":null}`); code != 200 || !strings.Contains(body, `"topic":"v"`) || strings.Contains(body, `"file"`) {
		t.Fatalf("patch: %d %s", code, body)
	}
	if code, body, _ := call(t, "PATCH", c.URL(0)+"/connectors/a/config", jsonType, `{"tasks.max":"-1"}`); code != 400 || !strings.Contains(body, "tasks.max") {
		t.Fatalf("invalid patch: %d %s", code, body)
	}
	for _, step := range []struct {
		path string
		code int
	}{{"/connectors/a/pause", 202}, {"/connectors/a/resume", 202}, {"/connectors/a/stop", 204}} {
		if code, body, _ := call(t, "PUT", c.URL(1)+step.path, "", ""); code != step.code || body != "" {
			t.Fatalf("%s: %d %q", step.path, code, body)
		}
	}
	if code, _, _ := call(t, "DELETE", c.URL(2)+"/connectors/b", "", ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	testcluster.Eventually(t, 5*time.Second, func() error {
		code, body, _ := call(t, "GET", c.URL(0)+"/connectors", "", "")
		if code != 200 || strings.TrimSpace(body) != `["a"]` {
			return fmt.Errorf("%d %s", code, body)
		}
		return nil
	})
}

// TestClusterScopedLoggerReachesEveryNode sets a level with scope=cluster on one node and reads it
// on all, including a node started afterwards.
func TestClusterScopedLoggerReachesEveryNode(t *testing.T) {
	c := testcluster.New(t, 3)
	if code, body, _ := call(t, "PUT", c.URL(0)+"/admin/loggers/connectd.worker?scope=cluster", jsonType, `{"level":"ERROR"}`); code != 204 {
		t.Fatalf("%d %s", code, body)
	}
	late := c.AddNode()
	for _, i := range []int{0, 1, 2, late} {
		testcluster.Eventually(t, 10*time.Second, func() error {
			code, body, _ := call(t, "GET", c.URL(i)+"/admin/loggers/connectd.worker", "", "")
			if code != 200 || !strings.Contains(body, `"level":"ERROR"`) || strings.Contains(body, "null") {
				return fmt.Errorf("node %d: %d %s", i, code, body)
			}
			return nil
		})
	}
}

func TestClusterStatusNamesTheLeader(t *testing.T) {
	c := testcluster.New(t, 3)
	leader := c.Node(c.WaitLeader()).NodeID()
	for i := 0; i < 3; i++ {
		testcluster.Eventually(t, 10*time.Second, func() error {
			code, body, _ := call(t, "GET", c.URL(i)+"/connectd/cluster", "", "")
			var st struct {
				NodeID    string `json:"node_id"`
				RaftState string `json:"raft_state"`
				Leader    string `json:"leader"`
				Members   []struct {
					NodeID string `json:"node_id"`
					Status string `json:"status"`
				} `json:"members"`
			}
			if err := json.Unmarshal([]byte(body), &st); err != nil || code != 200 {
				return fmt.Errorf("%d %s", code, body)
			}
			if st.NodeID == "" || st.Leader != leader || len(st.Members) != 3 || st.Members[0].Status != "alive" || (st.NodeID == leader) != (st.RaftState == "leader") {
				return fmt.Errorf("node %d: %s", i, body)
			}
			return nil
		})
	}
}

func TestInternalEndpointsKeepKafkasContract(t *testing.T) {
	c := testcluster.New(t, 3)
	for _, body := range []string{
		sourceConfig("src"),
		`{"name":"sink","config":{"connector.class":"FileStreamSink","topics":"t","file":"/tmp/out.txt"}}`,
		`{"name":"stopped","config":{"connector.class":"FileStreamSource","topic":"t","file":"/tmp/in.txt"},"initial_state":"STOPPED"}`,
	} {
		if code, resp, _ := call(t, "POST", c.URL(0)+"/connectors", jsonType, body); code != http.StatusCreated {
			t.Fatalf("fixture: %d %s", code, resp)
		}
	}
	testcluster.Eventually(t, 5*time.Second, func() error {
		if _, body, _ := call(t, "GET", c.URL(1)+"/connectors", "", ""); !strings.Contains(body, `"stopped"`) {
			return fmt.Errorf("node 1 lists %s", body)
		}
		return nil
	})
	key := c.Node(0).FSM().State().SessionKey()
	signed := func(method, path, body string, key []byte) (int, string) {
		req, _ := http.NewRequest(method, c.URL(1)+path, strings.NewReader(body))
		signing.Sign(req, key, []byte(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tt := range []struct {
		name, method, path, body string
		key                      []byte
		wantCode                 int
		wantBody                 string
	}{
		{"bad signature", "PUT", "/connectors/src/fence", "", []byte("not the key"), 403, errorBody(403, "Internal request contained invalid signature.")},
		{"fence a source", "PUT", "/connectors/src/fence", "", key, 204, ""},
		{"fence a sink", "PUT", "/connectors/sink/fence", "", key, 400, errorBody(400, "Connector sink is not a source connector")},
		{"fence unknown", "PUT", "/connectors/nope/fence", "", key, 404, errorBody(404, "Connector nope not found")},
		{"task configs for a stopped connector", "POST", "/connectors/stopped/tasks", `[{"x":"1"}]`, key, 400, errorBody(400, "Cannot submit non-empty set of task configs for stopped connector stopped")},
		{"task configs", "POST", "/connectors/src/tasks", `[{"task.class":"x"}]`, key, 204, ""},
	} {
		code, body := signed(tt.method, tt.path, tt.body, tt.key)
		if code != tt.wantCode || strings.TrimSpace(body) != tt.wantBody {
			t.Errorf("%s: got %d %s, want %d %s", tt.name, code, body, tt.wantCode, tt.wantBody)
		}
	}
}
