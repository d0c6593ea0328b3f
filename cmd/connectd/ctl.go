package main

import "github.com/connectd/connectd/ctl"

// runCtl runs the command-line client and returns its exit code.
func runCtl(args []string) int { return ctl.Run(args) }
