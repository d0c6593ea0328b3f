package main

import (
	"fmt"

	"github.com/connectd/connectd/agent"
	"github.com/connectd/connectd/api"
)

func runVersion() error {
	fmt.Printf("connectd (Kafka Connect REST API %s), commit %s\n", api.Version, agent.Commit)
	return nil
}
