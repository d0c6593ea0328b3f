package fsm

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// decoders check that a command body decodes, per command type; registerCommand fills it along
// with the appliers, so that a command known to one is known to the other.
var decoders = map[MessageType]func(body []byte) error{}

func registerDecoder[C Command](newCmd func() C) {
	t := newCmd().Type()
	if _, dup := decoders[t]; dup {
		// Two commands sharing a number would decode each other's entries.
		panic(fmt.Sprintf("fsm: command type %d registered twice", t))
	}
	decoders[t] = func(body []byte) error { return decodeInto(body, newCmd()) }
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

// KnownTypes renders the command types this build knows as a hex bitmask (bit t set for type
// t), short enough for gossip metadata, so that the leader can tell what every voter can apply.
func KnownTypes() string { return knownTypes(nil) }

// KnownTypes renders the command types this state machine can apply, as the package's KnownTypes.
func (f *FSM) KnownTypes() string { return knownTypes(f.lacks) }

func knownTypes(lacks map[MessageType]bool) string {
	var mask [32]byte
	for t := range decoders {
		if !lacks[t] {
			mask[t/8] |= 1 << (t % 8)
		}
	}
	return hex.EncodeToString(mask[:])
}

// baselineTypes is the last command type of the builds that did not gossip their known types yet.
const baselineTypes = OffsetsAlterType

// KnowsType reports whether a node that gossiped mask (empty for builds before it was gossiped)
// can apply command type t. Types with IgnoreUnknownTypeFlag are safe for every node.
func KnowsType(mask string, t MessageType) bool {
	if t&IgnoreUnknownTypeFlag != 0 {
		return true
	}
	if mask == "" {
		return t >= 1 && t <= baselineTypes
	}
	b, err := hex.DecodeString(mask)
	if err != nil || int(t/8) >= len(b) {
		return false
	}
	return b[t/8]&(1<<(t%8)) != 0
}
