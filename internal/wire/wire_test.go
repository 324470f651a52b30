package wire_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/internal/wire"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/mic"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xpay"
)

const secPassword = "s3cret-Passw0rd-wire"

// TestRedirectPolicy sends login calls that the server
// redirects: within the origin they are followed; to another port,
// another name for the host, or https, they are refused with an error
// that says so, and the other origin receives nothing; a redirect loop
// ends. A caller's own CheckRedirect still judges same-origin hops, and
// the caller's client is left as it was.
func TestRedirectPolicy(t *testing.T) {
	loginauthtest.CheckLeaks(t)
	var foreign atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { foreign.Add(1) }))
	t.Cleanup(other.Close)
	var mu sync.Mutex
	var hosts []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts = append(hosts, r.Host)
		mu.Unlock()
		port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]
		to := map[string]string{
			"/same":  "/final",
			"/port":  other.URL + "/final",
			"/host":  "http://localhost" + port + "/final",
			"/https": "https://127.0.0.1" + port + "/final",
			"/loop":  "/loop",
		}[r.URL.Path]
		if to == "" {
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"got":`+string(b)+`}`)
			return
		}
		http.Redirect(w, r, to, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	mine := &http.Client{Transport: tr}
	client := wire.Client(mine)
	is.New(t).True(mine.CheckRedirect == nil) // the caller's client is untouched

	call := func(c *http.Client, path string) (*wire.Response, error) {
		return wire.Do(context.Background(), wire.Call{
			Provider: "p", Op: "login", Client: c, URL: srv.URL + path,
			Body: map[string]string{"password": secPassword},
		})
	}
	for _, tc := range []struct{ path, want string }{
		{"/port", "refusing redirect to another origin"},
		{"/host", "refusing redirect to another origin"},
		{"/https", "refusing redirect to another origin"},
		{"/loop", "stopped after 10 redirects"},
	} {
		t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
			is := is.New(t)
			_, err := call(client, tc.path)
			is.True(err != nil)
			is.True(strings.HasPrefix(err.Error(), "p: login failed"))
			is.True(strings.Contains(err.Error(), tc.want)) // says why
			is.True(!strings.Contains(err.Error(), secPassword))
		})
	}
	is := is.New(t)
	is.Equal(foreign.Load(), int64(0)) // another port got nothing
	mu.Lock()
	for _, h := range hosts {
		is.True(!strings.HasPrefix(h, "localhost")) // nor another name for the host
	}
	mu.Unlock()

	r, err := call(client, "/same")
	is.NoErr(err) // a redirect within the origin is followed
	is.Equal(r.Status, http.StatusOK)
	is.True(strings.Contains(string(r.Body), secPassword)) // with the body

	var judged atomic.Int64
	mine.CheckRedirect = func(*http.Request, []*http.Request) error { judged.Add(1); return http.ErrUseLastResponse }
	r, err = call(wire.Client(mine), "/same")
	is.NoErr(err)
	is.Equal(r.Status, http.StatusTemporaryRedirect) // the caller's policy stopped it
	is.Equal(judged.Load(), int64(1))
	_, err = call(wire.Client(mine), "/port")
	is.True(err != nil)               // another origin is refused
	is.Equal(judged.Load(), int64(1)) // before the caller's policy is asked
}

// TestBoundedRead answers a call with a body that never ends,
// whatever its declared length: Do reads one byte past MaxBody, closes
// the body, says why it stopped, and allocates far less than it was sent.
func TestBoundedRead(t *testing.T) {
	for _, length := range []int64{-1, 10, 1 << 40} {
		is := is.New(t)
		body := &sourcetest.Endless{}
		c := wire.Client(&http.Client{Transport: loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			r.Body.Close()
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: body, ContentLength: length, Request: r}, nil
		})})
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := wire.Do(context.Background(), wire.Call{Provider: "p", Op: "login", Client: c, URL: "https://api.example.com/login", Body: struct{}{}})
		runtime.ReadMemStats(&after)
		is.True(err != nil)
		is.True(strings.Contains(err.Error(), "exceeds 1048576 bytes"))
		is.Equal(body.Count(), int64(wire.MaxBody+1)) // one byte past the limit, no more
		is.True(body.Closed())
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
			t.Errorf("an endless answer made Do allocate %d MiB", alloc>>20)
		}
	}
}

// TestErrorsNeverQuoteBody gives the error helpers answers
// that hold a secret, as a server echoing its request might: an HTML
// page, broken JSON, a field of the wrong type, an unexpected status.
// The errors describe the answer, never quote it.
func TestErrorsNeverQuoteBody(t *testing.T) {
	for _, tc := range []struct {
		status int
		ct     string
		body   string
		want   string
	}{
		{200, "text/html", "<html>" + secPassword + "</html>", "HTML page"},
		{200, "application/json", `{"token":"` + secPassword, "JSON"},
		{200, "application/json", `{"token":["` + secPassword + `"]}`, `field "token" has JSON type array`},
		{200, "application/json", `{"` + secPassword + `":1}` + secPassword, "not valid JSON"},
		{200, "", "\n\t " + secPassword, "not valid JSON"},
	} {
		is := is.New(t)
		r := &wire.Response{Provider: "p", Op: "login", Status: tc.status, Header: http.Header{"Content-Type": {tc.ct}}, Body: []byte(tc.body)}
		var v struct {
			Token string `json:"token"`
		}
		err := r.Decode(&v)
		is.True(err != nil)
		is.True(strings.Contains(err.Error(), tc.want)) // says what was wrong
		for _, e := range []error{err, r.Unexpected(), r.Missing("token")} {
			is.True(!strings.Contains(e.Error(), secPassword)) // without quoting the body
		}
	}
}

