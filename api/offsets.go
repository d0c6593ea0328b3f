package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/kafka"
)

// ConnectorOffset is one partition's offset in the offsets API; a null Offset resets the
// partition in a PATCH.
type ConnectorOffset struct {
	Partition map[string]any `json:"partition"`
	Offset    map[string]any `json:"offset"`
}

// ConnectorOffsets is the body of the offsets API.
type ConnectorOffsets struct {
	Offsets []ConnectorOffset `json:"offsets"`
}

// Message is Kafka Connect's plain answer entity.
type Message struct {
	Message string `json:"message"`
}

// ConsumerGroups administers the consumer groups of sink connectors in Kafka.
type ConsumerGroups interface {
	// Offsets returns the offsets a group has committed, each with its Offset set, sorted by
	// topic and partition; a group that does not exist has none.
	Offsets(group string) ([]kafka.GroupOffset, error)
	// Alter commits the offsets that are set and deletes the committed offsets of the others.
	Alter(group string, offsets []kafka.GroupOffset) error
	// Delete deletes a group and its offsets; a group that does not exist is not an error.
	Delete(group string) error
}

// Keys of a sink connector's partitions and offsets in the offsets API.
const (
	kafkaTopicKey     = "kafka_topic"
	kafkaPartitionKey = "kafka_partition"
	kafkaOffsetKey    = "kafka_offset"
)

// offsetsSettleWait bounds how long a change of offsets waits for the rebalance that a stop
// starts, so that stop followed at once by PATCH succeeds instead of answering 409.
const offsetsSettleWait = 5 * time.Second

