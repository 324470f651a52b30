package loginauth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth/internal/redact"
)

// LoginFunc logs in and returns a token. A [Source] calls it with a context
// detached from every caller and bounded by [Options.LoginTimeout].
//
// The token's Expiry may be zero when the provider does not state one; the
// Source then reads the expiry from the token itself when it is a JWT, or
// applies [Options.Lifetime], or else [Config.DefaultLifetime]. Values
// that a [Scheme] needs besides the access token (MIC's identityId, say)
// travel in the token's Extra fields ([oauth2.Token.WithExtra]).
type LoginFunc func(ctx context.Context) (*oauth2.Token, error)

// RefreshFunc exchanges the refresh token of old for a new token, or,
// with [Config.RefreshWhileValid], old itself. When the returned token has
// no refresh token, the Source keeps the old one.
type RefreshFunc func(ctx context.Context, old *oauth2.Token) (*oauth2.Token, error)

// Defaults for the zero values of [Config].
const (
	DefaultLoginTimeout = 30 * time.Second
	DefaultMinBackoff   = time.Second
	DefaultMaxBackoff   = time.Minute
	// DefaultEarlyRefresh caps the default early-refresh window; see
	// [Options.EarlyRefresh].
	DefaultEarlyRefresh = time.Minute
)

// Config describes a login-style API to a [Source]. Only Login and Origins
// are required; every other zero value means a sensible default.
//
// Its Format method prints it without its secrets. fmt cannot call that
// method on a Config held in an unexported field of another struct: it
// prints such a field with reflection, secrets included. Do not print
// structs that hold a Config in an unexported field.
type Config struct {
	// Provider names the API in errors, logs and events, e.g. "mic".
	// Empty means "loginauth".
	Provider string

	// Login obtains a fresh token. Required. A Login that ignores its
	// context still costs its callers no more than LoginTimeout and a
	// short grace: they get an error that names the timeout, and the
	// Source starts no other login until the stuck one returns (callers
	// get a [BackoffError] meanwhile); a token it returns late is kept. A
	// panic, or a runtime.Goexit, in Login, Refresh or the Scheme becomes
	// an error for every waiter.
	Login LoginFunc

	// Refresh, if set, is used instead of Login to renew a token that has
	// a refresh token. When it fails, the Source falls back to Login, and
	// the two are one incident: callers that arrive meanwhile wait for
	// the login, and the backoff starts only if the login fails too. A
	// refresh that the provider rate-limited (a [LoginError] with status
	// 429, or a RetryAfter) is not followed by a login: the Source backs
	// off as after a failed login.
	Refresh RefreshFunc

	// RefreshWhileValid says that Refresh renews the current token itself
	// rather than a refresh token, as APIs do that re-issue a still-valid
	// token (PocketBase's auth-refresh, Proxmox's ticket renewal): Refresh
	// is then tried only while the token is still valid and the API has
	// not refused it, whether or not it has a refresh token; otherwise
	// the Source logs in.
	RefreshWhileValid bool

	// Logout, if set, ends a token's session at the API; see
	// [Source.Logout].
	Logout LogoutFunc

	// Scheme puts the token on requests and recognises refusals.
	// Nil means [BearerScheme].
	Scheme Scheme

	// Origins lists the origins the credentials belong to, as URLs such as
	// "https://api.example.com" (scheme, host and optional port; any path is
	// ignored). A [Transport] adds credentials only to requests whose
	// scheme, host and port equal one of them. Required.
	Origins []string

	// StoreKey is the key of the token in [Options.Store]: it names the
	// provider, the base URL and the user, never a secret. Empty means the
	// provider and the origins.
	StoreKey string

	// DefaultLifetime is the provider's own default for
	// [Options.Lifetime], used when Options.Lifetime is zero. A token's
	// expiry is, in this order: the Expiry that the LoginFunc or
	// RefreshFunc returns, the exp claim of a JWT, Options.Lifetime,
	// DefaultLifetime. When all are zero the token never expires locally.
	DefaultLifetime time.Duration

	// KeepExtra names the token's Extra fields that are kept when the token
	// is stored, such as MIC's identityId.
	KeepExtra []string

	// Secrets lists the values that must never appear in an error, event
	// or log record of the Source: the password, secret key or API key
	// that Login sends. A server that echoes one, as it is, in any ASCII
	// case, percent-encoded, HTML-escaped, escaped as JSON or a Go
	// quotation, or in base64, sees it replaced by "[redacted]" in every
	// field of the error, so that errors.As finds a scrubbed [LoginError]
	// too (RELIABILITY.md lists the forms). The current token and refresh
	// token are scrubbed out of the errors of a refresh the same way.
	// Every provider package fills this from its Config.
	Secrets []string

	// Users lists the account names that Login sends beside the Secrets,
	// such as a user name or an e-mail address. They are not secret and
	// are never scrubbed: they serve only to scrub the base64 of
	// "user:secret", the Basic credential a server may echo, for each of
	// Users and each of Secrets.
	Users []string

	// Options holds the settings that every provider package's Config
	// shares.
	Options

	// Err, if non-nil, makes the Source unusable: every TokenContext call
	// and every request through a [Transport] fails with it. Provider
	// packages set it when a required field is missing, so that their
	// constructors need not return an error.
	//
	// An Err that wraps [ErrNoCredentials] fails only the logins: the
	// Source still hands out a usable token from its Store, and renews a
	// token that has a refresh token with Refresh, and returns Err where
	// it would call Login. A refused refresh then starts the backoff at
	// once, with an error that wraps Err and the refresh's failure.
	Err error
}

