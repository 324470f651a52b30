// Package hostname holds the one judgement of a host name that the core
// and the declarative providers share.
package hostname

import (
	"net"
	"strings"
)

// IsLoopback reports whether host (without a port) is "localhost", in any
// case, with or without a trailing dot, or a loopback IP literal. A name
// under .localhost is not: Go resolves it through DNS like any other name,
// and a resolver may answer with a remote address. Plain http is allowed
// to a loopback host without AllowHTTP: nothing leaves the machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.EqualFold(host, "localhost.") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
