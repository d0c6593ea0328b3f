package plugins

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/connectd/connectd/connect"
)

// FileStreamSource is Kafka's example source connector: it tails a file (or stdin) into a topic,
// one record per line, with exactly one task.
type FileStreamSource struct {
	config map[string]string
}

// Version implements connect.Connector.
func (c *FileStreamSource) Version() string { return KafkaVersion }

// Start implements connect.Connector.
func (c *FileStreamSource) Start(_ connect.ConnectorContext, config map[string]string) error {
	c.config = config
	return nil
}

// TaskConfigs implements connect.Connector: always one task, whatever tasks.max says.
func (c *FileStreamSource) TaskConfigs(int) ([]map[string]string, error) {
	return []map[string]string{maps.Clone(c.config)}, nil
}

// Stop implements connect.Connector.
func (c *FileStreamSource) Stop() error { return nil }

// Config implements connect.Connector.
func (c *FileStreamSource) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "file", Type: connect.TypeString, NullDefault: true, Importance: connect.High, Documentation: "Source filename. If not specified, the standard input will be used"}).
		Define(connect.ConfigKey{Name: "topic", Type: connect.TypeString, Required: true, Validator: connect.NonEmptyString, Importance: connect.High, Documentation: "The topic to publish data to"}).
		Define(connect.ConfigKey{Name: "batch.size", Type: connect.TypeInt, Default: "2000", Importance: connect.Low, Documentation: "The maximum number of records the source task can read from the file each time it is polled"})
}

// AlterOffsets implements connect.OffsetAlterer with FileStreamSourceConnector's rules.
func (c *FileStreamSource) AlterOffsets(config map[string]string, offsets []connect.PartitionOffset) (bool, error) {
	if config["file"] == "" {
		return false, errors.New("Offsets cannot be modified if the 'file' configuration is unspecified. This is because stdin is used for input and offsets are not tracked.")
	}
	for _, po := range offsets {
		if po.Offset == nil {
			continue
		}
		pos, ok := po.Offset["position"]
		if !ok {
			return false, errors.New("Offset objects should either be null or contain the key 'position'")
		}
		n, ok := asInt64(pos)
		if !ok {
			return false, errors.New("The value for the 'position' key in the offset is expected to be a Long value")
		}
		if n < 0 {
			return false, errors.New("The value for the 'position' key in the offset should be a non-negative value")
		}
		if po.Partition == nil {
			return false, errors.New("Partition objects cannot be null")
		}
		if _, ok := po.Partition["filename"]; !ok {
			return false, errors.New("Partition objects should contain the key 'filename'")
		}
	}
	return true, nil
}

// asInt64 accepts the integer forms an offset can take after a JSON round trip.
func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		if n == math.Trunc(n) {
			return int64(n), true
		}
	}
	return 0, false
}

// fileSourceTask reads complete lines from the file, remembering the byte position after each.
type fileSourceTask struct {
	ctx       connect.SourceTaskContext
	filename  string
	topic     string
	batchSize int

	in       io.ReadCloser
	reader   *bufio.Reader
	position int64
	// text holds the lines read by a poll, then the line not yet complete.
	text []byte
	// ends, slab and recs are reused by every poll: the worker is done with a poll's records
	// by the next one (see connect.SourceTask).
	ends []lineEnd
	slab []connect.SourceRecord
	recs []*connect.SourceRecord
	// sourcePartition is shared by every record; the runtime recognises a map it has seen.
	sourcePartition map[string]any
}

func (t *fileSourceTask) Start(ctx connect.SourceTaskContext, config map[string]string) error {
	t.ctx, t.filename, t.topic = ctx, config["file"], config["topic"]
	t.sourcePartition = map[string]any{"filename": t.filename}
	t.batchSize = 2000
	if v := config["batch.size"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("Invalid value %s for configuration batch.size: Not a number of type INT", v)
		}
		t.batchSize = n
	}
	return nil
}

func (t *fileSourceTask) open(ctx context.Context) (bool, error) {
	if t.filename == "" {
		t.in = io.NopCloser(os.Stdin)
		t.reader = bufio.NewReader(t.in)
		return true, nil
	}
	f, err := os.Open(t.filename)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			// Kafka's task waits for the file to appear.
			sleep(ctx, time.Second)
			return false, nil
		}
		return false, err
	}
	offset, err := t.ctx.Offset(t.sourcePartition)
	if err != nil {
		f.Close()
		return false, err
	}
	if offset != nil {
		pos, ok := asInt64(offset["position"])
		if !ok {
			f.Close()
			return false, errors.New("Offset position is the incorrect type")
		}
		if _, err := f.Seek(pos, io.SeekStart); err != nil {
			f.Close()
			return false, err
		}
		t.position = pos
	}
	t.in, t.reader = f, bufio.NewReaderSize(f, 64*1024)
	return true, nil
}

