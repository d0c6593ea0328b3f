package main

import (
	"flag"
	"fmt"

	"github.com/connectd/connectd/broker"
)

func runBroker(args []string) error {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:9092", "`host:port` to listen on")
	advertise := fs.String("advertise", "", "`host:port` clients are told to use (default: the listen address)")
	dataDir := fs.String("data-dir", "", "keep the broker's data in `dir` (default: in memory)")
	partitions := fs.Int("partitions", 1, "partition `count` of automatically created topics")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := broker.Start(broker.Options{Listen: *listen, Advertise: *advertise, DataDir: *dataDir, Partitions: *partitions})
	if err != nil {
		return err
	}
	fmt.Printf("embedded Kafka-protocol broker (development and tests only) listening on %s\n", b.Addr())
	waitForSignal()
	b.Close()
	return nil
}
