//go:build !linux

package external

import "os/exec"

// dieWithParent is Linux-only (Pdeathsig); elsewhere a plugin outlives a crashed connectd.
func dieWithParent(*exec.Cmd) {}
