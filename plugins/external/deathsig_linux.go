package external

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the plugin when connectd dies, however it dies: a plugin
// left running would keep what it holds (a PostgreSQL replication slot) from the task's next
// owner.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
