//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package cli

import "errors"

// isTerminal reports false: on this system the command does not ask for
// secrets, and a missing one is an error that names its variable.
func isTerminal(fd uintptr) bool { return false }

// noEcho is not supported on this system.
func noEcho(fd uintptr) (restore func(), err error) {
	return nil, errors.New("turning off echo is not supported on this system")
}
