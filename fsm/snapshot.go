package fsm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	memdb "github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// snapshotVersion is written in the header so that the format can grow.
const snapshotVersion = 1

// Record kinds of a snapshot: one per stored type.
const (
	recConnector  = "connector"
	recStatus     = "status"
	recWorker     = "worker"
	recOffset     = "offset"
	recTopic      = "topic"
	recLogger     = "logger"
	recSchema     = "schema"
	recLastActive = "last-active"
	recAssignment = "assignment"
	recSessionKey = "session-key"
	// recSessionKeys replaced recSessionKey when keys began to rotate.
	recSessionKeys = "session-keys"
)

type snapshotHeader struct {
	Version int `json:"version"`
	// Index is the last log index the snapshot covers; a restored state machine has applied it.
	Index uint64 `json:"index,omitempty"`
}

type snapshotRecord struct {
	Kind  string          `json:"kind"`
	Value json.RawMessage `json:"value"`
}

type snapshot struct {
	state *State
	index uint64
}

// Persist writes a header and then one typed JSON record per stored object.
func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	w := bufio.NewWriter(sink)
	enc := json.NewEncoder(w)
	err := s.write(enc)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	return sink.Close()
}

func (s *snapshot) write(enc *json.Encoder) error {
	if err := enc.Encode(snapshotHeader{Version: snapshotVersion, Index: s.index}); err != nil {
		return err
	}
	put := func(kind string, v any) error {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return enc.Encode(snapshotRecord{Kind: kind, Value: raw})
	}
	tables := []struct{ table, kind string }{
		{tableConnectors, recConnector}, {tableStatus, recStatus}, {tableWorkers, recWorker},
		{tableOffsets, recOffset}, {tableTopics, recTopic}, {tableLoggers, recLogger}, {tableSchemas, recSchema},
		{tableLastActive, recLastActive},
	}
	for _, t := range tables {
		for _, obj := range s.state.all(t.table, "id") {
			if err := put(t.kind, obj); err != nil {
				return err
			}
		}
	}
	if err := put(recAssignment, s.state.Assignment()); err != nil {
		return err
	}
	if keys := s.state.SessionKeys(); keys.Current != nil {
		return put(recSessionKeys, keys)
	}
	return nil
}

// Release implements raft.FSMSnapshot.
func (s *snapshot) Release() {}

// readSnapshot loads a snapshot written by Persist into an empty database.
func readSnapshot(r io.Reader, db *memdb.MemDB) (uint64, error) {
	dec := json.NewDecoder(bufio.NewReader(r))
	dec.UseNumber()
	var header snapshotHeader
	if err := dec.Decode(&header); err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	if header.Version != snapshotVersion {
		return 0, fmt.Errorf("unsupported snapshot version %d", header.Version)
	}
	txn := db.Txn(true)
	defer txn.Abort()
	for {
		var rec snapshotRecord
		if err := dec.Decode(&rec); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return 0, err
		}
		table, obj, err := decodeRecord(rec)
		if err != nil {
			return 0, fmt.Errorf("%s record: %w", rec.Kind, err)
		}
		if err := txn.Insert(table, obj); err != nil {
			return 0, err
		}
	}
	txn.Commit()
	return header.Index, nil
}

func decodeRecord(rec snapshotRecord) (string, any, error) {
	var table string
	var obj any
	switch rec.Kind {
	case recConnector:
		table, obj = tableConnectors, &Connector{}
	case recStatus:
		table, obj = tableStatus, &Status{}
	case recWorker:
		table, obj = tableWorkers, &Worker{}
	case recOffset:
		table, obj = tableOffsets, &SourceOffset{}
	case recTopic:
		table, obj = tableTopics, &ActiveTopic{}
	case recLogger:
		table, obj = tableLoggers, &LoggerLevel{}
	case recSchema:
		table, obj = tableSchemas, &Schema{}
	case recLastActive:
		table, obj = tableLastActive, &LastActiveConfig{}
	case recAssignment:
		var a Assignment
		err := unmarshalNumbers(rec.Value, &a)
		return tableMeta, &metaRow{Key: metaAssignment, Value: &a}, err
	case recSessionKey:
		// Written before keys rotated: one key, of unknown age.
		var key []byte
		err := json.Unmarshal(rec.Value, &key)
		return tableMeta, &metaRow{Key: metaSessionKey, Value: &SessionKeys{Current: key}}, err
	case recSessionKeys:
		var keys SessionKeys
		err := json.Unmarshal(rec.Value, &keys)
		return tableMeta, &metaRow{Key: metaSessionKey, Value: &keys}, err
	default:
		return "", nil, fmt.Errorf("unknown record kind %q", rec.Kind)
	}
	return table, obj, unmarshalNumbers(rec.Value, obj)
}

func unmarshalNumbers(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}