func (s *Server) getOffsets(w http.ResponseWriter, r *http.Request) error {
	c, err := s.lookup(r)
	if err != nil {
		return err
	}
	out := ConnectorOffsets{Offsets: []ConnectorOffset{}}
	if s.connectorType(c) == "sink" {
		committed, err := s.backend.ConsumerGroups(c.Config).Offsets(kafka.SinkGroupID(c.Name, c.Config))
		if err != nil {
			s.logger.Warn("listing consumer group offsets failed", "connector", c.Name, "err", err)
			return errorf(http.StatusInternalServerError, "Failed to retrieve consumer group offsets for sink connector %s", c.Name)
		}
		for _, o := range committed {
			out.Offsets = append(out.Offsets, ConnectorOffset{
				Partition: map[string]any{kafkaTopicKey: o.Topic, kafkaPartitionKey: o.Partition},
				Offset:    map[string]any{kafkaOffsetKey: *o.Offset},
			})
		}
	} else {
		for _, o := range s.backend.State().SourceOffsets(c.Name) {
			out.Offsets = append(out.Offsets, ConnectorOffset{Partition: o.SourcePartition, Offset: o.Offset})
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) alterOffsets(w http.ResponseWriter, r *http.Request) error {
	var body ConnectorOffsets
	if err := readJSON(r, &body); err != nil {
		return err
	}
	if len(body.Offsets) == 0 {
		return errorf(http.StatusBadRequest, "Partitions / offsets need to be provided for an alter offsets request")
	}
	return s.modifyOffsets(w, r, body.Offsets)
}

func (s *Server) resetOffsets(w http.ResponseWriter, r *http.Request) error {
	return s.modifyOffsets(w, r, nil)
}

// modifyOffsets alters a connector's offsets, or resets them all when offsets is nil. A source
// connector's change commits with the same checks again, so a connector resumed meanwhile cannot
// have its offsets changed under it; a sink's running tasks are refused by Kafka.
func (s *Server) modifyOffsets(w http.ResponseWriter, r *http.Request, offsets []ConnectorOffset) error {
	c, err := s.stoppedConnector(r.Context(), connectorName(r))
	if err != nil {
		return err
	}
	conn, err := s.backend.Registry().NewConnector(c.Config["connector.class"])
	if err != nil {
		return err
	}
	var managed bool
	if s.connectorType(c) == "sink" {
		managed, err = s.modifySinkOffsets(c, conn, offsets)
	} else {
		managed, err = s.modifySourceOffsets(r.Context(), c, conn, offsets)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Message{Message: modifiedMessage(managed, offsets == nil)})
	return nil
}

// stoppedConnector runs Kafka Connect's checks in its order (pending rebalance, unknown
// connector, not stopped) through the log, as the leader sees the state, and returns the
// connector as this node has applied it by then.
func (s *Server) stoppedConnector(ctx context.Context, name string) (*fsm.Connector, error) {
	s.awaitSettled(ctx, name)
	if err := s.checkConfigFresh(); err != nil {
		return nil, err
	}
	check := func() error {
		res, err := s.backend.Apply(ctx, &fsm.OffsetsAlter{Connector: name})
		return resultError(res, err)
	}
	err := check()
	if fsm.IsKind(err, fsm.KindStaleConfig) {
		// This node had not applied what the leader is still acting on (typically a stop sent to
		// another node); Apply has caught it up, so it can wait for the rebalance as well.
		s.awaitSettled(ctx, name)
		err = check()
	}
	if err != nil {
		return nil, err
	}
	c := s.backend.State().Connector(name)
	if c == nil {
		return nil, errorf(http.StatusNotFound, "Connector %s not found", name)
	}
	return c, nil
}

// awaitSettled waits, at most offsetsSettleWait, until no rebalance is pending and no task of a
// stopped connector can still run; the checks that follow answer 409 if that did not happen.
func (s *Server) awaitSettled(ctx context.Context, name string) {
	deadline := time.NewTimer(offsetsSettleWait)
	defer deadline.Stop()
	for {
		state := s.backend.State()
		c := state.Connector(name)
		stopping := c != nil && c.Target == fsm.TargetStopped && state.Assignment().RunsTasksOf(name)
		if !state.ConfigPending() && !stopping {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-state.WatchCh():
		}
	}
}

func modifiedMessage(managed, reset bool) string {
	verb := "altered"
	if reset {
		verb = "reset"
	}
	if managed {
		return fmt.Sprintf("The offsets for this connector have been %s successfully", verb)
	}
	return fmt.Sprintf("The Connect framework-managed offsets for this connector have been %s successfully. However, if this connector manages offsets externally, they will need to be manually %s in the system that the connector uses.", verb, verb)
}

// callAlterOffsets asks the connector to accept the change, with Kafka Connect's outcomes: a
// connector without the hook accepts it but may keep offsets of its own (false).
func callAlterOffsets(c *fsm.Connector, conn connect.Connector, offsets []connect.PartitionOffset) (bool, error) {
	alterer, ok := conn.(connect.OffsetAlterer)
	if !ok {
		return false, nil
	}
	managed, err := alterer.AlterOffsets(c.Config, offsets)
	if errors.Is(err, errors.ErrUnsupported) {
		return false, errorf(http.StatusInternalServerError, "Failed to modify offsets for connector %s because it doesn't support external modification of offsets", c.Name)
	}
	if err != nil {
		return false, errorf(http.StatusInternalServerError, "%s", err.Error())
	}
	return managed, nil
}

func (s *Server) modifySourceOffsets(ctx context.Context, c *fsm.Connector, conn connect.Connector, offsets []ConnectorOffset) (bool, error) {
	var entries []fsm.OffsetEntry
	if offsets == nil {
		for _, o := range s.backend.State().SourceOffsets(c.Name) {
			entries = append(entries, fsm.OffsetEntry{SourcePartition: o.SourcePartition})
		}
	} else {
		for _, o := range offsets {
			entries = append(entries, fsm.OffsetEntry{SourcePartition: o.Partition, Offset: o.Offset})
		}
	}
	hook := make([]connect.PartitionOffset, 0, len(entries))
	for i := range entries {
		var err error
		if entries[i].SourcePartition, err = normalizeOffsetMap(entries[i].SourcePartition); err != nil {
			return false, err
		}
		if entries[i].Offset, err = normalizeOffsetMap(entries[i].Offset); err != nil {
			return false, err
		}
		hook = append(hook, connect.PartitionOffset{Partition: entries[i].SourcePartition, Offset: entries[i].Offset})
	}
	managed, err := callAlterOffsets(c, conn, hook)
	if err != nil {
		return false, err
	}
	cmd := &fsm.OffsetsAlter{Connector: c.Name, Reset: offsets == nil}
	if offsets != nil {
		// No task can read an offset without a partition; Kafka Connect skips such records too.
		cmd.Offsets = slices.DeleteFunc(entries, func(e fsm.OffsetEntry) bool { return e.SourcePartition == nil })
	}
	res, err := s.backend.Apply(ctx, cmd)
	return managed, resultError(res, err)
}

// normalizeOffsetMap checks that a source partition or offset holds JSON primitives only and
// types its numbers as Kafka Connect's internal JSON converter does: int64 for integers, float64
// for the rest. Fields are checked in name order so that the error is always the same.
func normalizeOffsetMap(m map[string]any) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch v := m[k].(type) {
		case map[string]any:
			return nil, errorf(http.StatusInternalServerError, "Offsets may only contain primitive types as values, but field %s contains MAP", k)
		case []any:
			return nil, errorf(http.StatusInternalServerError, "Offsets may only contain primitive types as values, but field %s contains ARRAY", k)
		case json.Number:
			if i, err := v.Int64(); err == nil {
				out[k] = i
			} else if f, err := v.Float64(); err == nil {
				out[k] = f
			} else {
				// Out of float64 range: kept as written rather than rounded to infinity.
				out[k] = v
			}
		default:
			out[k] = v
		}
	}
	return out, nil
}

