package fsm

import memdb "github.com/hashicorp/go-memdb"

// Table names of the replicated state.
const (
	tableConnectors = "connectors"
	tableStatus     = "status"
	tableWorkers    = "workers"
	tableOffsets    = "offsets"
	tableTopics     = "topics"
	tableLoggers    = "loggers"
	tableMeta       = "meta"
	tableSchemas    = "schemas"
	tableLastActive = "last-active"
)

// Keys of the meta table, which holds the state's singletons.
const (
	metaAssignment = "assignment"
	metaSessionKey = "session-key"
)

// metaRow holds one singleton value.
type metaRow struct {
	Key   string
	Value any
}

// SourceOffset is the latest committed offset of one source partition of a connector.
type SourceOffset struct {
	Connector string `json:"connector"`
	// Key is the canonical JSON of SourcePartition; it identifies the partition.
	Key             string         `json:"key"`
	SourcePartition map[string]any `json:"partition"`
	Offset          map[string]any `json:"offset"`
}

// ActiveTopic records that a connector's tasks produced to or consumed from a topic.
type ActiveTopic struct {
	Connector string `json:"connector"`
	Topic     string `json:"topic"`
}

// LoggerLevel is a cluster-scoped log level set through the admin API.
type LoggerLevel struct {
	Logger string `json:"logger"`
	Level  string `json:"level"`
	// SetAt is the leader's wall clock (ms) when the level was set.
	SetAt int64 `json:"set_at"`
}

func compoundIndex(indexers ...memdb.Indexer) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: indexers}}
}

func byConnector() *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: "connector", Indexer: &memdb.StringFieldIndex{Field: "Connector"}}
}

func schema() *memdb.DBSchema {
	single := func(name string, field string) *memdb.TableSchema {
		return &memdb.TableSchema{Name: name, Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: field}},
		}}
	}
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		tableConnectors: single(tableConnectors, "Name"),
		tableWorkers:    single(tableWorkers, "Node"),
		tableLoggers:    single(tableLoggers, "Logger"),
		tableMeta:       single(tableMeta, "Key"),
		tableLastActive: single(tableLastActive, "Connector"),
		tableStatus: {Name: tableStatus, Indexes: map[string]*memdb.IndexSchema{
			"id":        compoundIndex(&memdb.StringFieldIndex{Field: "Connector"}, &memdb.IntFieldIndex{Field: "Task"}),
			"connector": byConnector(),
		}},
		tableOffsets: {Name: tableOffsets, Indexes: map[string]*memdb.IndexSchema{
			"id":        compoundIndex(&memdb.StringFieldIndex{Field: "Connector"}, &memdb.StringFieldIndex{Field: "Key"}),
			"connector": byConnector(),
		}},
		tableSchemas: {Name: tableSchemas, Indexes: map[string]*memdb.IndexSchema{
			"id":      compoundIndex(&memdb.StringFieldIndex{Field: "Subject"}, &memdb.IntFieldIndex{Field: "Version"}),
			"subject": {Name: "subject", Indexer: &memdb.StringFieldIndex{Field: "Subject"}},
		}},
		tableTopics: {Name: tableTopics, Indexes: map[string]*memdb.IndexSchema{
			"id":        compoundIndex(&memdb.StringFieldIndex{Field: "Connector"}, &memdb.StringFieldIndex{Field: "Topic"}),
			"connector": byConnector(),
		}},
	}}
}