// Poll returns the complete lines available now, at most batch.size of them.
func (t *fileSourceTask) Poll(ctx context.Context) ([]*connect.SourceRecord, error) {
	if t.in == nil {
		if ok, err := t.open(ctx); !ok || err != nil {
			return nil, err
		}
	}
	// One timestamp for the lines read together: a clock read per line showed in the source's profile.
	now := time.Now()
	ends := t.ends[:0]
	lineStart := 0
	for len(ends) < t.batchSize {
		if t.reader.Buffered() == 0 {
			if _, err := t.reader.Peek(1); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, err
			}
		}
		// Take the line's content up to its terminator in one step.
		buf, _ := t.reader.Peek(t.reader.Buffered())
		end := bytes.IndexByte(buf, '\n')
		if end < 0 {
			end = len(buf)
		}
		if cr := bytes.IndexByte(buf[:end], '\r'); cr >= 0 {
			end = cr
		}
		t.text = append(t.text, buf[:end]...)
		t.position += int64(end)
		_, _ = t.reader.Discard(end)
		if end == len(buf) {
			continue
		}
		terminator := 1
		if buf[end] == '\r' {
			// As Kafka's task does, decide between "\r" and "\r\n" only once the next byte is
			// there, so that the stored position never splits "\r\n".
			next, err := t.reader.Peek(2)
			if err != nil {
				break
			}
			if next[1] == '\n' {
				terminator = 2
			}
		}
		_, _ = t.reader.Discard(terminator)
		t.position += int64(terminator)
		lineStart = len(t.text)
		ends = append(ends, lineEnd{lineStart, t.position})
	}
	t.ends = ends
	if len(ends) == 0 {
		// Caught up: an idle task holds no records.
		t.ends, t.slab, t.recs = nil, nil, nil
		sleep(ctx, time.Second)
		return nil, nil
	}
	records := t.records(string(t.text[:lineStart]), ends, &now)
	t.text = append(t.text[:0], t.text[lineStart:]...)
	return records, nil
}

// lineEnd is where a line ends in a poll's text, and the file position after its terminator.
type lineEnd struct {
	text     int
	position int64
}

// records makes the records of a poll's lines, which share one string; the records are the
// previous poll's, reused. A string, a record and an offset map allocated per line showed in the
// source's profile.
func (t *fileSourceTask) records(text string, ends []lineEnd, at *time.Time) []*connect.SourceRecord {
	if len(t.slab) < len(ends) {
		t.slab = make([]connect.SourceRecord, len(ends))
		t.recs = make([]*connect.SourceRecord, len(ends))
		for i := range t.slab {
			t.slab[i] = connect.SourceRecord{Topic: t.topic, ValueSchema: connect.StringSchema}
			if t.filename != "" {
				t.slab[i].SourcePartition = t.sourcePartition
			}
			t.recs[i] = &t.slab[i]
		}
	}
	// The worker keeps offsets until it commits them, so they are not reused.
	positions := make([]filePosition, len(ends))
	start := 0
	for i, end := range ends {
		// Only what differs from the previous poll's record is set: copying whole records
		// showed in the profile.
		rec := &t.slab[i]
		rec.Value, rec.Timestamp = text[start:end.text], at
		if t.filename != "" {
			positions[i] = filePosition(end.position)
			rec.SourceOffset = &positions[i]
		}
		start = end.text
	}
	return t.recs[:len(ends)]
}

// filePosition is a FileStreamSource record's offset, {"position": n}; a pointer into a poll's
// slab of them, so that a record's offset costs no allocation of its own.
type filePosition int64

func (p *filePosition) Map() map[string]any { return map[string]any{"position": int64(*p)} }

func (t *fileSourceTask) Commit() error { return nil }

func (t *fileSourceTask) Stop() error {
	if t.in != nil && t.filename != "" {
		return t.in.Close()
	}
	return nil
}

// FileStreamSink is Kafka's example sink connector: it appends each record's value to a file
// (or stdout).
type FileStreamSink struct {
	config map[string]string
}

// Version implements connect.Connector.
func (c *FileStreamSink) Version() string { return KafkaVersion }

// Start implements connect.Connector.
func (c *FileStreamSink) Start(_ connect.ConnectorContext, config map[string]string) error {
	c.config = config
	return nil
}

// TaskConfigs implements connect.Connector: tasks.max identical tasks.
func (c *FileStreamSink) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks)
	for i := range out {
		out[i] = maps.Clone(c.config)
	}
	return out, nil
}

// Stop implements connect.Connector.
func (c *FileStreamSink) Stop() error { return nil }

// Config implements connect.Connector.
func (c *FileStreamSink) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "file", Type: connect.TypeString, NullDefault: true, Importance: connect.High, Documentation: "Destination filename. If not specified, the standard output will be used"})
}

// AlterOffsets implements connect.OffsetAlterer: sink offsets are the framework's alone.
func (c *FileStreamSink) AlterOffsets(map[string]string, []connect.PartitionOffset) (bool, error) {
	return true, nil
}

type fileSinkTask struct {
	out *lineAppender
}

func (t *fileSinkTask) Start(_ connect.SinkTaskContext, config map[string]string) error {
	out, err := openLineAppender(config["file"])
	if err != nil {
		return fmt.Errorf("Couldn't find or create file '%s' for FileStreamSinkTask: %w", config["file"], err)
	}
	t.out = out
	return nil
}

func (t *fileSinkTask) Put(records []*connect.SinkRecord) error {
	for _, r := range records {
		if err := t.out.add([]byte(valueString(r.Value))); err != nil {
			return err
		}
	}
	return nil
}

func (t *fileSinkTask) Flush(map[connect.TopicPartition]int64) error { return t.out.flush(false) }

func (t *fileSinkTask) Stop() error { return t.out.close() }

// valueString renders a value as Java's String.valueOf does for Connect data.
func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case []byte:
		return string(x)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
