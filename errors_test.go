package loginauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"
)

func TestGenericConfigSecretsScrubbed(t *testing.T) {
	const secret = `p"‹&é%2F`
	leaks := func(s string) bool {
		return strings.Contains(strings.ToLower(s), "‹") || strings.Contains(strings.ToLower(s), "u2039") || strings.Contains(strings.ToLower(s), "%e2%80%b9")
	}
	echoes := map[string]error{
		"message": &LoginError{Provider: "example", Status: 400, Code: "BAD_" + secret, Message: "Invalid password: " + secret},
		"json":    &LoginError{Provider: "example", Status: 400, Message: `Invalid password: p\"\u2039\u0026\u00e9%2F`},
		"quoted":  fmt.Errorf("example: login failed: %q", secret),
		"percent": &LoginError{Provider: "example", Err: &url.Error{Op: "Post", URL: "https://api.example.com/login?pw=" + url.QueryEscape(secret), Err: context.DeadlineExceeded}},
	}
	for name, echo := range echoes {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			var events []Event
			src := New(Config{Provider: "example", Origins: []string{"https://api.example.com"}, Secrets: []string{secret},
				Login: func(context.Context) (*oauth2.Token, error) { return nil, echo },
				Options: Options{OnEvent: func(ev Event) {
					if ev.Kind == EventFailure {
						events = append(events, ev)
					}
				}}})
			_, err := src.Token()
			_, again := src.Token()
			for _, err := range []error{err, again} {
				is.True(!leaks(err.Error()))
				is.True(strings.Contains(err.Error(), "[redacted]"))
				var le *LoginError
				if errors.As(err, &le) {
					is.True(!leaks(le.Code) && !leaks(le.Message)) // the fields errors.As finds are scrubbed
				}
				var ue *url.Error
				if errors.As(err, &ue) {
					is.True(!leaks(ue.URL))                           // and so is a wrapped url.Error
					is.True(errors.Is(err, context.DeadlineExceeded)) // which still unwraps to its cause
				}
			}
			is.Equal(len(events), 1)
			is.True(!leaks(events[0].Err.Error()))
		})
	}
	is := is.New(t)
	cfg := Config{Provider: "example", Secrets: []string{secret}}
	is.True(!leaks(fmt.Sprintf("%v %+v %#v", cfg, cfg, &cfg))) // a Config prints without its Secrets
}

func TestUnscrubbedErrorsKeepTheirType(t *testing.T) {
	is := is.New(t)
	want := &LoginError{Provider: "example", Status: 500}
	src := New(Config{Provider: "example", Origins: []string{"https://api.example.com"}, Secrets: []string{"hunter2"},
		Login: func(context.Context) (*oauth2.Token, error) { return nil, want }})
	_, err := src.Token()
	is.True(err == error(want)) // nothing to scrub: the LoginFunc's own error
}

func TestLoginErrorMessage(t *testing.T) {
	is := is.New(t)
	le := &LoginError{Provider: "p", Status: 401, Code: "INVALID_LOGIN", Message: "Invalid login", BadCredentials: true}
	is.Equal(le.Error(), `p: login failed (credentials refused): HTTP 401: INVALID_LOGIN: "Invalid login"`)
	le = &LoginError{Op: "refresh", Status: 429, RetryAfter: 90 * time.Second, Err: io.ErrUnexpectedEOF}
	is.Equal(le.Error(), "loginauth: refresh failed: HTTP 429 (retry after 1m30s): unexpected EOF") // defaults, and the cause
	is.True(errors.Is(le, io.ErrUnexpectedEOF))                                                     // which it unwraps to
}