func (s *Server) modifySinkOffsets(c *fsm.Connector, conn connect.Connector, offsets []ConnectorOffset) (bool, error) {
	groups := s.backend.ConsumerGroups(c.Config)
	group := kafka.SinkGroupID(c.Name, c.Config)
	var parsed []kafka.GroupOffset
	if offsets == nil {
		committed, err := groups.Offsets(group)
		if err != nil {
			s.logger.Warn("listing consumer group offsets failed", "connector", c.Name, "err", err)
			return false, errorf(http.StatusInternalServerError, "Failed to list offsets prior to resetting offsets for sink connector %s", c.Name)
		}
		for _, o := range committed {
			parsed = append(parsed, kafka.GroupOffset{Topic: o.Topic, Partition: o.Partition})
		}
	} else {
		var err error
		if parsed, err = parseSinkOffsets(offsets); err != nil {
			return false, err
		}
	}
	hook := make([]connect.PartitionOffset, 0, len(parsed))
	for _, o := range parsed {
		po := connect.PartitionOffset{Partition: map[string]any{kafkaTopicKey: o.Topic, kafkaPartitionKey: o.Partition}}
		if o.Offset != nil {
			po.Offset = map[string]any{kafkaOffsetKey: *o.Offset}
		}
		hook = append(hook, po)
	}
	managed, err := callAlterOffsets(c, conn, hook)
	if err != nil {
		return false, err
	}
	verb := "alter"
	if offsets == nil {
		verb = "reset"
		err = groups.Delete(group)
	} else {
		err = groups.Alter(group, parsed)
	}
	switch {
	case errors.Is(err, kafka.ErrGroupNotEmpty):
		return false, errorf(http.StatusInternalServerError, "Failed to %s consumer group offsets for connector %s either because its tasks haven't stopped completely yet or the connector was resumed before the request to %s its offsets could be successfully completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't eventually succeed, the Connect cluster may need to be restarted to get rid of the zombie sink tasks.", verb, c.Name, verb)
	case err != nil && offsets == nil:
		s.logger.Warn("deleting consumer group failed", "connector", c.Name, "err", err)
		return false, errorf(http.StatusInternalServerError, "Failed to reset consumer group offsets for sink connector %s", c.Name)
	case err != nil:
		s.logger.Warn("altering consumer group offsets failed", "connector", c.Name, "err", err)
		return false, errorf(http.StatusInternalServerError, "Failed to alter consumer group offsets for connector %s", c.Name)
	}
	return managed, nil
}

// parseSinkOffsets reads a PATCH body for a sink connector with Kafka Connect's rules and 400
// messages. Numbers may also be given as strings ("10"); a later entry for a partition wins.
func parseSinkOffsets(offsets []ConnectorOffset) ([]kafka.GroupOffset, error) {
	var out []kafka.GroupOffset
	index := map[kafka.GroupOffset]int{}
	for _, o := range offsets {
		if o.Partition == nil {
			return nil, errorf(http.StatusBadRequest, "The partition for a sink connector offset cannot be null or missing")
		}
		topic, hasTopic := o.Partition[kafkaTopicKey]
		partition, hasPartition := o.Partition[kafkaPartitionKey]
		if !hasTopic || !hasPartition {
			return nil, errorf(http.StatusBadRequest, "The partition for a sink connector offset must contain the keys '%s' and '%s'", kafkaTopicKey, kafkaPartitionKey)
		}
		if topic == nil {
			return nil, errorf(http.StatusBadRequest, "Kafka topic names must be valid strings and may not be null")
		}
		if partition == nil {
			return nil, errorf(http.StatusBadRequest, "Kafka partitions must be valid numbers and may not be null")
		}
		p, err := strconv.ParseInt(javaString(partition), 10, 32)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "Failed to parse the following Kafka partition value in the provided offsets: '%s'. Partition values for sink connectors need to be integers.", javaString(partition))
		}
		entry := kafka.GroupOffset{Topic: javaString(topic), Partition: int32(p)}
		key := entry
		if o.Offset != nil {
			offset, ok := o.Offset[kafkaOffsetKey]
			if !ok {
				return nil, errorf(http.StatusBadRequest, "The offset for a sink connector should either be null or contain the key '%s'", kafkaOffsetKey)
			}
			n, err := strconv.ParseInt(javaString(offset), 10, 64)
			if err != nil {
				return nil, errorf(http.StatusBadRequest, "Failed to parse the following Kafka offset value in the provided offsets: '%s'. Offset values for sink connectors need to be integers.", javaString(offset))
			}
			entry.Offset = &n
		}
		if i, seen := index[key]; seen {
			out[i] = entry
			continue
		}
		index[key] = len(out)
		out = append(out, entry)
	}
	return out, nil
}

// javaString renders a JSON value as Java's String.valueOf renders what Jackson decoded, which
// is how Kafka Connect parses and quotes sink partitions and offsets.
func javaString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}