func TestRetryAfter(t *testing.T) {
	is := is.New(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	is.Equal(wire.RetryAfter("120", now), 2*time.Minute)
	is.Equal(wire.RetryAfter(" 7 ", now), 7*time.Second)
	is.Equal(wire.RetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now), 90*time.Second)
	is.Equal(wire.RetryAfter(now.Add(-time.Hour).Format(http.TimeFormat), now), time.Duration(0)) // past
	is.Equal(wire.RetryAfter("-5", now), time.Duration(0))
	is.Equal(wire.RetryAfter("soon", now), time.Duration(0))
	is.Equal(wire.RetryAfter("", now), time.Duration(0))

	for _, status := range []int{429, 503, 500} {
		r := &wire.Response{Provider: "p", Op: "login", Status: status, Header: http.Header{"Retry-After": {"30"}}}
		le := r.Fail(nil)
		is.Equal(le.RetryAfter > 0, status != 500) // only a rate limit or an outage asks for a wait
	}
}

// TestRetryAfterOnCallClock checks that an HTTP-date Retry-After is a
// wait from the Call's clock, the Source's, not from time.Now: here the
// Source's clock is an hour behind the machine's.
func TestRetryAfterOnCallClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		clock := func() time.Time { return time.Now().Add(-time.Hour) }
		hc := &http.Client{Transport: loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			h := http.Header{"Retry-After": {clock().Add(90 * time.Second).Format(http.TimeFormat)}}
			return &http.Response{StatusCode: http.StatusTooManyRequests, Header: h, Body: http.NoBody, Request: r}, nil
		})}
		r, err := wire.Do(context.Background(), wire.Call{Provider: "p", Op: "login", Client: hc, URL: "https://api.example.com/login", Now: clock})
		is.NoErr(err)
		is.Equal(r.Fail(nil).RetryAfter, 90*time.Second) // from the Source's clock
		r, err = wire.Do(context.Background(), wire.Call{Provider: "p", Op: "login", Client: hc, URL: "https://api.example.com/login"})
		is.NoErr(err)
		is.Equal(r.Fail(nil).RetryAfter, time.Duration(0)) // without one, from time.Now: long past
	})
}

// TestProviderError checks that a provider's own error answer becomes a
// LoginError with its code, message and verdict on the credentials, and
// with what Fail gives it: the status, and the wait of a 429.
func TestProviderError(t *testing.T) {
	is := is.New(t)
	r := &wire.Response{Provider: "p", Op: "login", Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"7"}}}
	le := r.ProviderError("SLOW_DOWN", "too many logins", true)
	is.Equal(le.Provider, "p")
	is.Equal(le.Op, "login")
	is.Equal(le.Status, http.StatusTooManyRequests)
	is.Equal(le.Code, "SLOW_DOWN")                          // the provider's code
	is.Equal(le.Message, "too many logins")                 // and message
	is.True(le.BadCredentials)                              // and verdict
	is.Equal(le.RetryAfter, 7*time.Second)                  // Fail's Retry-After
	is.True(!r.ProviderError("", "", false).BadCredentials) // false stays false
}

// keyStore is a Store that records the keys it is asked for, and holds
// nothing.
type keyStore struct {
	mu   sync.Mutex
	keys []string
}

func (s *keyStore) Load(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, key)
	return nil, nil
}
func (s *keyStore) Save(context.Context, string, []byte, time.Time) error { return nil }
func (s *keyStore) Delete(context.Context, string, []byte) error          { return nil }

