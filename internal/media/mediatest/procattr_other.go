//go:build !linux

package mediatest

import "os/exec"

// dieWithParent has no portable equivalent outside Linux; t.Cleanup still
// stops the process when the test ends normally.
func dieWithParent(cmd *exec.Cmd) {}
