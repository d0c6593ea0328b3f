// Package broker runs the embedded Kafka-protocol broker (franz-go's kfake) that `connectd dev`,
// the tests and the scripts use in place of a real Kafka. It is for development and tests only:
// production points bootstrap.servers at a real Kafka cluster.
package broker

import (
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Options configure the embedded broker.
type Options struct {
	// Listen is the host:port to listen on; port 0 picks a free port.
	Listen string
	// Advertise is the host:port clients are told to connect to; empty means the listen address.
	Advertise string
	// DataDir, when set, keeps the broker's data on disk across restarts; empty keeps it in memory.
	DataDir string
	// Partitions is the partition count of automatically created topics (default 1).
	Partitions int
}

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
}

// Start starts a single-broker Kafka-protocol cluster.
func Start(opts Options) (*Broker, error) {
	host, portStr, err := net.SplitHostPort(opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("broker listen address %q: %w", opts.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("broker listen port %q: %w", portStr, err)
	}
	partitions := opts.Partitions
	if partitions <= 0 {
		partitions = 1
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(1), kfake.Ports(port), kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(partitions),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			ln, err := net.Listen(network, net.JoinHostPort(host, portStr))
			if err != nil || opts.Advertise == "" {
				return ln, err
			}
			adv, err := net.ResolveTCPAddr("tcp", opts.Advertise)
			if err != nil {
				ln.Close()
				return nil, fmt.Errorf("broker advertise address %q: %w", opts.Advertise, err)
			}
			return advertisedListener{Listener: ln, addr: adv}, nil
		}),
	}
	if opts.DataDir != "" {
		kopts = append(kopts, kfake.DataDir(opts.DataDir))
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded broker: %w", err)
	}
	return &Broker{cluster: c}, nil
}

// Addr is the broker's bootstrap address.
func (b *Broker) Addr() string { return b.cluster.ListenAddrs()[0] }

// Close stops the broker.
func (b *Broker) Close() { b.cluster.Close() }

// advertisedListener reports the advertised address as its own, because kfake tells clients to
// connect to whatever address its listener reports.
type advertisedListener struct {
	net.Listener
	addr net.Addr
}

func (l advertisedListener) Addr() net.Addr { return l.addr }