// Format prints c without its Secrets, whatever the verb.
func (c Config) Format(f fmt.State, verb rune) {
	redact.Format(f, c, "Secrets")
}

// Options are the optional settings of a [Source], shared by [Config] and
// by the Config of every provider package. Every zero value means a
// sensible default.
type Options struct {
	// AllowHTTP permits an origin that is plain http on a host that is not
	// loopback. Without it such a Source refuses to log in, so that
	// passwords and tokens never cross a network in clear text.
	AllowHTTP bool

	// Lifetime is how long a token lives when neither the login response
	// nor a JWT exp claim says so. Zero means the provider's default
	// ([Config.DefaultLifetime]); without one, such tokens never expire
	// locally, and are renewed only when the API refuses them.
	Lifetime time.Duration

	// EarlyRefresh is how long before expiry a background refresh starts
	// while callers keep using the still-valid token. Zero means a tenth
	// of the token's lifetime, at most [DefaultEarlyRefresh], but never
	// less than three times the last login took, so that the refresh
	// returns before the token expires, and never more than half the
	// lifetime. A positive value is capped at half the lifetime; a
	// negative value turns early refresh off.
	EarlyRefresh time.Duration

	// LoginTimeout bounds each login or refresh, with the Store's lock
	// wait, loads and save around it: all share one deadline. Zero means
	// [DefaultLoginTimeout].
	LoginTimeout time.Duration

	// MinBackoff and MaxBackoff bound the exponential backoff after a
	// failed login, during which callers get the failure at once instead
	// of starting another login. A refusal of the credentials waits up to
	// MaxBackoff at once. Each wait is jittered downward by up to 20%, and
	// stays within [MinBackoff, MaxBackoff], except that a Retry-After of
	// the provider is honoured up to [MaxRetryAfter]. The API refusing a
	// fresh token counts as a failed login too ([ErrFreshTokenRefused]).
	// Zero means [DefaultMinBackoff] and [DefaultMaxBackoff]; a negative
	// MinBackoff turns backoff off.
	MinBackoff, MaxBackoff time.Duration

	// Now returns the current time. Nil means [time.Now]. Tests set it to
	// control expiry without sleeping.
	Now func() time.Time

	// Logger, if set, receives debug and warning records about logins,
	// refreshes, refusals and withheld credentials. Nil means silent.
	// Records never hold a secret or a token. See [Event] for the
	// attribute names.
	Logger *slog.Logger

	// OnEvent, if set, is called synchronously for every [Event]. It must
	// be quick; it is never called on the path of a request that uses a
	// cached token.
	OnEvent EventFunc

	// Store, if set, keeps the token beyond this Source: a Source loads a
	// stored, unexpired token before its first login, saves every new
	// token, and deletes a refused one, in the background, so that the
	// re-sent request never waits for the Store. A Store that is also a [Locker]
	// makes the processes that share it log in one at a time. Nil means
	// the token lives in this Source's memory only.
	Store Store
}

