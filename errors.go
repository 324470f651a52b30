package loginauth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/loginauth/loginauth/internal/redact"
)

// ErrNoCredentials reports that a [Source] needs to log in and has no
// credentials to log in with: its Config lacks the password or secret
// key. A provider package that is given no secret wraps it in
// [Config.Err]; such a Source still hands out a stored token while it is
// usable, and still renews it with its refresh token, and fails with
// Config.Err only when a login is needed. A command can then ask its user
// to log in: errors.Is(err, ErrNoCredentials).
var ErrNoCredentials = errors.New("loginauth: no credentials to log in with")

// LoginError reports a login or refresh that the provider answered but did
// not grant: wrong credentials, a business error in the body, or an
// unexpected status. It never holds a password, secret or token.
type LoginError struct {
	// Provider names the provider, e.g. "mic".
	Provider string
	// Op is what failed: "login", "refresh", "signup" (xano's Signup) or
	// "discover" (mic's Discover).
	Op string
	// Status is the HTTP status of the response; 0 when the failure was
	// not an HTTP answer.
	Status int
	// Code is the provider's own error code, such as MIC's
	// "INVALID_LOGIN" or Xano's "ERROR_CODE_ACCESS_DENIED", when it gives one.
	Code string
	// Message is the provider's own error message, when it gives one.
	Message string
	// BadCredentials reports that the provider refused the username and
	// password (or secret). Such an answer will not change by retrying, so
	// a [Source] waits its longest backoff before trying again.
	BadCredentials bool
	// RetryAfter is how long the provider asked the client to wait, from
	// the Retry-After field of a 429 or 503 answer; zero when it did not
	// say. A [Source] waits at least this long, up to [MaxRetryAfter],
	// before the next login.
	RetryAfter time.Duration
	// Err is the underlying cause, if any.
	Err error
}

// Error returns a one-line description that starts with the provider name.
func (e *LoginError) Error() string {
	var b strings.Builder
	p := e.Provider
	if p == "" {
		p = "loginauth"
	}
	op := e.Op
	if op == "" {
		op = "login"
	}
	fmt.Fprintf(&b, "%s: %s failed", p, op)
	if e.BadCredentials {
		b.WriteString(" (credentials refused)")
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %v)", e.RetryAfter)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %q", e.Message)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *LoginError) Unwrap() error { return e.Err }

// BackoffError is returned to callers while a failed login's backoff
// window lasts. It wraps the failure, so errors.As finds its [LoginError].
type BackoffError struct {
	Provider string    // the provider's name, as in Config.Provider
	Until    time.Time // when the next login may start
	// RateLimited reports that the provider rate-limited the login: it
	// answered 429 Too Many Requests, or asked for a wait with Retry-After.
	RateLimited bool
	Err         error // the failure that started the window
}

// Error describes the failure and when the next login may start.
func (e *BackoffError) Error() string {
	why := ""
	if e.RateLimited {
		why = " (rate limited by the provider)"
	}
	return fmt.Sprintf("%s: login backing off until %s%s after: %v", e.Provider, e.Until.Format(time.RFC3339), why, e.Err)
}

// Unwrap returns the failure that started the window.
func (e *BackoffError) Unwrap() error { return e.Err }

// ErrFreshTokenRefused is the cause of the failure that a [Source] records
// when the API refuses the token of the very login that the refusal of an
// older token caused: logging in again would not help (a missing scope, a
// wrong API key, clock skew), so the Source backs off instead. Find it
// with errors.Is; the [LoginError] around it carries the refusal's status.
var ErrFreshTokenRefused = errors.New("the API refused the token of a fresh login; logging in again will not help")

// MaxRetryAfter caps the wait that a provider's Retry-After can impose.
const MaxRetryAfter = 10 * time.Minute

func asLoginError(err error) *LoginError {
	var le *LoginError
	if errors.As(err, &le) {
		return le
	}
	return nil
}

// scrubError returns err with every form of the secrets replaced by
// "[redacted]", field by field, so that errors.As finds a scrubbed
// [LoginError], [BackoffError] or [url.Error]. An error of another type
// that holds a secret is replaced by one with the scrubbed message, which
// unwraps to the scrubbed cause; errors that hold none are kept as they
// are, so that errors.Is still finds context.DeadlineExceeded and the like.
func scrubError(r *redact.Secrets, err error) error {
	if scrubbed, ok := scrub(r, err); ok {
		return scrubbed
	}
	return err
}

// scrub is scrubError, reporting whether it changed anything.
func scrub(r *redact.Secrets, err error) (error, bool) {
	// The known types are judged by their fields: Error() quotes them,
	// which would hide an escaped secret from Contains.
	switch e := err.(type) {
	case nil:
		return nil, false
	case *LoginError:
		c := *e
		cause, changed := scrub(r, e.Err)
		c.Code, c.Message, c.Err = r.String(e.Code), r.String(e.Message), cause
		return &c, changed || c.Code != e.Code || c.Message != e.Message
	case *BackoffError:
		c := *e
		cause, changed := scrub(r, e.Err)
		c.Err = cause
		return &c, changed
	case *url.Error:
		c := *e
		cause, changed := scrub(r, e.Err)
		c.URL, c.Err = r.String(e.URL), cause
		return &c, changed || c.URL != e.URL
	}
	if !r.Contains(err.Error()) {
		return err, false
	}
	var causes []error
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		for _, c := range e.Unwrap() {
			causes = append(causes, scrubError(r, c))
		}
	default:
		if c := errors.Unwrap(err); c != nil {
			causes = []error{scrubError(r, c)}
		}
	}
	return &scrubbed{msg: r.String(err.Error()), causes: causes}, true
}

// scrubbed stands for an error whose message held a secret.
type scrubbed struct {
	msg    string
	causes []error // scrubbed
}

func (e *scrubbed) Error() string   { return e.msg }
func (e *scrubbed) Unwrap() []error { return e.causes }
