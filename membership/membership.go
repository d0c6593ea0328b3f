// Package membership wraps hashicorp/memberlist: it tells the Raft leader which workers are
// alive, failed or gone, and carries each node's metadata (REST URL, Raft address, session).
package membership

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Meta is what a node tells the others about itself through gossip.
type Meta struct {
	NodeID   string `json:"id"`
	RESTURL  string `json:"rest"`
	RaftAddr string `json:"raft"`
	// Session is random per process start: a restarted node is a new member.
	Session string `json:"session"`
	GroupID string `json:"group"`
	Version string `json:"version"`
	// Commands is the hex bitmask of the replicated command types the node's build can apply.
	Commands string `json:"cmds,omitempty"`
	// Bootstrapped is set once the node belongs to a formed Raft cluster, so fresh nodes join
	// it instead of bootstrapping another.
	Bootstrapped bool `json:"bootstrapped,omitempty"`
	// Leaving is gossiped just before a graceful leave: memberlist reports a leave and a failure
	// through the same callback, and this tells them apart.
	Leaving bool `json:"leaving,omitempty"`
}

// Status is a member's liveness as gossip sees it.
type Status int

// Member statuses. Failed is not Left: a failed node may come back.
const (
	StatusAlive Status = iota
	StatusFailed
	StatusLeft
)

func (s Status) String() string {
	return [...]string{"alive", "failed", "left"}[s]
}

// Member is one node as gossip sees it.
type Member struct {
	Meta
	Addr   string
	Status Status
}

// Config configures gossip for one node.
type Config struct {
	BindAddr      string
	BindPort      int
	AdvertiseAddr string
	AdvertisePort int
	// GossipKey, when set, encrypts gossip; nodes without the same key cannot join.
	GossipKey []byte
	Meta      Meta
	// Zero timings keep memberlist's LAN defaults.
	ProbeInterval, ProbeTimeout, GossipInterval time.Duration
	SuspicionMult, RetransmitMult               int
	Logger                                      *slog.Logger
}

// Membership is a running gossip member.
type Membership struct {
	list    *memberlist.Memberlist
	changed chan struct{}
	group   string
	logger  *slog.Logger

	mu    sync.Mutex
	meta  []byte
	local Meta
	// members is a copy of memberlist's view, taken inside its callbacks: memberlist mutates the
	// nodes Members() returns, so reading them later would race.
	members map[string]Member
}

// New starts gossip on the configured address. It does not join anyone yet.
func New(cfg Config) (*Membership, error) {
	m := &Membership{changed: make(chan struct{}, 1), group: cfg.Meta.GroupID, logger: cfg.Logger, members: map[string]Member{}}
	if err := m.setMeta(cfg.Meta); err != nil {
		return nil, err
	}
	mc := memberlist.DefaultLANConfig()
	mc.Name = cfg.Meta.NodeID
	mc.BindAddr = cfg.BindAddr
	if mc.BindAddr == "" {
		mc.BindAddr = "0.0.0.0"
	}
	mc.BindPort = cfg.BindPort
	advertise, err := resolveIP(cfg.AdvertiseAddr)
	if err != nil {
		return nil, err
	}
	mc.AdvertiseAddr = advertise
	mc.AdvertisePort = cfg.AdvertisePort
	if mc.AdvertisePort == 0 {
		mc.AdvertisePort = cfg.BindPort
	}
	if len(cfg.GossipKey) > 0 {
		mc.SecretKey = cfg.GossipKey
	}
	if cfg.ProbeInterval > 0 {
		mc.ProbeInterval = cfg.ProbeInterval
	}
	if cfg.ProbeTimeout > 0 {
		mc.ProbeTimeout = cfg.ProbeTimeout
	}
	if cfg.GossipInterval > 0 {
		mc.GossipInterval = cfg.GossipInterval
	}
	if cfg.SuspicionMult > 0 {
		mc.SuspicionMult = cfg.SuspicionMult
	}
	if cfg.RetransmitMult > 0 {
		mc.RetransmitMult = cfg.RetransmitMult
	}
	mc.Delegate = m
	mc.Events = m
	mc.Alive = m
	mc.Merge = m
	mc.Logger = log.New(&logWriter{logger: cfg.Logger}, "", 0)
	list, err := memberlist.Create(mc)
	if err != nil {
		return nil, err
	}
	m.list = list
	return m, nil
}

// resolveIP turns a host name into an address memberlist can advertise (it takes only IPs), so
// that cluster.advertised.address can name the host as container and VM setups do.
func resolveIP(host string) (string, error) {
	if host == "" || net.ParseIP(host) != nil {
		return host, nil
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return "", fmt.Errorf("cannot resolve advertised address %q: %v", host, err)
	}
	for _, ip := range ips {
		if ip.To4() != nil {
			return ip.String(), nil
		}
	}
	return ips[0].String(), nil
}

func (m *Membership) setMeta(meta Meta) error {
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	if len(b) > memberlist.MetaMaxSize {
		return fmt.Errorf("membership: node metadata is %d bytes, more than %d", len(b), memberlist.MetaMaxSize)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.meta, m.local = b, meta
	return nil
}

// Join contacts existing members; it succeeds if at least one answered.
func (m *Membership) Join(addrs []string) (int, error) {
	return m.list.Join(addrs)
}

// Members returns every node gossip knows of, including failed and left ones, sorted by id.
func (m *Membership) Members() []Member {
	m.mu.Lock()
	out := make([]Member, 0, len(m.members))
	for _, mem := range m.members {
		out = append(out, mem)
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].NodeID < out[j].NodeID })
	return out
}

