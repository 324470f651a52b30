package loginauthtest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultLifetime is the lifetime of issued tokens when neither the provider
// fake nor the test has called [Server.SetLifetime].
const DefaultLifetime = time.Hour

// DefaultLoginDelay is how long [FaultSlow] stalls a login when no delay was
// set with [Server.SetLoginDelay].
const DefaultLoginDelay = 5 * time.Second

// DefaultHugeSize is the number of bytes [FaultHuge] streams when no size was
// set with [Server.SetHugeSize].
const DefaultHugeSize int64 = 256 << 20

// Server is the provider-independent core of a fake login-style API server.
// It embeds the running [httptest.Server], so URL, Client and the other
// httptest methods are available directly.
//
// Create one with [NewServer] or [NewUnstartedServer].
type Server struct {
	*httptest.Server

	logins    atomic.Int64
	refreshes atomic.Int64
	refused   atomic.Int64
	requests  atomic.Int64

	ctx  context.Context    // the base of every request's context
	stop context.CancelFunc // called by Close to end stalled handlers

	mu         sync.Mutex // protects the fields below
	now        func() time.Time
	offset     time.Duration
	lifetime   time.Duration
	tokens     map[string]*issued
	fault      Fault
	loginDelay time.Duration
	hugeSize   int64
}

// issued is a token registered with Server.Issue.
type issued struct {
	subject string
	expiry  time.Time
	revoked bool
}

// NewServer starts and returns a Server serving h on a plain HTTP listener
// on 127.0.0.1. The caller should call Close when finished.
func NewServer(h http.Handler) *Server {
	s := NewUnstartedServer(h)
	s.Start()
	return s
}

// NewUnstartedServer returns a Server serving h, and the control endpoints
// under [ControlPrefix], that is not yet started, so that a provider fake
// can configure it first. Call Start (or StartTLS) from
// the embedded [httptest.Server] to start it.
func NewUnstartedServer(h http.Handler) *Server {
	s := &Server{tokens: make(map[string]*issued)}
	s.Server = httptest.NewUnstartedServer(s.withControl(h))
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.Config.BaseContext = func(net.Listener) context.Context { return s.ctx }
	return s
}

// Close ends the handlers that are stalling on purpose ([FaultSlow],
// [FaultDrip], a login delay), then shuts the server down and blocks until
// all outstanding requests have completed.
func (s *Server) Close() {
	s.stop()
	s.Server.Close()
}

// Now returns the fake server's notion of the current time: the time
// function set with [Server.SetNow] (by default [time.Now]) plus everything
// passed to [Server.Advance] since. The method value s.Now can be handed to
// a client under test as its clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

func (s *Server) nowLocked() time.Time {
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	return now().Add(s.offset)
}

// Advance moves the fake clock forward by d. Tokens whose expiry falls
// before the new time are refused from then on.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// SetNow replaces the time function the fake clock is based on and clears
// any offset added by [Server.Advance]. A nil now restores [time.Now].
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
	s.offset = 0
}

// SetLifetime sets the lifetime of the tokens issued from now on. Tokens
// already issued keep their expiry.
func (s *Server) SetLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lifetime = d
}

// Lifetime returns the lifetime given to tokens issued now: the value set
// with [Server.SetLifetime], or [DefaultLifetime].
func (s *Server) Lifetime() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lifetime <= 0 {
		return DefaultLifetime
	}
	return s.lifetime
}

// Logins returns the number of login attempts that reached a login handler
// (see [Server.BeginLogin]), successful or not, faulted ones included.
func (s *Server) Logins() int64 { return s.logins.Load() }

// Refreshes returns the number of refresh attempts that reached a refresh
// handler (see [Server.BeginRefresh]), successful or not.
func (s *Server) Refreshes() int64 { return s.refreshes.Load() }

// Refused returns the number of requests to protected endpoints that were
// refused because a token (or another credential the provider requires with
// it) was missing, unknown, expired or revoked.
func (s *Server) Refused() int64 { return s.refused.Load() }

// Requests returns the number of requests to protected endpoints whose
// credentials were accepted.
func (s *Server) Requests() int64 { return s.requests.Load() }

// CountRequest counts one request to a protected endpoint whose credentials
// were accepted. Provider fakes call it when they do not use
// [Server.Authorize].
func (s *Server) CountRequest() { s.requests.Add(1) }

// CountRefused counts one request to a protected endpoint refused for its
// credentials. Provider fakes call it when they do not use
// [Server.Authorize], or when they refuse a request before looking at the
// token (a missing API key, say).
func (s *Server) CountRefused() { s.refused.Add(1) }
