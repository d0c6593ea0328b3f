package fsm

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// decoders check that a command body decodes, per command type; registerCommand fills it along
// with the appliers, so that a command known to one is known to the other.
var decoders = map[MessageType]func(body []byte) error{}

func registerDecoder[C Command](newCmd func() C) {
	decoders[newCmd().Type()] = func(body []byte) error { return decodeInto(body, newCmd()) }
}

func decodeInto(body []byte, cmd Command) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	// Numbers stay json.Number so that 64-bit offsets survive the round trip exactly.
	dec.UseNumber()
	return dec.Decode(cmd)
}

// Known reports whether this build can apply commands of type t.
func Known(t MessageType) bool {
	_, ok := decoders[t]
	return ok
}

// Check reports whether data is a command this build knows and can decode: the leader refuses
// anything else before it reaches the log, where it would stop every replica.
func Check(data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("empty command")
	}
	t := MessageType(data[0])
	decode, ok := decoders[t]
	if !ok {
		return fmt.Errorf("unknown command type %d", t)
	}
	if err := decode(data[1:]); err != nil {
		return fmt.Errorf("command type %d does not decode: %v", t, err)
	}
	return nil
}

// UnknownEntryError is what a replica meets at a log entry it cannot apply: a command type from a
// newer version, or a body that does not decode. Skipping the entry would make this replica's
// state diverge from the others', so the node must stop until it runs a build that knows it.
type UnknownEntryError struct {
	Index  uint64
	Type   MessageType
	Reason string
}

func (e *UnknownEntryError) Error() string {
	return fmt.Sprintf("cannot apply Raft log entry %d of command type %d (%s): this node needs a connectd version that knows command type %d; upgrade it and start it again",
		e.Index, e.Type, e.Reason, e.Type)
}