// Local returns this node.
func (m *Membership) Local() Member {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Member{Meta: m.local, Status: StatusAlive}
}

// Changed is signalled (coalesced) whenever a member joins, leaves, fails or changes metadata.
func (m *Membership) Changed() <-chan struct{} { return m.changed }

// UpdateMeta changes this node's metadata and gossips it, waiting up to timeout for the
// broadcast; gossip goes on spreading it after a timeout.
func (m *Membership) UpdateMeta(meta Meta, timeout time.Duration) error {
	if err := m.setMeta(meta); err != nil {
		return err
	}
	return m.list.UpdateNode(timeout)
}

// Leave tells the others this node is leaving on purpose, so they see it Left, not Failed.
func (m *Membership) Leave(timeout time.Duration) error {
	meta := m.Local().Meta
	meta.Leaving = true
	if err := m.UpdateMeta(meta, timeout); err != nil {
		return err
	}
	return m.list.Leave(timeout)
}

// Shutdown stops gossip without leaving: the others will see this node fail.
func (m *Membership) Shutdown() error { return m.list.Shutdown() }

// RejoinFailed contacts again the members gossip declared failed. After a network partition
// heals, memberlist on neither side looks for the other by itself once the news of the failure
// has stopped spreading, so a node that was cut off would stay out (Serf's reconnect, in short).
// A member that is really gone costs a failed dial per call.
func (m *Membership) RejoinFailed() {
	var addrs []string
	m.mu.Lock()
	for _, mem := range m.members {
		if mem.Status == StatusFailed {
			addrs = append(addrs, mem.Addr)
		}
	}
	m.mu.Unlock()
	if len(addrs) > 0 {
		if n, err := m.list.Join(addrs); n > 0 {
			m.logger.Info("rejoined failed members", "contacted", n)
		} else if err != nil {
			m.logger.Debug("failed members still unreachable", "err", err)
		}
	}
}

func toMember(n *memberlist.Node, status Status) Member {
	var meta Meta
	_ = json.Unmarshal(n.Meta, &meta)
	if meta.NodeID == "" {
		meta.NodeID = n.Name
	}
	return Member{Meta: meta, Addr: n.Address(), Status: status}
}

func (m *Membership) signal() {
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

// NodeMeta implements memberlist.Delegate.
func (m *Membership) NodeMeta(limit int) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.meta
}

// NotifyMsg implements memberlist.Delegate.
func (m *Membership) NotifyMsg([]byte) {}

// GetBroadcasts implements memberlist.Delegate.
func (m *Membership) GetBroadcasts(overhead, limit int) [][]byte { return nil }

// LocalState implements memberlist.Delegate.
func (m *Membership) LocalState(join bool) []byte { return nil }

// MergeRemoteState implements memberlist.Delegate.
func (m *Membership) MergeRemoteState(buf []byte, join bool) {}

// record copies a node's state; memberlist calls its event delegate with the node locked.
func (m *Membership) record(n *memberlist.Node, gone bool) {
	mem := toMember(n, StatusAlive)
	if gone {
		mem.Status = StatusFailed
		if mem.Leaving {
			mem.Status = StatusLeft
		}
	}
	m.mu.Lock()
	m.members[n.Name] = mem
	m.mu.Unlock()
	m.signal()
}

// NotifyJoin implements memberlist.EventDelegate.
func (m *Membership) NotifyJoin(n *memberlist.Node) { m.record(n, false) }

// NotifyLeave implements memberlist.EventDelegate, for failures and leaves alike.
func (m *Membership) NotifyLeave(n *memberlist.Node) { m.record(n, true) }

// NotifyUpdate implements memberlist.EventDelegate.
func (m *Membership) NotifyUpdate(n *memberlist.Node) { m.record(n, false) }

// NotifyAlive implements memberlist.AliveDelegate: nodes of another cluster are refused.
func (m *Membership) NotifyAlive(n *memberlist.Node) error { return m.checkGroup(n) }

// NotifyMerge implements memberlist.MergeDelegate: a join that would merge another cluster in is
// refused.
func (m *Membership) NotifyMerge(peers []*memberlist.Node) error {
	var errs []error
	for _, n := range peers {
		errs = append(errs, m.checkGroup(n))
	}
	return errors.Join(errs...)
}

func (m *Membership) checkGroup(n *memberlist.Node) error {
	var meta Meta
	if err := json.Unmarshal(n.Meta, &meta); err != nil {
		return fmt.Errorf("membership: refusing node %q: unreadable metadata", n.Name)
	}
	if meta.GroupID != m.group {
		return fmt.Errorf("membership: refusing node %q: group.id %q differs from %q", n.Name, meta.GroupID, m.group)
	}
	return nil
}

// logWriter routes memberlist's log lines into slog, at the level their prefix names.
type logWriter struct{ logger *slog.Logger }

func (w *logWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	level := slog.LevelDebug
	switch {
	case strings.Contains(line, "[ERR]"):
		level = slog.LevelError
	case strings.Contains(line, "[WARN]"):
		level = slog.LevelWarn
	case strings.Contains(line, "[INFO]"):
		level = slog.LevelInfo
	}
	w.logger.Log(context.Background(), level, line)
	return len(p), nil
}

var _ io.Writer = (*logWriter)(nil)