// Source caches the token obtained by a login, renews it ahead of expiry,
// and shares one login among all callers that need one at the same time.
// It is safe for concurrent use. Create it with [New].
//
// A Source that holds a token keeps little besides it: what a login
// needs only while it runs (the flight that its callers wait on), the
// counters that stay at zero, and the settings that a Config leaves
// unset are built when first needed, or shared.
type Source struct {
	cfg        settings                // the Config's settings, with defaults filled in
	origins    []origin                // parsed cfg.Origins
	err        error                   // configuration error, returned by every call
	cur        atomic.Pointer[entry]   // the cached token; nil before the first login
	fail       atomic.Pointer[failure] // the last failed login while its backoff lasts
	fl         atomic.Pointer[flight]  // the login or refresh under way; nil when none is
	refreshing atomic.Bool             // a background refresh is under way
	running    atomic.Bool             // a renewal's goroutine has not returned
	replaced   atomic.Bool             // a request's own credential field was replaced, and logged
	loginTook  atomic.Int64            // duration of the last successful login or refresh
	rejected   atomic.Int64            // fresh tokens refused in a row, since the API last accepted one
	stats      counters
}

// settings are the parts of a [Config] that a Source keeps, with the
// defaults filled in. Those that a plain Config leaves unset are behind
// one pointer, shared by every Source that sets none of them.
type settings struct {
	Provider     string
	Login        LoginFunc
	Refresh      RefreshFunc
	Scheme       Scheme
	Now          func() time.Time
	Lifetime     time.Duration
	EarlyRefresh time.Duration
	LoginTimeout time.Duration
	MinBackoff   time.Duration
	MaxBackoff   time.Duration
	*extra       // never nil: noExtra when the Config sets none of its fields
}

// extra are the settings that a plain Config leaves unset.
type extra struct {
	StoreKey  string
	KeepExtra []string
	Secrets   []string
	Logger    *slog.Logger
	OnEvent   EventFunc
	Store     Store
	Users     []string
	Logout    LogoutFunc
	// RefreshWhileValid: see Config.
	RefreshWhileValid bool
	noLogin           error                          // Config.Err that wraps ErrNoCredentials: returned in place of a login
	deleting          atomic.Pointer[sync.WaitGroup] // background deletes of refused tokens, from the first: see Source.Settle
}

// noExtra is the extra of every Source whose Config sets none of its
// fields.
var noExtra = &extra{}

// bearerScheme is BearerScheme as a Scheme, converted once, so that the
// Sources that take the default share it.
var bearerScheme Scheme = BearerScheme

