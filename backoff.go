package loginauth

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"
)

// failure is a failed login and the time until which it is served again.
type failure struct {
	err         error
	until       time.Time
	n           int  // consecutive failures
	rateLimited bool // the provider answered 429, or asked to wait with Retry-After
}

// backingOff returns the last failed login while its backoff window
// lasts, and nil otherwise. It allocates nothing.
func (s *Source) backingOff(now time.Time) *failure {
	if f := s.fail.Load(); f != nil && now.Before(f.until) {
		return f
	}
	return nil
}

// backoffError returns a BackoffError while a failed login's backoff window
// lasts, and nil otherwise.
func (s *Source) backoffError(now time.Time) error {
	if f := s.backingOff(now); f != nil {
		return &BackoffError{Provider: s.cfg.Provider, Until: f.until, RateLimited: f.rateLimited, Err: f.err}
	}
	return nil
}

// reportAndBackOff counts and reports a failed login or refresh, and starts its
// backoff window. ctx is the context of the failed LoginFunc or
// RefreshFunc call, nil when the failure is none's answer.
func (s *Source) reportAndBackOff(ctx context.Context, op string, err error, d time.Duration) {
	s.report(ctx, op, err, d)
	s.backOffAgain(err)
}

// report counts and reports a failed login or refresh, without starting
// a backoff.
func (s *Source) report(ctx context.Context, op string, err error, d time.Duration) {
	s.stats.more().failures.Add(1)
	s.emit(Event{Kind: EventFailure, Op: op, Duration: d, Err: err, Context: ctx})
}

// backOffAgain starts the backoff window of a failure, the next in a row.
func (s *Source) backOffAgain(err error) {
	n := 1
	if f := s.fail.Load(); f != nil {
		n = f.n + 1
	}
	s.startBackoff(err, s.now(), n)
}

// startBackoff records the n-th failure in a row and starts its backoff window:
// MinBackoff doubled for each earlier failure, or MaxBackoff at once when
// the credentials were refused, jittered downward by up to 20% but never
// below MinBackoff, and never shorter than the Retry-After that the
// provider asked for.
func (s *Source) startBackoff(err error, now time.Time, n int) {
	if s.cfg.MinBackoff < 0 {
		return
	}
	le := asLoginError(err)
	d := s.cfg.MaxBackoff
	if le == nil || !le.BadCredentials {
		d = s.cfg.MinBackoff << min(n-1, 30)
		if d <= 0 || d > s.cfg.MaxBackoff {
			d = s.cfg.MaxBackoff
		}
	}
	// Jitter, so that a fleet does not retry in step; downward, so that
	// MaxBackoff is the longest wait.
	d = max(time.Duration(float64(d)*(0.8+0.2*rand.Float64())), min(s.cfg.MinBackoff, d))
	limited := rateLimited(le)
	if le != nil && le.RetryAfter > 0 {
		d = max(d, min(le.RetryAfter, MaxRetryAfter))
	}
	s.fail.Store(&failure{err: err, until: now.Add(d), n: n, rateLimited: limited})
	s.warn("login backoff", slog.Duration("backoff", d), slog.Int("attempt", n))
}

// rateLimited reports whether the provider answered 429 Too Many
// Requests, or asked for a wait with Retry-After (a 429 or 503).
func rateLimited(le *LoginError) bool {
	return le != nil && (le.Status == http.StatusTooManyRequests || le.RetryAfter > 0)
}
