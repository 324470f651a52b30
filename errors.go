package loginauth

import (
	"errors"
	"fmt"
	"strings"
)

// LoginError reports a login or refresh that the provider answered but did
// not grant: wrong credentials, a business error in the body, or an
// unexpected status. It never holds a password, secret or token.
type LoginError struct {
	// Provider names the provider, e.g. "mic".
	Provider string
	// Op is what failed: "login", "refresh" or "signup".
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

func asLoginError(err error) *LoginError {
	var le *LoginError
	if errors.As(err, &le) {
		return le
	}
	return nil
}
