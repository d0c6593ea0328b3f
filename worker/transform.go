package worker

import (
	"fmt"
	"time"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/transforms"
)

// headerConverter is the task's header.converter: the connector's own when it names one, else
// the worker's, else Kafka's default SimpleHeaderConverter.
func (ti *taskInstance) headerConverter(config map[string]string) (connect.HeaderConverter, error) {
	const prefix = "header.converter"
	source := ti.w.cfg.WorkerProps
	if _, ok := config[prefix]; ok {
		source = config
	}
	sub := map[string]string{}
	for k, v := range source {
		if rest, ok := cutPrefix(k, prefix+"."); ok {
			sub[rest] = v
		}
	}
	c, err := ti.w.deps.Registry.NewHeaderConverter(source[prefix], sub)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prefix, err)
	}
	return c, nil
}

// transformSource runs the chain on a source record, into tr: the task's record itself is left
// as the task made it. false means a transform dropped it.
func (c *converters) transformSource(tr *transforms.Record, rec *connect.SourceRecord) (bool, error) {
	*tr = transforms.Record{Topic: rec.Topic, Partition: anyPartition, KeySchema: rec.KeySchema, Key: rec.Key,
		ValueSchema: rec.ValueSchema, Value: rec.Value, Headers: rec.Headers}
	if rec.Partition != nil {
		tr.Partition = *rec.Partition
	}
	if rec.Timestamp != nil {
		tr.Timestamp = *rec.Timestamp
	}
	if c.chain.Len() == 0 {
		return true, nil
	}
	keep, err := c.chain.Apply(tr)
	if err != nil {
		return false, fmt.Errorf("Failed to transform record for topic %s: %w", rec.Topic, err)
	}
	return keep, nil
}

// transformSink runs the chain on a converted sink record, in place (the record is the
// worker's); false means a transform dropped it.
func (c *converters) transformSink(tr *transforms.Record, rec *connect.SinkRecord) (bool, error) {
	if c.chain.Len() == 0 {
		return true, nil
	}
	*tr = transforms.Record{Topic: rec.Topic, Partition: rec.Partition, KeySchema: rec.KeySchema, Key: rec.Key,
		ValueSchema: rec.ValueSchema, Value: rec.Value, Timestamp: rec.Timestamp, Headers: rec.Headers, Sink: true, Offset: rec.Offset}
	keep, err := c.chain.Apply(tr)
	if err != nil {
		return false, fmt.Errorf("Failed to transform record %s-%d@%d: %w", rec.Topic, rec.Partition, rec.Offset, err)
	}
	rec.Topic, rec.Partition, rec.KeySchema, rec.Key = tr.Topic, tr.Partition, tr.KeySchema, tr.Key
	rec.ValueSchema, rec.Value, rec.Timestamp, rec.Headers = tr.ValueSchema, tr.Value, tr.Timestamp, tr.Headers
	return keep, nil
}

// sourceHeaders converts a record's headers to Kafka's.
func (c *converters) sourceHeaders(topic string, headers []connect.Header) ([]*sarama.RecordHeader, error) {
	if len(headers) == 0 {
		return nil, nil
	}
	out := make([]*sarama.RecordHeader, len(headers))
	for i, h := range headers {
		v, err := c.header.FromConnectHeader(topic, h.Key, h.Schema, h.Value)
		if err != nil {
			return nil, fmt.Errorf("Failed to convert header %s of record for topic %s: %w", h.Key, topic, err)
		}
		out[i] = &sarama.RecordHeader{Key: []byte(h.Key), Value: v}
	}
	return out, nil
}

// sinkHeaders converts a consumed message's headers to typed values.
func (c *converters) sinkHeaders(m *sarama.ConsumerMessage) ([]connect.Header, error) {
	if len(m.Headers) == 0 {
		return nil, nil
	}
	out := make([]connect.Header, len(m.Headers))
	for i, h := range m.Headers {
		key := string(h.Key)
		schema, v, err := c.header.ToConnectHeader(m.Topic, key, h.Value)
		if err != nil {
			return nil, fmt.Errorf("Failed to convert header %s of record %s-%d@%d: %w", key, m.Topic, m.Partition, m.Offset, err)
		}
		out[i] = connect.Header{Key: key, Schema: schema, Value: v}
	}
	return out, nil
}

// dropped accounts for a record a transform dropped: it is done, so its offset commits once
// the records before it are acknowledged, as Kafka Connect commits filtered records.
func (s *submittedRecords) dropped(rec *connect.SourceRecord) {
	entries := s.submit([]*connect.SourceRecord{rec})
	s.ack(&entries[0])
}

// timestampOr is t, or def when t is the zero time (no timestamp).
func timestampOr(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}
