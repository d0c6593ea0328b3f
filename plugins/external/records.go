package external

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/conduitio/conduit-commons/opencdc"

	"github.com/connectd/connectd/connect"
)

// Header and metadata keys the mapping adds.
const (
	headerOperation = "opencdc.operation"
	metaTopic       = "kafka.topic"
	metaPartition   = "kafka.partition"
	metaOffset      = "kafka.offset"
)

// collectionPlaceholder in a source's topic is replaced by the record's opencdc.collection, so
// that a multi-table source writes a topic per table.
const collectionPlaceholder = "${collection}"

// toConnectData turns OpenCDC data into a Connect value: structured data becomes a map (the
// converter renders it), raw bytes pass through.
func toConnectData(d opencdc.Data) any {
	switch v := d.(type) {
	case nil:
		return nil
	case opencdc.StructuredData:
		return map[string]any(v)
	case opencdc.RawData:
		if v == nil {
			return nil
		}
		return []byte(v)
	}
	return d.Bytes()
}

// topicFor is the Kafka topic of a source record.
func topicFor(pattern, connector string, rec *opencdc.Record) string {
	collection := rec.Metadata[opencdc.MetadataCollection]
	switch {
	case pattern == "" && collection != "":
		return collection
	case pattern == "":
		return connector
	case collection == "":
		return strings.ReplaceAll(pattern, collectionPlaceholder, connector)
	}
	return strings.ReplaceAll(pattern, collectionPlaceholder, collection)
}

// headersOf renders a record's operation and metadata as headers, sorted by key.
func headersOf(rec *opencdc.Record) []connect.Header {
	keys := make([]string, 0, len(rec.Metadata))
	for k := range rec.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]connect.Header, 0, len(keys)+1)
	out = append(out, connect.Header{Key: headerOperation, Schema: connect.StringSchema, Value: rec.Operation.String()})
	for _, k := range keys {
		out = append(out, connect.Header{Key: k, Schema: connect.StringSchema, Value: rec.Metadata[k]})
	}
	return out
}

// createdAt is the record's opencdc.createdAt (Unix nanoseconds) as its Kafka timestamp.
func createdAt(rec *opencdc.Record) *time.Time {
	s, ok := rec.Metadata[opencdc.MetadataCreatedAt]
	if !ok {
		return nil
	}
	ns, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil
	}
	t := time.Unix(0, ns)
	return &t
}

// fromConnectData turns a Connect key or value into OpenCDC data.
func fromConnectData(v any) (opencdc.Data, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		return opencdc.RawData(x), nil
	case string:
		return opencdc.RawData(x), nil
	case map[string]any:
		return opencdc.StructuredData(x), nil
	case *connect.StructValue:
		out := opencdc.StructuredData{}
		for _, f := range x.Schema.Fields {
			fv, err := plainValue(x.Get(f.Name))
			if err != nil {
				return nil, err
			}
			out[f.Name] = fv
		}
		return out, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("convert %T to OpenCDC data: %w", v, err)
	}
	return opencdc.RawData(b), nil
}

// plainValue flattens nested Connect structs into maps.
func plainValue(v any) (any, error) {
	s, ok := v.(*connect.StructValue)
	if !ok {
		return v, nil
	}
	d, err := fromConnectData(s)
	return map[string]any(d.(opencdc.StructuredData)), err
}

// sinkRecord maps a Kafka record to an OpenCDC record: a tombstone is a delete, anything else
// a create; headers and the record's Kafka coordinates become metadata.
func sinkRecord(r *connect.SinkRecord) (opencdc.Record, error) {
	key, err := fromConnectData(r.Key)
	if err != nil {
		return opencdc.Record{}, err
	}
	after, err := fromConnectData(r.Value)
	if err != nil {
		return opencdc.Record{}, err
	}
	meta := opencdc.Metadata{}
	for _, h := range r.Headers {
		if h.Key != headerOperation {
			meta[h.Key] = fmt.Sprint(h.Value)
		}
	}
	meta[metaTopic] = r.Topic
	meta[metaPartition] = strconv.Itoa(int(r.Partition))
	meta[metaOffset] = strconv.FormatInt(r.Offset, 10)
	if !r.Timestamp.IsZero() {
		meta.SetCreatedAt(r.Timestamp)
	}
	op := opencdc.OperationCreate
	if r.Value == nil {
		op = opencdc.OperationDelete
	}
	return opencdc.Record{Position: sinkPosition(r.Topic, r.Partition, r.Offset), Operation: op, Metadata: meta,
		Key: key, Payload: opencdc.Change{After: after}}, nil
}

// sinkPosition names a Kafka record; the destination's ack carries it back.
func sinkPosition(topic string, partition int32, offset int64) opencdc.Position {
	return opencdc.Position(topic + "/" + strconv.Itoa(int(partition)) + "/" + strconv.FormatInt(offset, 10))
}

// Offset map keys of a plugin source: the position as text when it is UTF-8 (Conduit's
// connectors use JSON or numbers), else base64.
const (
	offsetPosition       = "position"
	offsetPositionBase64 = "position.base64"
)

func positionOffset(p opencdc.Position) map[string]any {
	if utf8.Valid(p) {
		return map[string]any{offsetPosition: string(p)}
	}
	return map[string]any{offsetPositionBase64: base64.StdEncoding.EncodeToString(p)}
}

// positionFromOffset reads a committed offset back; nil means start from the beginning.
func positionFromOffset(m map[string]any) (opencdc.Position, error) {
	if s, ok := m[offsetPosition].(string); ok {
		return opencdc.Position(s), nil
	}
	if s, ok := m[offsetPositionBase64].(string); ok {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("offset %s: %w", offsetPositionBase64, err)
		}
		return b, nil
	}
	if len(m) > 0 {
		return nil, fmt.Errorf("offset %v has neither %q nor %q", m, offsetPosition, offsetPositionBase64)
	}
	return nil, nil
}

// parseSinkPosition reads back a position made by sinkPosition.
func parseSinkPosition(p opencdc.Position) (connect.TopicPartition, int64, error) {
	s := string(p)
	j := strings.LastIndexByte(s, '/')
	if j < 0 {
		return connect.TopicPartition{}, 0, fmt.Errorf("position %q", s)
	}
	i := strings.LastIndexByte(s[:j], '/')
	if i < 0 {
		return connect.TopicPartition{}, 0, fmt.Errorf("position %q", s)
	}
	partition, err := strconv.ParseInt(s[i+1:j], 10, 32)
	if err != nil {
		return connect.TopicPartition{}, 0, fmt.Errorf("position %q: %w", s, err)
	}
	offset, err := strconv.ParseInt(s[j+1:], 10, 64)
	if err != nil {
		return connect.TopicPartition{}, 0, fmt.Errorf("position %q: %w", s, err)
	}
	return connect.TopicPartition{Topic: s[:i], Partition: int32(partition)}, offset, nil
}
