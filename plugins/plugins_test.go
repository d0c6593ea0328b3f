package plugins

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/connectd/connectd/connect"
)

type fakeTaskContext struct {
	offsets map[string]map[string]any
	task    int
}

func (f fakeTaskContext) Offset(p map[string]any) (map[string]any, error) {
	b, _ := json.Marshal(p)
	return f.offsets[string(b)], nil
}
func (f fakeTaskContext) WorkerID() string      { return "w:1" }
func (f fakeTaskContext) TaskID() int           { return f.task }
func (f fakeTaskContext) ConnectorName() string { return "c" }

func values(recs []*connect.SourceRecord) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Value.(string))
	}
	return out
}

func TestFileSourceSplitsLinesAndTracksPositions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, []byte("a\r\nbb\rccc\npartial"), 0o644); err != nil {
		t.Fatal(err)
	}
	task := &fileSourceTask{}
	if err := task.Start(fakeTaskContext{}, map[string]string{"file": path, "topic": "t", "batch.size": "2"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	recs, err := task.Poll(ctx)
	if err != nil || strings.Join(values(recs), ",") != "a,bb" {
		t.Fatalf("first batch %v %v", values(recs), err)
	}
	if recs[0].SourceOffset.Map()["position"] != int64(3) || recs[0].SourcePartition["filename"] != path {
		t.Fatalf("offset after \\r\\n: %v", recs[0].SourceOffset.Map())
	}
	recs, _ = task.Poll(ctx)
	if strings.Join(values(recs), ",") != "ccc" || recs[0].SourceOffset.Map()["position"] != int64(10) {
		t.Fatalf("second batch %v %v", values(recs), recs[0].SourceOffset.Map())
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("-done\n")
	f.Close()
	recs, _ = task.Poll(ctx)
	if strings.Join(values(recs), ",") != "partial-done" {
		t.Fatalf("partial line: %v", values(recs))
	}

	resumed := &fileSourceTask{}
	offsets := map[string]map[string]any{`{"filename":"` + path + `"}`: {"position": json.Number("10")}}
	if err := resumed.Start(fakeTaskContext{offsets: offsets}, map[string]string{"file": path, "topic": "t"}); err != nil {
		t.Fatal(err)
	}
	recs, _ = resumed.Poll(ctx)
	if strings.Join(values(recs), ",") != "partial-done" {
		t.Fatalf("resume from stored position: %v", values(recs))
	}
}

// TestFileSourceCarriageReturnAtEndOfData: a "\r" that ends the data read so far is decided
// only when the next byte arrives, so "\r\n" written in two steps is one terminator.
func TestFileSourceCarriageReturnAtEndOfData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, []byte("x\r"), 0o644); err != nil {
		t.Fatal(err)
	}
	task := &fileSourceTask{}
	if err := task.Start(fakeTaskContext{}, map[string]string{"file": path, "topic": "t"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if recs, err := task.Poll(ctx); err != nil || len(recs) != 0 {
		t.Fatalf("a line ended by a lone trailing \\r was emitted early: %v %v", values(recs), err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("\ny\n")
	f.Close()
	recs, err := task.Poll(ctx)
	if err != nil || strings.Join(values(recs), ",") != "x,y" || recs[0].SourceOffset.Map()["position"] != int64(3) || recs[1].SourceOffset.Map()["position"] != int64(5) {
		t.Fatalf("after the \\n arrived: %v %v", values(recs), err)
	}
}

// TestFileSourceReadsLinesLongerThanItsBuffer: lines of any length, across polls, each value
// intact after later polls (they share one string per poll) and each position exact.
func TestFileSourceReadsLinesLongerThanItsBuffer(t *testing.T) {
	var want []string
	var content strings.Builder
	var positions []int64
	for i := 0; i < 5000; i++ {
		line := fmt.Sprintf("line-%d-", i) + strings.Repeat("y", i%150)
		if i == 1234 {
			line = strings.Repeat("long", 50000)
		}
		terminator := "\n"
		if i%7 == 0 {
			terminator = "\r\n"
		}
		want = append(want, line)
		content.WriteString(line + terminator)
		positions = append(positions, int64(content.Len()))
	}
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, []byte(content.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	task := &fileSourceTask{}
	if err := task.Start(fakeTaskContext{}, map[string]string{"file": path, "topic": "t", "batch.size": "700"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for polls := 0; len(got) < len(want); polls++ {
		if polls > 100 {
			t.Fatalf("%d of %d lines after %d polls", len(got), len(want), polls)
		}
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if pos := r.SourceOffset.Map()["position"]; pos != positions[len(got)] {
				t.Fatalf("line %d: position %v, want %d", len(got), pos, positions[len(got)])
			}
			got = append(got, r.Value.(string))
		}
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("line %d is %.40q, want %.40q", i, got[i], want[i])
		}
	}
}

func TestFileSourceWaitsForMissingFile(t *testing.T) {
	task := &fileSourceTask{}
	_ = task.Start(fakeTaskContext{}, map[string]string{"file": filepath.Join(t.TempDir(), "none"), "topic": "t"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if recs, err := task.Poll(ctx); err != nil || len(recs) != 0 {
		t.Fatalf("missing file: %v %v", recs, err)
	}
}

func TestFileSinkAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	os.WriteFile(path, []byte("existing\n"), 0o644)
	task := &fileSinkTask{}
	if err := task.Start(nil, map[string]string{"file": path}); err != nil {
		t.Fatal(err)
	}
	s := connect.NewStruct(&connect.Schema{Type: connect.Struct, Fields: []connect.Field{{Name: "a", Schema: connect.Int32Schema}}})
	s.Put("a", 1)
	task.Put([]*connect.SinkRecord{{Value: "x"}, {Value: nil}, {Value: s}})
	task.Flush(nil)
	task.Stop()
	got, _ := os.ReadFile(path)
	if string(got) != "existing\nx\nnull\nStruct{a=1}\n" {
		t.Fatalf("sink file %q", got)
	}
	if err := (&fileSinkTask{}).Start(nil, map[string]string{"file": "/nonexistent/dir/f"}); err == nil || !strings.Contains(err.Error(), "Couldn't find or create file '/nonexistent/dir/f' for FileStreamSinkTask") {
		t.Fatalf("start failure: %v", err)
	}
}

// TestFileSinkTasksSharingAFileKeepLinesWhole: two tasks of one sink append to the same file at
// once, and every line must come out whole (a split line was a lost record).
func TestFileSinkTasksSharingAFileKeepLinesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	const perTask, batch = 20000, 50
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		task := &fileSinkTask{}
		if err := task.Start(nil, map[string]string{"file": path}); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perTask; i += batch {
				recs := make([]*connect.SinkRecord, batch)
				for j := range recs {
					recs[j] = &connect.SinkRecord{Value: fmt.Sprintf("task-%d-record-%d", w, i+j)}
				}
				if err := task.Put(recs); err != nil {
					t.Error(err)
				}
				if i%(10*batch) == 0 {
					task.Flush(nil)
				}
			}
			task.Stop()
		}()
	}
	wg.Wait()
	got, _ := os.ReadFile(path)
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(string(got), "\n"), "\n") {
		seen[line] = true
	}
	for w := 0; w < 2; w++ {
		for i := 0; i < perTask; i++ {
			if line := fmt.Sprintf("task-%d-record-%d", w, i); !seen[line] {
				t.Fatalf("%s is not a whole line of the file", line)
			}
		}
	}
	if len(seen) != 2*perTask {
		t.Fatalf("%d distinct lines, want %d", len(seen), 2*perTask)
	}
}

func TestFileSourceAlterOffsets(t *testing.T) {
	c := &FileStreamSource{}
	file := map[string]string{"file": "f"}
	tests := []struct {
		config  map[string]string
		offsets []connect.PartitionOffset
		want    string
	}{
		{map[string]string{}, nil, "Offsets cannot be modified if the 'file' configuration is unspecified."},
		{file, []connect.PartitionOffset{{Partition: map[string]any{"filename": "f"}, Offset: map[string]any{"pos": 1}}}, "Offset objects should either be null or contain the key 'position'"},
		{file, []connect.PartitionOffset{{Partition: map[string]any{"filename": "f"}, Offset: map[string]any{"position": "x"}}}, "expected to be a Long value"},
		{file, []connect.PartitionOffset{{Partition: map[string]any{"filename": "f"}, Offset: map[string]any{"position": -1}}}, "should be a non-negative value"},
		{file, []connect.PartitionOffset{{Offset: map[string]any{"position": 1}}}, "Partition objects cannot be null"},
		{file, []connect.PartitionOffset{{Partition: map[string]any{"x": 1}, Offset: map[string]any{"position": 1}}}, "Partition objects should contain the key 'filename'"},
		{file, []connect.PartitionOffset{{Partition: map[string]any{"filename": "f"}}}, ""},
	}
	for _, tt := range tests {
		_, err := c.AlterOffsets(tt.config, tt.offsets)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%v: got %v want %q", tt.offsets, err, tt.want)
		}
	}
}

func TestVerifiableSourceResumes(t *testing.T) {
	task := &verifiableSourceTask{}
	offsets := map[string]map[string]any{`{"id":"c","task":1}`: {"seqno": json.Number("41")}}
	if err := task.Start(fakeTaskContext{offsets: offsets, task: 1}, map[string]string{"topic": "t"}); err != nil {
		t.Fatal(err)
	}
	recs, _ := task.Poll(context.Background())
	var first VerifiableRecord
	json.Unmarshal([]byte(recs[0].Value.(string)), &first)
	if first.Seqno != 42 || first.Task != 1 || first.Node != "w:1" || recs[0].SourceOffset.Map()["seqno"] != int64(42) {
		t.Fatalf("first record %+v offset %v", first, recs[0].SourceOffset.Map())
	}
}

func TestJSONConverter(t *testing.T) {
	schema := &connect.Schema{Type: connect.Struct, Name: "rec", Fields: []connect.Field{
		{Name: "id", Schema: connect.Int64Schema}, {Name: "name", Schema: connect.OptionalStringSchema}}}
	s := connect.NewStruct(schema)
	s.Put("id", int64(7))
	s.Put("name", "x")
	c := &JSONConverter{}
	c.Configure(map[string]string{}, false)
	b, err := c.FromConnectData("t", schema, s)
	want := `{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"}],"optional":false,"name":"rec"},"payload":{"id":7,"name":"x"}}`
	if err != nil || string(b) != want {
		t.Fatalf("envelope\n got %s\nwant %s", b, want)
	}
	gotSchema, gotValue, err := c.ToConnectData("t", b)
	if err != nil || gotSchema.Name != "rec" || gotValue.(*connect.StructValue).Get("id") != int64(7) {
		t.Fatalf("round trip: %v %v %v", gotSchema, gotValue, err)
	}
	if b, _ := c.FromConnectData("t", connect.StringSchema, "hi"); string(b) != `{"schema":{"type":"string","optional":false},"payload":"hi"}` {
		t.Fatalf("string envelope %s", b)
	}
	// A source record without a key keeps it null in Kafka, envelope or not.
	if b, err := c.FromConnectData("t", nil, nil); b != nil || err != nil {
		t.Fatalf("no schema and no value: %q %v, want null", b, err)
	}
	if _, _, err := c.ToConnectData("t", []byte(`{"a":1}`)); err == nil || !strings.Contains(err.Error(), "schemas.enable=false") {
		t.Fatalf("plain JSON with schemas enabled: %v", err)
	}
	plainConv := &JSONConverter{}
	plainConv.Configure(map[string]string{"schemas.enable": "false"}, false)
	if b, _ := plainConv.FromConnectData("t", nil, map[string]any{"a": 1}); string(b) != `{"a":1}` {
		t.Fatalf("plain %s", b)
	}
	if _, v, _ := plainConv.ToConnectData("t", []byte(`{"a":1}`)); v.(map[string]any)["a"] != int64(1) {
		t.Fatalf("plain decode %v", v)
	}
}

func TestRegistryLookupAndListing(t *testing.T) {
	r := New()
	for _, name := range []string{"org.apache.kafka.connect.file.FileStreamSinkConnector", "FileStreamSinkConnector", "FileStreamSink"} {
		if p, ok := r.Lookup(name); !ok || p.Kind != KindSink {
			t.Errorf("lookup %s", name)
		}
	}
	if r.ConnectorType("VerifiableSource") != "source" || r.ConnectorType("nope") != "unknown" {
		t.Error("connector types")
	}
	list := r.List(true)
	if list[0].Type != "sink" || list[len(list)-1].Type != "source" {
		t.Errorf("sinks first, then sources: %+v", list)
	}
	all := r.List(false)
	kinds := map[string]bool{}
	for _, p := range all {
		kinds[p.Type] = true
	}
	if !kinds["converter"] || !kinds["header_converter"] || !kinds["transformation"] || all[len(all)-1].Type != "predicate" {
		t.Errorf("connectorsOnly=false must list converters, transformations and then predicates: %+v", all)
	}
	if _, err := r.ConfigKeys("Nope"); err == nil || err.Error() != "Unknown plugin Nope." {
		t.Errorf("unknown plugin: %v", err)
	}
	keys, _ := r.ConfigKeys("FileStreamSource")
	if keys[0].Name != "file" || keys[len(keys)-1].Name == "file" {
		t.Errorf("plugin keys first, then framework keys: %+v", keys[0])
	}
}

// TestTestPluginsOnlyOnRequest: a production registry lists no io.connectd.test.* connector.
func TestTestPluginsOnlyOnRequest(t *testing.T) {
	const failing = "io.connectd.test.FailingSourceConnector"
	r := New()
	for _, p := range r.List(false) {
		if strings.HasPrefix(p.Class, "io.connectd.test.") {
			t.Errorf("a production registry lists %s", p.Class)
		}
	}
	if _, ok := r.Lookup(failing); ok {
		t.Errorf("a production registry finds %s", failing)
	}
	r.AddTestPlugins()
	if p, ok := r.Lookup(failing); !ok || p.Kind != KindSource {
		t.Errorf("AddTestPlugins did not register %s", failing)
	}
}

func ptr(s string) *string { return &s }

func TestValidateMessages(t *testing.T) {
	r := New()
	vctx := ValidationContext{WorkerGroupID: "connect-cluster", TopicCreationEnable: true, OverridePolicy: "None"}
	tests := []struct {
		config map[string]*string
		want   []string
	}{
		{map[string]*string{"connector.class": ptr("FileStreamSource"), "name": ptr("")}, []string{
			"Invalid value  for configuration name: String may not be empty",
			`Missing required configuration "topic" which has no default value.`}},
		{map[string]*string{"connector.class": ptr("FileStreamSource"), "name": ptr("a\nb"), "topic": ptr("t"), "tasks.max": ptr("x")}, []string{
			"String may not contain control sequences but had the following ASCII chars: 10",
			"Invalid value x for configuration tasks.max: Not a number of type INT"}},
		{map[string]*string{"connector.class": ptr("FileStreamSink"), "name": ptr("s")}, []string{
			"Must configure one of topics or topics.regex"}},
		{map[string]*string{"connector.class": ptr("FileStreamSink"), "name": ptr("s"), "topics.regex": ptr("(")}, []string{
			"Invalid value ( for configuration topics.regex"}},
		{map[string]*string{"connector.class": ptr("FileStreamSink"), "name": ptr("cluster"), "topics": ptr("t"), "consumer.override.group.id": ptr("connect-cluster")}, []string{
			"Consumer group for sink connector named cluster conflicts with Connect worker group connect-cluster",
			"The 'None' policy does not allow 'group.id' to be overridden in the connector configuration."}},
		{map[string]*string{"connector.class": ptr("FileStreamSource"), "name": ptr("n"), "topic": nil, "errors.tolerance": ptr("some"), "transforms": ptr("a,a")}, []string{
			"Null value can not be supplied as the configuration value.",
			"String must be one of (case insensitive): none, all",
			"Duplicate alias provided."}},
		{map[string]*string{"connector.class": ptr("FileStreamSource"), "name": ptr("n"), "topic": ptr("t"), "topic.creation.default.partitions": ptr("3")}, []string{
			`Missing required configuration "topic.creation.default.replication.factor" which has no default value.`}},
		{map[string]*string{"connector.class": ptr("FileStreamSource"), "name": ptr("n"), "topic": ptr("t"), "value.converter": ptr("com.Nope")}, []string{
			"Invalid value com.Nope for configuration value.converter: Class com.Nope could not be found."}},
	}
	for i, tt := range tests {
		infos, err := r.Validate(tt.config, vctx)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		msg := InvalidConfigMessage(infos)
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("case %d: message lacks %q:\n%s", i, w, msg)
			}
		}
		if infos.ErrorCount == 0 {
			t.Errorf("case %d: error_count 0", i)
		}
	}
	good := map[string]*string{"connector.class": ptr("FileStreamSource"), "name": ptr("n"), "topic": ptr("t")}
	if infos, err := r.Validate(good, vctx); err != nil || infos.ErrorCount != 0 || infos.Groups[0] != "Common" {
		t.Fatalf("valid config: %+v %v", infos, err)
	}
	if _, err := r.Validate(map[string]*string{"b": ptr("2"), "a": nil}, vctx); err == nil || err.Error() != "Connector config {a=null, b=2} contains no connector type" {
		t.Fatalf("missing class: %v", err)
	}
}
