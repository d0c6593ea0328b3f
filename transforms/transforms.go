// Package transforms is Kafka Connect's single message transforms and predicates
// (org.apache.kafka.connect.transforms): the built-in ones, by Kafka's class names and aliases,
// and the chain a connector's transforms and predicates keys configure.
package transforms

import (
	"fmt"
	"time"

	"github.com/connectd/connectd/connect"
)

// Record is what a transformation sees and changes of a source or sink record (Kafka's
// ConnectRecord). Transformations change it in place; they never modify what its fields refer
// to (a map, a struct, the headers slice) but replace it, since the task may still hold those.
type Record struct {
	Topic string
	// Partition is the Kafka partition, or -1 when the producer chooses it.
	Partition   int32
	KeySchema   *connect.Schema
	Key         any
	ValueSchema *connect.Schema
	Value       any
	// Timestamp is the record's timestamp; the zero time means none.
	Timestamp time.Time
	Headers   []connect.Header
	// Sink is set for records consumed from Kafka, which have an Offset.
	Sink   bool
	Offset int64
	// structs recycles the structs made for the record before, when the chain does.
	structs *structRecycler
}

// newStruct makes a struct for the record's new key or value.
func (r *Record) newStruct(schema *connect.Schema) *connect.StructValue {
	return r.structs.newStruct(schema)
}

// Transformation is a single message transform.
type Transformation interface {
	// Config describes the transform's keys.
	Config() *connect.ConfigDef
	// Configure reads the keys of the transform's prefix; an error is a config error.
	Configure(config map[string]string) error
	// Apply transforms r in place; false drops the record.
	Apply(r *Record) (bool, error)
}

// Predicate decides whether a transformation applies to a record.
type Predicate interface {
	Config() *connect.ConfigDef
	Configure(config map[string]string) error
	Test(r *Record) bool
}

// DataError is a transformation failing on a record (Kafka's DataException).
type DataError struct{ Message string }

func (e *DataError) Error() string { return e.Message }

func dataErrorf(format string, args ...any) error {
	return &DataError{Message: fmt.Sprintf(format, args...)}
}

// ConfigError is a bad transform or predicate config (Kafka's ConfigException).
type ConfigError struct{ Message string }

func (e *ConfigError) Error() string { return e.Message }

func configErrorf(format string, args ...any) error {
	return &ConfigError{Message: fmt.Sprintf(format, args...)}
}

// invalid is Kafka's ConfigException(name, value, message).
func invalid(name string, value any, reason string) error {
	return configErrorf("Invalid value %v for configuration %s: %s", value, name, reason)
}

// side is the part of a record a $Key or $Value transform works on.
type side bool

const (
	keySide   side = true
	valueSide side = false
)

func (s side) get(r *Record) (*connect.Schema, any) {
	if s == keySide {
		return r.KeySchema, r.Key
	}
	return r.ValueSchema, r.Value
}

func (s side) set(r *Record, schema *connect.Schema, value any) {
	if s == keySide {
		r.KeySchema, r.Key = schema, value
	} else {
		r.ValueSchema, r.Value = schema, value
	}
}
