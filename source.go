package loginauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	cfg     settings // the Config's settings, with defaults filled in
	origins []origin // parsed cfg.Origins
	err     error    // configuration error, returned by every call

	// A Source is one state machine, whose state is cur, fail and fl, each
	// read and swapped atomically, so that the cached path takes no lock:
	//
	//   - cur is the cached token: nil before the first token and after
	//     Forget; otherwise an entry that is never modified once stored, only
	//     replaced whole. A usable entry is handed out as it is (current). An
	//     entry the API refused is revoked: kept only for its refresh token,
	//     never handed out, and never loaded back from the Store. Only adopt
	//     stores a token (after a renewal or a load from the Store); only
	//     invalidate revokes one, and only the one it was given.
	//   - fail is the last failed login or refresh while its backoff lasts:
	//     meanwhile no renewal starts and callers get a [BackoffError]. Only
	//     startBackoff sets it, and only adopt clears it.
	//   - fl is the flight, the one renewal that all the callers needing a
	//     token wait for: at most one at a time, set by join, cleared by lead
	//     just before the waiters are released.
	//
	// Renewals run in renew.go, backoff in backoff.go, the cache entry in
	// entry.go, the Store in store.go, events in event.go, and the Source's
	// side of a request through a Transport in request.go. The other fields
	// are flags and counters that guard a single step each.
	cur        atomic.Pointer[entry]   // the cached token; nil before the first login
	fail       atomic.Pointer[failure] // the last failed login while its backoff lasts
	fl         atomic.Pointer[flight]  // the login or refresh under way; nil when none is
	refreshing atomic.Bool             // a background refresh is under way: at most one
	running    atomic.Bool             // a renewal's goroutine has not returned: at most one, even when its flight gave up on it
	replaced   atomic.Bool             // a request's own credential field was replaced, and logged
	rejected   atomic.Int32            // fresh tokens refused in a row, since the API last accepted one: the n of their backoff
	loginTook  atomic.Int64            // duration of the last successful login or refresh
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
	e, err := s.current(ctx)
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

func (s *Source) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// current returns a usable cache entry. With a usable cached token it takes
// no lock and allocates nothing.
func (s *Source) current(ctx context.Context) (*entry, error) {
	e := s.cur.Load()
	if e != nil {
		now := s.now()
		if e.usable(now) {
			if e.due(now) {
				s.refreshAhead(ctx, now)
			}
			return e, nil
		}
	}
	return s.wait(ctx)
}