// New returns a Source for the API that cfg describes. It never fails: a
// configuration error is returned by every later call instead.
func New(cfg Config) *Source {
	if cfg.Provider == "" {
		cfg.Provider = "loginauth"
	}
	if cfg.Scheme == nil {
		cfg.Scheme = bearerScheme
	}
	if cfg.LoginTimeout <= 0 {
		cfg.LoginTimeout = DefaultLoginTimeout
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = cfg.DefaultLifetime
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	s := &Source{err: cfg.Err, cfg: settings{
		Provider: cfg.Provider, Login: cfg.Login, Refresh: cfg.Refresh, Scheme: cfg.Scheme, Now: cfg.Now,
		Lifetime: cfg.Lifetime, EarlyRefresh: cfg.EarlyRefresh, LoginTimeout: cfg.LoginTimeout,
		MinBackoff: cfg.MinBackoff, MaxBackoff: cfg.MaxBackoff, extra: noExtra,
	}}
	x := extra{
		StoreKey: cfg.StoreKey, KeepExtra: cfg.KeepExtra, Secrets: cfg.Secrets, Logger: cfg.Logger, OnEvent: cfg.OnEvent, Store: cfg.Store,
		Users: cfg.Users, Logout: cfg.Logout, RefreshWhileValid: cfg.RefreshWhileValid,
	}
	if errors.Is(cfg.Err, ErrNoCredentials) {
		s.err, x.noLogin = nil, cfg.Err
	}
	if s.err == nil && cfg.Login == nil {
		s.err = fmt.Errorf("%s: Config.Login is required", cfg.Provider)
	}
	if s.err == nil {
		s.origins, s.err = parseOrigins(cfg.Provider, cfg.Origins, cfg.AllowHTTP)
	}
	if x.StoreKey == "" && x.Store != nil {
		x.StoreKey = defaultStoreKey(cfg.Provider, s.origins)
	}
	if x.StoreKey != "" || x.KeepExtra != nil || x.Secrets != nil || x.Logger != nil || x.OnEvent != nil || x.Store != nil ||
		x.Users != nil || x.Logout != nil || x.RefreshWhileValid || x.noLogin != nil {
		s.cfg.extra = &x
	}
	return s
}

// Token returns a valid token, logging in if needed. It is
// TokenContext(context.Background()), so that a *Source is an
// [oauth2.TokenSource]. The returned token is shared: do not modify it.
// Nor print it: an [oauth2.Token] has no Format method, so fmt prints its
// access and refresh tokens with %v.
func (s *Source) Token() (*oauth2.Token, error) {
	return s.TokenContext(context.Background())
}

// TokenContext returns a valid token, logging in if needed. ctx bounds only
// this caller's wait: when it ends, TokenContext returns an error that
// wraps ctx.Err(), and the shared login goes on for the other callers.
// The returned token is shared: do not modify it, and do not print it
// (see [Source.Token]).
func (s *Source) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	e, err := s.entry(ctx)
	if err != nil {
		return nil, err
	}
	return e.tok, nil
}

// Invalidate forgets tok if, and only if, it is still the cached token, so
// that many requests refused with the same token cause one login. Tokens
// are compared by their access token. The refresh token of the forgotten
// token is still used for the next renewal, when there is a
// [Config.Refresh]. The stored token is deleted in the background, within
// the store's timeout, so that Invalidate never waits for the Store: a
// failed delete is an [EventStoreError], and a Source never loads back
// the token it was told to forget.
func (s *Source) Invalidate(tok *oauth2.Token) { s.invalidate(tok) }

// Settle waits until the deletions of refused tokens that the Source runs
// in the background (see [Source.Invalidate]) have ended, or until ctx
// ends. A program that exits soon after a refusal, a command-line tool
// say, calls it before it exits, so that the Store does not keep the
// refused token.
func (s *Source) Settle(ctx context.Context) error {
	if s.cfg.Store == nil {
		return nil
	}
	wg := s.cfg.deleting.Load()
	if wg == nil {
		return nil // nothing was ever deleted
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: the store's deletes have not ended: %w", s.cfg.Provider, ctx.Err())
	}
}

// Forget drops the cached token and deletes the stored one, as a logout
// does: the next call logs in. It reports whether the Store held a token.
// It works on a Source whose Config lacks its password, so that a logout
// needs no credentials.
func (s *Source) Forget(ctx context.Context) (bool, error) {
	s.cur.Store(nil)
	if s.cfg.Store == nil {
		return false, nil
	}
	b, err := s.cfg.Store.Load(ctx, s.cfg.StoreKey)
	if err != nil || b == nil {
		return false, err
	}
	return true, s.cfg.Store.Delete(ctx, s.cfg.StoreKey, b)
}

