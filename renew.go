package loginauth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth/internal/redact"
)

// refreshAhead starts one background refresh of a token that is still
// valid but inside its early-refresh window.
func (s *Source) refreshAhead(ctx context.Context, now time.Time) {
	if s.backingOff(now) != nil || !s.refreshing.CompareAndSwap(false, true) {
		return
	}
	s.emit(Event{Kind: EventBackgroundRefresh})
	go func() {
		defer s.refreshing.Store(false)
		<-s.join(ctx).done
	}()
}

// wait joins, or starts, the shared login and waits for it or for ctx.
func (s *Source) wait(ctx context.Context) (*entry, error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: not waiting for login: %w", s.cfg.Provider, err)
	}
	if err := s.backoffError(s.now()); err != nil {
		return nil, err
	}
	f := s.join(ctx)
	select {
	case <-f.done:
		return f.e, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: gave up waiting for login: %w", s.cfg.Provider, ctx.Err())
	}
}

// flight is the one login or refresh that every caller needing a token
// waits for: they select on done beside their own context, which costs
// them no allocation. It exists only while the renewal runs.
type flight struct {
	done chan struct{} // closed when the flight ends, after e and err are set
	e    *entry
	err  error
}

// join returns the flight under way, or starts one, which runs with the
// values, but not the cancellation, of ctx.
func (s *Source) join(ctx context.Context) *flight {
	for {
		if f := s.fl.Load(); f != nil {
			return f
		}
		f := &flight{done: make(chan struct{})}
		if s.fl.CompareAndSwap(nil, f) {
			go s.lead(ctx, f)
			return f
		}
	}
}

// lead runs flight f: a caller that arrives once it has ended starts
// another, which finds the token fresh or the backoff on.
func (s *Source) lead(ctx context.Context, f *flight) {
	f.e, f.err = s.fly(ctx)
	s.fl.Store(nil)
	close(f.done)
}

// loginGrace is how long past the login timeout a [Source] waits for a
// login function that ignores its context, before it gives up on it.
const loginGrace = 250 * time.Millisecond

// result is what one renewal hands to the flight that waits for it.
type result struct {
	e   *entry
	err error
}

// attempt is the login or refresh under way in a renewal, so that the
// failure of one that panics ends with its EventStart's context.
type attempt struct {
	op  string          // "login" or "refresh"; empty: none under way
	ctx context.Context // the context the LoginFunc or RefreshFunc runs with
}

// fly is the work of a flight: the one login or refresh that all
// waiting callers share. It runs detached from the context of the caller
// that started it, under one deadline of LoginTimeout for the Store's
// lock, its loads, the login and the save. The work runs in a goroutine
// of its own, so that whatever the LoginFunc, RefreshFunc, Scheme or
// Store does (hang, panic, or call runtime.Goexit) every waiter has an
// answer within LoginTimeout and loginGrace. A login function that
// outlives that is abandoned, and no other login starts until it returns:
// see [Config.Login].
func (s *Source) fly(ctx context.Context) (*entry, error) {
	now := s.now()
	cur := s.cur.Load()
	if cur.fresh(now) {
		return cur, nil // a flight that just ended already renewed it
	}
	if err := s.backoffError(now); err != nil {
		return nil, err
	}
	if !s.running.CompareAndSwap(false, true) {
		err := fmt.Errorf("%s: login not started: the last login ignored its timeout of %v and has not returned yet", s.cfg.Provider, s.cfg.LoginTimeout)
		s.reportAndBackOff(nil, "login", err, 0)
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.LoginTimeout)
	done := make(chan result, 1)
	go func() {
		var r result
		var a attempt
		returned := false
		defer func() {
			if !returned {
				r.err = s.panicError(recover(), cur)
				s.reportAndBackOff(a.ctx, cmp.Or(a.op, "login"), r.err, 0)
			}
			cancel()
			s.running.Store(false)
			done <- r
		}()
		r.e, r.err = s.renew(ctx, cur, &a)
		returned = true
	}()
	t := time.NewTimer(s.cfg.LoginTimeout + loginGrace)
	defer t.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, r.err
		}
		return r.e, nil
	case <-t.C:
		err := fmt.Errorf("%s: login failed: no answer within the login timeout of %v; the login function ignores its context: %w", s.cfg.Provider, s.cfg.LoginTimeout, context.DeadlineExceeded)
		s.reportAndBackOff(nil, "login", err, s.cfg.LoginTimeout+loginGrace)
		return nil, err
	}
}

// panicError turns what recover returned in a renewal into an error; nil
// means the renewal called runtime.Goexit.
func (s *Source) panicError(v any, cur *entry) error {
	if v == nil {
		return fmt.Errorf("%s: login failed: the login function called runtime.Goexit", s.cfg.Provider)
	}
	err, _ := v.(error)
	if err == nil {
		err = fmt.Errorf("%v", v)
	}
	return s.scrub(fmt.Errorf("%s: login panicked: %w", s.cfg.Provider, err), cur)
}

