// Package broken has doc links that do not resolve, for the test of the
// check: [Missing], [Config.Promoted], [hidden], [Config.Nope] and
// [http.Client.Nope]. These resolve: [Config],
// [Config.Direct], [Config.Method], [Options.Promoted], [http.Client.Do],
// [time.Now]; and "[redacted]" is prose.
package broken

import (
	"net/http"
	"time"
)

// Config embeds [Options]; [InTypeDoc] is broken.
type Config struct {
	Options
	// Direct is a field; see [time.Duration], not [InFieldDoc].
	Direct int
	// client is unexported; [Options] resolves here too.
	client *http.Client
}

// Method is a method.
func (Config) Method() time.Time { return time.Time{} }

// Options are embedded.
type Options struct {
	// Promoted is promoted into [Config].
	Promoted bool
}

// hidden is unexported; [InUnexportedDoc] is broken.
func hidden() {}
