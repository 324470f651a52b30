package loginauth

// Helpers that only the root package's own tests need, written once. The
// ones that users want too (a RoundTripper func, a clock, a leak check, a
// JWT builder, an in-memory transport) are in loginauthtest.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// testOrigin is the origin of the Sources of the tests.
const testOrigin = "https://api.example.com"

// testSource returns a Source of provider "test" at testOrigin.
func testSource(login LoginFunc, opts Options) *Source {
	return New(Config{Provider: "test", Login: login, Origins: []string{testOrigin}, Options: opts})
}

// counter is a LoginFunc that counts its calls and hands out numbered
// tokens ("tok-1", "tok-2", …) with the refresh token "refresh", after an
// optional gate. Its fields are read by the login: set them before the
// login that should see them starts.
type counter struct {
	n    atomic.Int64
	gate chan struct{} // if non-nil, each login waits for it to close, or for its ctx
	err  error         // if non-nil, each login fails with it
	exp  func() time.Time
}

func (c *counter) login(ctx context.Context) (*oauth2.Token, error) {
	n := c.n.Add(1)
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	t := &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", n), RefreshToken: "refresh"}
	if c.exp != nil {
		t.Expiry = c.exp()
	}
	return t, nil
}

// respond returns a response with status and body.
func respond(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body)), Header: http.Header{}}
}

// api is a fake API, as a LoginFunc and a base RoundTripper, that accepts
// only the token of its last login as a Bearer token. It records the
// bodies it receives.
type api struct {
	mu      sync.Mutex // guards valid and bodies
	valid   string
	bodies  []string
	logins  atomic.Int64
	served  atomic.Int64
	refused atomic.Int64
}

func (a *api) login(context.Context) (*oauth2.Token, error) {
	tok := fmt.Sprintf("tok-%d", a.logins.Add(1))
	a.mu.Lock()
	a.valid = tok
	a.mu.Unlock()
	return &oauth2.Token{AccessToken: tok}, nil
}

// revoke makes the API refuse every token issued so far.
func (a *api) revoke() { a.mu.Lock(); a.valid = "revoked"; a.mu.Unlock() }

func (a *api) RoundTrip(r *http.Request) (*http.Response, error) {
	a.mu.Lock()
	ok := r.Header.Get("Authorization") == "Bearer "+a.valid
	a.mu.Unlock()
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		a.mu.Lock()
		a.bodies = append(a.bodies, string(b))
		a.mu.Unlock()
	}
	if !ok {
		a.refused.Add(1)
		return respond(401, `{"error":"unauthorized"}`), nil
	}
	a.served.Add(1)
	return respond(200, "ok"), nil
}

// newAPI returns an api, a Source that logs in to it and a client whose
// Transport sends through it.
func newAPI() (*api, *Source, *http.Client) {
	a := &api{}
	src := testSource(a.login, Options{})
	return a, src, &http.Client{Transport: NewTransport(src, a)}
}
