package loginauthtest

import (
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"
)

// RoundTripperFunc is an [http.RoundTripper] that is a function, for a test
// that needs a transport but no server.
type RoundTripperFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f(r).
func (f RoundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Epoch is the time a [Clock] starts at when none is given: a fixed instant,
// so that tests print the same times on every run.
var Epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Clock is a settable time source. Its method value c.Now is what a client
// under test takes as its clock. The zero Clock stands at [Epoch]. It is
// safe for concurrent use.
type Clock struct {
	mu sync.Mutex // protects t
	t  time.Time
}

// NewClock returns a Clock that stands at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		c.t = Epoch
	}
	return c.t
}

// Advance moves the clock by d, which may be negative.
func (c *Clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// leakWait is how long [CheckLeaks] lets goroutines wind down.
const leakWait = 2 * time.Second

// CheckLeaks records how many goroutines run now and, when the test ends
// (after the cleanups registered later, which close servers and
// connections), fails it with every goroutine's stack if more are still
// running after a grace period of 2 s. Call it first in a test; it cannot be
// used by tests that run in parallel with others.
func CheckLeaks(t testing.TB) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(leakWait)
		for runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("loginauthtest: %d goroutines left behind (baseline %d):\n%s", runtime.NumGoroutine()-base, base, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
