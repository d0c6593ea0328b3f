// Command connectd runs a node of a connectd cluster: Kafka Connect's REST API and runtime on
// nodes that coordinate through Raft.
package main

import (
	"fmt"
	"os"
)

const usage = `connectd: Kafka Connect that coordinates itself with Raft.

Usage:
  connectd agent --config FILE     run one node from a properties file
  connectd dev [flags]             run a local N-node cluster (and a Kafka broker) in one process
  connectd broker [--listen ADDR]  run the embedded in-memory Kafka-protocol broker alone
  connectd leave [--url URL]       decommission a node: hand its work off and remove it
  connectd ctl VERB NOUN ...       drive the cluster from the command line (kcctl's verbs)
  connectd tls ca --dir DIR        make a cluster CA (ca.pem, ca-key.pem)
  connectd tls cert --dir DIR --name NODE [--hosts H,...]
                                   make NODE.pem (key and certificate) signed by DIR's CA
  connectd operator raft list-peers [--url URL]
                                   list the Raft servers: id, address, suffrage, state
  connectd operator raft remove-peer --id ID [--url URL]
                                   remove a dead server from the Raft configuration
  connectd version                 print the version

Run 'connectd <command> --help' for the flags of a command.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "agent":
		err = runAgent(args)
	case "dev":
		err = runDev(args)
	case "broker":
		err = runBroker(args)
	case "leave":
		err = runLeave(args)
	case "ctl":
		os.Exit(runCtl(args))
	case "tls":
		err = runTLS(args)
	case "operator":
		err = runOperator(args, os.Stdout)
	case "version":
		err = runVersion()
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "connectd: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "connectd: %v\n", err)
		os.Exit(1)
	}
}