// CredentialHeaders returns the canonical names of the header fields that
// carry the credentials of s, such as "Authorization", "Identityid" and
// "X-Api-Key" for MIC, so that tracing and logging can redact them. It
// asks a Scheme that is a [HeaderNamer], which works before the first
// login; for any other Scheme it reads the fields of the cached token,
// and returns nil before there is one. It lists "Cookie" when the Scheme
// is a [RequestScheme] that names cookies ([Source.CredentialCookies]).
func (s *Source) CredentialHeaders() []string {
	if n, ok := s.cfg.Scheme.(HeaderNamer); ok {
		return s.withCookie(n.CredentialHeaders())
	}
	e := s.cur.Load()
	if e == nil {
		return s.withCookie(nil)
	}
	names := make([]string, 0, len(e.header))
	for _, f := range e.header {
		names = append(names, f.key)
	}
	slices.Sort(names)
	return s.withCookie(names)
}

// Format prints the provider and origins of s and whether it holds a
// token; never the token or the credentials.
func (s *Source) Format(f fmt.State, verb rune) {
	state := "none"
	if e := s.cur.Load(); e != nil {
		state = "cached"
		if e.revoked {
			state = "refused"
		} else if !e.usable(s.now()) {
			state = "expired"
		}
	}
	names := make([]string, len(s.origins))
	for i, o := range s.origins {
		names[i] = o.String()
	}
	fmt.Fprintf(f, "loginauth.Source{Provider:%q Origins:%q Token:%s}", s.cfg.Provider, names, state)
}

// String is like Format with %v.
func (s *Source) String() string { return fmt.Sprint(s) }

// GoString is like Format with %#v.
func (s *Source) GoString() string { return fmt.Sprint(s) }

// entry is an immutable snapshot of the cached token. Its expiry is
// tok.Expiry; zero: it never expires locally.
type entry struct {
	tok       *oauth2.Token
	refreshAt time.Time // zero: no early refresh
	header    []field   // the scheme's header fields, built once per token
	sess      *session  // a RequestScheme's cookies and parameters; nil: none
	stored    string    // the token's encoding in the Store, if saved or loaded
	revoked   bool      // refused by the API; kept only for its refresh token
}

type field struct {
	key  string
	vals []string
}

// failure is a failed login and the time until which it is served again.
type failure struct {
	err         error
	until       time.Time
	n           int  // consecutive failures
	rateLimited bool // the provider answered 429, or asked to wait with Retry-After
}

// usable reports whether e may be handed to a caller at now.
func (e *entry) usable(now time.Time) bool {
	return e != nil && !e.revoked && (e.tok.Expiry.IsZero() || now.Before(e.tok.Expiry))
}

// fresh reports whether e is usable and not yet due for an early refresh.
func (e *entry) fresh(now time.Time) bool {
	return e.usable(now) && (e.refreshAt.IsZero() || now.Before(e.refreshAt))
}

func (s *Source) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// entry returns a usable cache entry. With a usable cached token it takes
// no lock and allocates nothing.
func (s *Source) entry(ctx context.Context) (*entry, error) {
	e := s.cur.Load()
	if e != nil {
		now := s.now()
		if e.usable(now) {
			if !e.refreshAt.IsZero() && !now.Before(e.refreshAt) {
				s.refreshAhead(ctx, now)
			}
			return e, nil
		}
	}
	return s.wait(ctx)
}

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
	if err := s.backoff(s.now()); err != nil {
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
	f.e, f.err = s.flight(ctx)
	s.fl.Store(nil)
	close(f.done)
}

// backingOff returns the last failed login while its backoff window
// lasts, and nil otherwise. It allocates nothing.
func (s *Source) backingOff(now time.Time) *failure {
	if f := s.fail.Load(); f != nil && now.Before(f.until) {
		return f
	}
	return nil
}