// TestStoreKeysUnchanged checks that each provider keeps the key that its
// stored tokens are under, byte for byte, whether or not its BaseURL ends
// with a slash: a changed key would lose every stored token.
func TestStoreKeysUnchanged(t *testing.T) {
	fail := &http.Client{Transport: loginauthtest.RoundTripperFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("no network in this test")
	})}
	for _, c := range []struct {
		name string
		src  func(base string, opts loginauth.Options) *loginauth.Source
		base string
		want string
	}{
		{"mic", func(base string, opts loginauth.Options) *loginauth.Source {
			return mic.NewSource(mic.Config{BaseURL: base, APIKey: "k", Username: "alice", Password: "p", HTTPClient: fail, Options: opts})
		}, "https://api.example.com/prod", "mic https://api.example.com/prod alice"},
		{"xano", func(base string, opts loginauth.Options) *loginauth.Source {
			return xano.NewSource(xano.Config{BaseURL: base, Email: "alice@example.com", Password: "p", HTTPClient: fail, Options: opts})
		}, "https://x1.xano.io/api:AbC", "xano https://x1.xano.io/api:AbC alice@example.com"},
		{"crux", func(base string, opts loginauth.Options) *loginauth.Source {
			return crux.NewSource(crux.Config{BaseURL: base, Username: "alice", Password: "p", HTTPClient: fail, Options: opts})
		}, "https://api.example.com", "crux https://api.example.com" + crux.LoginPath + " alice"},
		{"xpay", func(base string, opts loginauth.Options) *loginauth.Source {
			return xpay.NewSource(xpay.Config{BaseURL: base, Username: "alice@example.com", SecretKey: "p", HTTPClient: fail, Options: opts})
		}, "https://apis.example.com", "xpay https://apis.example.com alice@example.com"},
	} {
		for _, base := range []string{c.base, c.base + "/"} {
			t.Run(c.name+" "+base, func(t *testing.T) {
				is := is.New(t)
				store := &keyStore{}
				c.src(base, loginauth.Options{Store: store, MinBackoff: -1}).Token()
				is.True(len(store.keys) > 0)    // the Source asked its Store
				is.Equal(store.keys[0], c.want) // under the key of earlier versions
			})
		}
	}
}

// TestProviderDefaultLifetimes checks that each provider gives a token
// whose answer states no expiry, and which is no JWT, its documented
// lifetime, and that Options.Lifetime overrides it.
func TestProviderDefaultLifetimes(t *testing.T) {
	answer := func(body string) *http.Client {
		return &http.Client{Transport: loginauthtest.RoundTripperFunc(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}, nil
		})}
	}
	for _, c := range []struct {
		name string
		src  func(opts loginauth.Options) *loginauth.Source
		want time.Duration
	}{
		{"mic", func(opts loginauth.Options) *loginauth.Source {
			return mic.NewSource(mic.Config{BaseURL: "https://api.example.com/prod", APIKey: "k", Username: "alice", Password: "p", HTTPClient: answer(`{"credentials":{"token":"opaque","identityId":"i"}}`), Options: opts})
		}, mic.DefaultLifetime},
		{"xano", func(opts loginauth.Options) *loginauth.Source {
			return xano.NewSource(xano.Config{BaseURL: "https://x1.xano.io/api:AbC", Email: "alice@example.com", Password: "p", HTTPClient: answer(`{"authToken":"opaque"}`), Options: opts})
		}, xano.DefaultLifetime},
		{"crux", func(opts loginauth.Options) *loginauth.Source {
			return crux.NewSource(crux.Config{BaseURL: "https://api.example.com", Username: "alice", Password: "p", HTTPClient: answer(`{"auth_token":"opaque"}`), Options: opts})
		}, crux.DefaultLifetime},
		{"xpay", func(opts loginauth.Options) *loginauth.Source {
			return xpay.NewSource(xpay.Config{BaseURL: "https://apis.example.com", Username: "alice@example.com", SecretKey: "p", HTTPClient: answer(`{"success":{"data":{"access_token":"opaque"}}}`), Options: opts})
		}, xpay.DefaultLifetime},
	} {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			clock := loginauthtest.NewClock(loginauthtest.Epoch)
			tok, err := c.src(loginauth.Options{Now: clock.Now}).Token()
			is.NoErr(err)
			is.Equal(tok.Expiry, loginauthtest.Epoch.Add(c.want)) // the provider's default lifetime
			tok, err = c.src(loginauth.Options{Now: clock.Now, Lifetime: time.Minute}).Token()
			is.NoErr(err)
			is.Equal(tok.Expiry, loginauthtest.Epoch.Add(time.Minute)) // Options.Lifetime wins
		})
	}
}