// renew is the work of a flight: a fresh token from the Store, or else a
// refresh or a login, made the cached token.
func (s *Source) renew(ctx context.Context, cur *entry, a *attempt) (*entry, error) {
	old := cur // the token whose refresh token a refresh uses
	if s.cfg.Store != nil {
		e, stale := s.loadStored(ctx, cur)
		if e != nil {
			return s.adopt(e), nil
		}
		if _, ok := s.cfg.Store.(Locker); ok {
			defer s.lock(ctx)()
			if e, stale = s.loadStored(ctx, cur); e != nil {
				return s.adopt(e), nil // another process logged in meanwhile
			}
		}
		if stale != nil && (old == nil || old.tok.RefreshToken == "") {
			old = stale // stored by another process, or by an earlier run
		}
	}
	var tok *oauth2.Token
	var err error
	if s.cfg.Refresh != nil && old != nil && s.refreshable(old, s.now()) {
		tok, err = s.call(ctx, a, EventRefresh, old, func(ctx context.Context) (*oauth2.Token, error) {
			return s.cfg.Refresh(ctx, old.tok)
		})
		if err == nil && tok.RefreshToken == "" {
			t := *tok
			t.RefreshToken = old.tok.RefreshToken
			tok = &t
		}
		if err != nil {
			if err = s.refreshFailed(err); err != nil {
				return nil, err
			}
		}
	}
	if tok == nil && s.cfg.noLogin != nil {
		return nil, s.cfg.noLogin
	}
	if tok == nil {
		tok, err = s.call(ctx, a, EventLogin, cur, s.cfg.Login)
	}
	if err != nil {
		return nil, err
	}
	e := s.newEntry(tok, s.now())
	if s.cfg.Store != nil {
		s.save(ctx, e)
	}
	return s.adopt(e), nil
}

// refreshable reports whether Refresh may renew the token of e at now:
// while it is valid, with [Config.RefreshWhileValid]; otherwise when it
// has a refresh token.
func (s *Source) refreshable(e *entry, now time.Time) bool {
	if s.cfg.RefreshWhileValid {
		return e.usable(now)
	}
	return e.tok.RefreshToken != ""
}

// refreshFailed decides what follows a refused refresh, which with the
// login that may follow it is one incident: the refresh's failure has
// been reported but has started no backoff, so that callers arriving
// meanwhile join the login. It returns nil when the login goes ahead.
// With no login to fall back to (no secret), or when the provider
// rate-limited the refresh (a login against the same server would be
// rate-limited too), the backoff starts here, and the error it returns
// ends the renewal.
func (s *Source) refreshFailed(err error) error {
	if s.cfg.noLogin != nil {
		err = fmt.Errorf("%w; %w", s.cfg.noLogin, err)
	} else if !rateLimited(asLoginError(err)) {
		return nil
	}
	s.backOffAgain(err)
	return err
}

// adopt makes e the cached token and ends any backoff.
func (s *Source) adopt(e *entry) *entry {
	s.fail.Store(nil)
	s.cur.Store(e)
	return e
}

// call runs one login or refresh and reports it: an EventStart, whose
// hook may hand back the context that fn runs with, then the event that
// ends it, with that context. Errors come back scrubbed of the Config's
// secrets and of the tokens of cur. a records the call while fn runs.
func (s *Source) call(ctx context.Context, a *attempt, kind EventKind, cur *entry, fn LoginFunc) (*oauth2.Token, error) {
	op := kind.op()
	ctx = s.start(ctx, op)
	*a = attempt{op: op, ctx: ctx}
	start := time.Now()
	tok, err := fn(ctx)
	*a = attempt{}
	switch {
	case err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		err = s.timedOut(op, err)
	case err == nil && (tok == nil || tok.AccessToken == ""):
		err = fmt.Errorf("%s: %s returned no token", s.cfg.Provider, op)
	}
	d := time.Since(start)
	if err != nil {
		err = s.scrub(err, cur)
		if kind == EventRefresh {
			s.report(ctx, op, err, d) // renew decides on the backoff: see refreshFailed
		} else {
			s.reportAndBackOff(ctx, op, err, d)
		}
		return nil, err
	}
	s.loginTook.Store(int64(d))
	if kind == EventRefresh {
		s.stats.more().refreshes.Add(1)
	} else {
		s.stats.logins.Add(1)
	}
	s.emit(Event{Kind: kind, Op: op, Duration: d, Context: ctx})
	return tok, nil
}

// scrub returns err without any form of the Config's secrets or of the
// tokens of cur, which a refresh call may echo.
func (s *Source) scrub(err error, cur *entry) error {
	if err == nil {
		return nil
	}
	secrets := s.cfg.Secrets
	if cur != nil {
		secrets = append(slices.Clip(secrets), cur.tok.AccessToken, cur.tok.RefreshToken)
	}
	return scrubError(redact.NewUserSecrets(s.cfg.Users, secrets...), err)
}

// timedOut says that err came from the login timeout, keeping a
// LoginError a LoginError.
func (s *Source) timedOut(op string, err error) error {
	note := fmt.Sprintf("no answer within the login timeout of %v", s.cfg.LoginTimeout)
	if le := asLoginError(err); le != nil {
		c := *le
		c.Err = fmt.Errorf("%s: %w", note, le.Err)
		return &c
	}
	return fmt.Errorf("%s: %s failed: %s: %w", s.cfg.Provider, op, note, err)
}