// backoff returns a BackoffError while a failed login's backoff window
// lasts, and nil otherwise.
func (s *Source) backoff(now time.Time) error {
	if f := s.backingOff(now); f != nil {
		return &BackoffError{Provider: s.cfg.Provider, Until: f.until, RateLimited: f.rateLimited, Err: f.err}
	}
	return nil
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

// flight is the one login or refresh that all waiting callers share. It
// runs detached from the context of the caller that started it, under one
// deadline of LoginTimeout for the Store's lock, its loads, the login and
// the save. The work runs in a goroutine of its own, so that whatever the
// LoginFunc, RefreshFunc, Scheme or Store does (hang, panic, or call
// runtime.Goexit) every waiter has an answer within LoginTimeout and
// loginGrace. A login function that outlives that is abandoned, and no
// other login starts until it returns: see [Config.Login].
func (s *Source) flight(ctx context.Context) (*entry, error) {
	now := s.now()
	cur := s.cur.Load()
	if cur.fresh(now) {
		return cur, nil // a flight that just ended already renewed it
	}
	if err := s.backoff(now); err != nil {
		return nil, err
	}
	if !s.running.CompareAndSwap(false, true) {
		err := fmt.Errorf("%s: login not started: the last login ignored its timeout of %v and has not returned yet", s.cfg.Provider, s.cfg.LoginTimeout)
		s.lost(nil, "login", err, 0)
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
				r.err = s.recovered(recover(), cur)
				s.lost(a.ctx, cmp.Or(a.op, "login"), r.err, 0)
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
		s.lost(nil, "login", err, s.cfg.LoginTimeout+loginGrace)
		return nil, err
	}
}

// recovered turns what recover returned in a renewal into an error; nil
// means the renewal called runtime.Goexit.
func (s *Source) recovered(v any, cur *entry) error {
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
	s.backOff(err)
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
			s.lost(ctx, op, err, d)
		}
		return nil, err
	}
	s.loginTook.Store(int64(d))
	if kind == EventRefresh {
		s.stats.refreshes.Add(1)
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

// lost counts and reports a failed login or refresh, and starts its
// backoff window. ctx is the context of the failed LoginFunc or
// RefreshFunc call, nil when the failure is none's answer.
func (s *Source) lost(ctx context.Context, op string, err error, d time.Duration) {
	s.report(ctx, op, err, d)
	s.backOff(err)
}

// report counts and reports a failed login or refresh, without starting
// a backoff.
func (s *Source) report(ctx context.Context, op string, err error, d time.Duration) {
	s.stats.more().failures.Add(1)
	s.emit(Event{Kind: EventFailure, Op: op, Duration: d, Err: err, Context: ctx})
}

// backOff starts the backoff window of a failure, the next in a row.
func (s *Source) backOff(err error) {
	n := 1
	if f := s.fail.Load(); f != nil {
		n = f.n + 1
	}
	s.failed(err, s.now(), n)
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

// failed records the n-th failure in a row and starts its backoff window:
// MinBackoff doubled for each earlier failure, or MaxBackoff at once when
// the credentials were refused, jittered downward by up to 20% but never
// below MinBackoff, and never shorter than the Retry-After that the
// provider asked for.
func (s *Source) failed(err error, now time.Time, n int) {
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

// newEntry builds the cache entry for a token obtained at now, working
// out its expiry: the provider's stated expiry, else the JWT exp claim,
// else Options.Lifetime or Config.DefaultLifetime, else never. An expiry that is not in the
// future is taken as a clock or provider error and ignored.
func (s *Source) newEntry(tok *oauth2.Token, now time.Time) *entry {
	exp := tok.Expiry
	if !exp.After(now) || exp.Year() > 9999 {
		exp = time.Time{}
		if jexp, ok := jwtExpiry(tok.AccessToken); ok && jexp.After(now) {
			exp = jexp
		} else if s.cfg.Lifetime > 0 {
			exp = now.Add(s.cfg.Lifetime)
		}
	}
	typ := tokenType(s.cfg.Scheme, tok.TokenType)
	if !tok.Expiry.Equal(exp) || tok.TokenType != typ {
		t := *tok
		t.Expiry, t.TokenType = exp, typ
		tok = &t
	}
	e := &entry{tok: tok}
	if !exp.IsZero() {
		if w := s.earlyWindow(exp.Sub(now)); w > 0 {
			e.refreshAt = exp.Add(-w)
		}
	}
	for k, v := range s.cfg.Scheme.Credentials(e.tok) {
		e.header = append(e.header, field{key: k, vals: v})
	}
	if rs, ok := s.cfg.Scheme.(RequestScheme); ok {
		e.sess = newSession(rs, e.tok)
	}
	return e
}

// tokenType is the TokenType that makes an oauth2.Transport send a token
// the way scheme does: a HeaderScheme's Prefix, or else the token's own.
func tokenType(scheme Scheme, own string) string {
	switch h := scheme.(type) {
	case HeaderScheme:
		if h.Prefix != "" {
			return h.Prefix
		}
	case *HeaderScheme:
		if h.Prefix != "" {
			return h.Prefix
		}
	}
	return own
}

// earlyWindow is how long before the end of a token's lifetime its
// background refresh starts. The default is a tenth of the lifetime, at
// most DefaultEarlyRefresh, but never less than three times the last
// login took, so that the refresh returns before the token expires; and
// never more than half the lifetime.
func (s *Source) earlyWindow(lifetime time.Duration) time.Duration {
	switch w := s.cfg.EarlyRefresh; {
	case w < 0:
		return 0
	case w > 0:
		return min(w, lifetime/2)
	default:
		w = max(min(DefaultEarlyRefresh, lifetime/10), 3*time.Duration(s.loginTook.Load()))
		return min(w, lifetime/2)
	}
}

// invalidate is Invalidate, reporting whether it forgot the token.
func (s *Source) invalidate(tok *oauth2.Token) bool {
	if tok == nil {
		return false
	}
	for {
		e := s.cur.Load()
		if e == nil || e.revoked || e.tok.AccessToken != tok.AccessToken {
			s.emit(Event{Kind: EventInvalidateIgnored})
			return false
		}
		if s.cur.CompareAndSwap(e, &entry{tok: e.tok, revoked: true}) {
			s.stats.more().invalidations.Add(1)
			s.emit(Event{Kind: EventInvalidate})
			if s.cfg.Store != nil && e.stored != "" {
				wg := s.cfg.deleting.Load()
				if wg == nil {
					s.cfg.deleting.CompareAndSwap(nil, new(sync.WaitGroup))
					wg = s.cfg.deleting.Load()
				}
				wg.Add(1)
				go s.forgetStored(wg, e.stored) // off the request path: see forgetStored
			}
			return true
		}
	}
}

// refusedFresh records that the API refused tok, the token of a login
// that the refusal of an older token caused. Logging in again would not
// help, so tok is forgotten and counted as a failed login: the backoff
// starts, and grows with each such refusal until the API accepts a token.
// Many requests refused with the same token count once.
func (s *Source) refusedFresh(tok *oauth2.Token, status int) {
	if !s.invalidate(tok) {
		return
	}
	err := &LoginError{Provider: s.cfg.Provider, Op: "login", Status: status, Err: ErrFreshTokenRefused}
	s.stats.more().failures.Add(1)
	s.emit(Event{Kind: EventFailure, Op: "login", Err: err})
	s.failed(err, s.now(), int(s.rejected.Add(1)))
}

// accepted notes that the API accepted a token: the count of fresh tokens
// refused in a row starts again.
func (s *Source) accepted() {
	if s.rejected.Load() != 0 {
		s.rejected.Store(0)
	}
}
