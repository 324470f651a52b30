// Package sourcetest is the conformance suite that every provider package
// runs against its fake server, given the provider's own registry entry
// (xanotest.Provider), so that its tests compile no other provider: one login under a cold stampede, one
// re-login after revocation with every refused request re-sent, refresh
// ahead of expiry, wrong credentials, credentials kept from other hosts
// across redirects and from every other origin, plain http refused, login
// redirects to another origin refused, the exact header names and values,
// service as the TokenSource of [oauth2.NewClient] where oauth2 can carry
// the provider's credentials, every fault of the login endpoint, clock
// jumps, a Retry-After date read on the Source's clock, cancelled
// waiters, and login answers that never end. Every scenario logs at debug
// level, and no password, secret or token may appear in any record,
// event, error or fmt output, even echoed by the server in any of
// [EchoForms]. Timeouts, early
// refresh and cancellation run in a [testing/synctest] bubble, on the
// fake's in-memory transport.
//
// It also holds the helpers that only the provider packages' tests need:
// a fake's Config ([Config]), a token stored under an earlier store key
// ([FindsStored]), [FaultCases], [InBubble], the
// fuzz plumbing ([FuzzLogin], [CheckRefused]), an [Endless] body, and the
// encoded forms of an echoed secret ([EchoForms], [EchoLeaks]).
package sourcetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
)

// Run runs the suite.
func Run(t *testing.T, p Provider) {
	t.Run("ColdStampedeOneLogin", func(t *testing.T) { coldStampede(t, p) })
	t.Run("RevocationOneRelogin", func(t *testing.T) { revocation(t, p) })
	t.Run("RefreshAhead", func(t *testing.T) { refreshAhead(t, p) })
	t.Run("WrongCredentials", func(t *testing.T) { wrongCredentials(t, p) })
	t.Run("RedirectToOtherHost", func(t *testing.T) { redirect(t, p) })
	t.Run("ExactHeaders", func(t *testing.T) { exactHeaders(t, p) })
	t.Run("RequiredFields", func(t *testing.T) { requiredFields(t, p) })
	t.Run("EchoedSecretScrubbed", func(t *testing.T) { echoedSecret(t, p) })
	t.Run("OAuth2NewClient", func(t *testing.T) { oauth2Client(t, p) })
	t.Run("LoginFaults", func(t *testing.T) { loginFaults(t, p) })
	t.Run("ClockJumps", func(t *testing.T) { clockJumps(t, p) })
	t.Run("CancelledWaiters", func(t *testing.T) { cancelledWaiters(t, p) })
	t.Run("CredentialsStayOnOrigin", func(t *testing.T) { credentialsStayOnOrigin(t, p) })
	t.Run("PlainHTTPRefused", func(t *testing.T) { plainHTTPRefused(t, p) })
	t.Run("LoginRedirectRefused", func(t *testing.T) { loginRedirectRefused(t, p) })
	t.Run("HostileLoginResponseBounded", func(t *testing.T) { hostileLoginResponse(t, p) })
	t.Run("NoSecretsInFmt", func(t *testing.T) { noSecretsInFmt(t, p) })
	t.Run("RetryAfterOnSourceClock", func(t *testing.T) { retryAfterOnSourceClock(t, p) })
}

// retryAfterOnSourceClock answers the login 429 with an HTTP-date
// Retry-After 90 s after the Source's clock, which is an hour behind the
// machine's: the login's error asks for a wait of 90 s, not none.
func retryAfterOnSourceClock(t *testing.T, p Provider) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		clock := func() time.Time { return time.Now().Add(-time.Hour) }
		rt := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			if r.Body != nil {
				r.Body.Close()
			}
			h := http.Header{"Content-Type": {"application/json"}, "Retry-After": {clock().Add(90 * time.Second).Format(http.TimeFormat)}}
			return &http.Response{StatusCode: http.StatusTooManyRequests, Header: h, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
		})
		src := p.Source("https://api.example.com"+p.Prefix, p.Secret, &http.Client{Transport: rt}, loginauth.Options{Now: clock})
		_, err := src.Token()
		var le *loginauth.LoginError
		is.True(errors.As(err, &le))
		is.Equal(le.RetryAfter, 90*time.Second) // from the Source's clock
	})
}

// requiredFields checks that a Source whose Config lacks a required field
// fails every call, and every request through its Transport, with an
// error that names the field, and never reaches the server.
func requiredFields(t *testing.T, p Provider) {
	f := p.Start()
	defer f.Close()
	for _, field := range p.Required {
		t.Run(field, func(t *testing.T) {
			src := p.Without(p.BaseURL(f), field)
			want := p.Name + ": Config." + field + " is required"
			if _, err := src.Token(); err == nil || err.Error() != want {
				t.Errorf("Token() = %v; want %q", err, want)
			}
			c := &http.Client{Transport: loginauth.NewTransport(src, nil)}
			resp, err := c.Do(p.Request(context.Background(), p.BaseURL(f)))
			if err == nil {
				resp.Body.Close()
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("a request through the Transport gave %v; want an error with %q", err, want)
			}
		})
	}
	if n := f.Logins() + f.Refreshes() + f.Refused(); n != 0 {
		t.Errorf("a Source with a missing field reached the server %d times", n)
	}
}

// watch is a Source's log and events, checked at the end of a test for
// every secret seen: the password or secret, and every credential header
// value that went over the wire.
type watch struct {
	mu      sync.Mutex
	log     bytes.Buffer
	secrets map[string]bool
}

func newWatch(t *testing.T, p Provider) *watch {
	w := &watch{secrets: map[string]bool{}}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.log.Len() == 0 {
			t.Error("the scenario logged nothing")
		}
		for s := range w.secrets {
			if len(s) >= 6 && strings.Contains(w.log.String(), s) {
				t.Errorf("a secret (%d bytes) appears in the log or an event", len(s))
			}
		}
	})
	return w
}

func (w *watch) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.Write(b)
}

func (w *watch) secret(s string) {
	w.mu.Lock()
	w.secrets[s] = true
	for _, f := range strings.Fields(s) {
		w.secrets[f] = true // "Bearer <t>": the token alone too
	}
	w.mu.Unlock()
}

// options returns Options on f's clock that log to w at debug level and
// print every event into it.
func (w *watch) options(f Fake) loginauth.Options {
	return loginauth.Options{
		Now:    f.Now,
		Logger: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnEvent: func(ev loginauth.Event) {
			fmt.Fprintf(w, "event %+v %v\n", ev, ev.Err)
		},
	}
}

// base returns a transport that records the credential header values it
// sends, then sends the request with next (nil: the default transport).
func (w *watch) base(p Provider, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		for k := range p.Header(&oauth2.Token{AccessToken: "x"}) {
			for _, v := range r.Header.Values(k) {
				w.secret(v)
			}
		}
		return next.RoundTrip(r)
	})
}

// source returns a watched Source for f's default account (or a wrong
// password) and a client that uses it over base. The Source logs in over
// base too, unless it is nil (the default transport).
func source(t *testing.T, p Provider, f Fake, wrong bool, base http.RoundTripper) (*loginauth.Source, *http.Client, string) {
	w := newWatch(t, p)
	secret := p.Secret
	if wrong {
		secret = "wrong-" + secret
	}
	var hc *http.Client
	if base != nil {
		hc = &http.Client{Transport: base}
	}
	src := p.Source(p.BaseURL(f), secret, hc, w.options(f))
	w.secret(secret)
	c := &http.Client{Transport: loginauth.NewTransport(src, w.base(p, base)), Timeout: 30 * time.Second}
	return src, c, secret
}

func setup(t *testing.T, p Provider) (Fake, *loginauth.Source, *http.Client) {
	f := p.Start()
	t.Cleanup(f.Close)
	src, c, _ := source(t, p, f, false, nil)
	return f, src, c
}

// do sends p's protected request and reports whether it succeeded.
func do(p Provider, f Fake, c *http.Client) error {
	resp, err := c.Do(p.Request(context.Background(), p.BaseURL(f)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(b), `"error"`) {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
	}
	return nil
}

// concurrently runs n requests at once and returns how many failed, with
// one of their errors.
func concurrently(n int, p Provider, f Fake, c *http.Client) (int64, error) {
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := do(p, f, c); err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	err, _ := firstErr.Load().(error)
	return failed.Load(), err
}

func coldStampede(t *testing.T, p Provider) {
	f, src, c := setup(t, p)
	failed, err := concurrently(1000, p, f, c)
	if failed != 0 {
		t.Fatalf("%d of 1000 cold requests failed, e.g. %v", failed, err)
	}
	if got := f.Logins(); got != 1 {
		t.Fatalf("1000 cold requests made %d logins at the server; want 1", got)
	}
	if got := src.Stats().Logins; got != 1 {
		t.Fatalf("Stats().Logins = %d; want 1", got)
	}
}

// revocation revokes every token after the Source has checked its own as
// valid, then sends 50 requests at once: every refused request is re-sent
// once and succeeds, and one renewal serves them all.
func revocation(t *testing.T, p Provider) {
	f, src, c := setup(t, p)
	if err := do(p, f, c); err != nil {
		t.Fatal(err)
	}
	old, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	before := src.Stats()
	renewals := f.Logins() + f.Refreshes()
	refused, requests := f.Refused(), f.Requests()
	f.RevokeAll()
	failed, err := concurrently(50, p, f, c)
	if failed != 0 {
		t.Fatalf("%d of 50 requests refused after revocation were not re-sent successfully, e.g. %v", failed, err)
	}
	after := src.Stats()
	if got := (after.Logins + after.Refreshes) - (before.Logins + before.Refreshes); got != 1 {
		t.Fatalf("50 refused requests caused %d renewals; want 1", got)
	}
	if got := f.Logins() + f.Refreshes() - renewals; got != 1 {
		t.Fatalf("50 refused requests caused %d logins and refreshes at the server; want 1", got)
	}
	// Requests that fetched the token after the re-login were never
	// refused; every one that was refused was re-sent.
	retries, refusals := after.Retries-before.Retries, f.Refused()-refused
	if retries == 0 || retries != refusals {
		t.Fatalf("%d requests re-sent for %d refusals; want the same, and at least 1", retries, refusals)
	}
	if got := f.Requests() - requests; got != 50 {
		t.Fatalf("the fake accepted %d of the 50 requests", got)
	}
	if tok, err := src.Token(); err != nil || tok.AccessToken == old.AccessToken {
		t.Fatalf("after the renewal: %v, and the token is the revoked one: %v", err, err == nil && tok.AccessToken == old.AccessToken)
	}
}

// refreshAhead moves the clocks into the early window, in a synctest
// bubble on the fake's in-memory transport: a caller there gets the valid
// token at once, and one background renewal replaces it.
func refreshAhead(t *testing.T, p Provider) {
	f := p.Start()
	t.Cleanup(f.Close)
	synctest.Test(t, func(t *testing.T) {
		src, c, _ := source(t, p, f, false, f.Transport())
		if err := do(p, f, c); err != nil {
			t.Fatal(err)
		}
		old, err := src.Token()
		if err != nil {
			t.Fatal(err)
		}
		logins, refreshes := f.Logins(), f.Refreshes()
		// Into the early window (the last minute), still valid.
		f.Advance(p.Lifetime - 30*time.Second)
		tok, err := src.Token()
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != old.AccessToken {
			t.Fatal("a caller inside the early window waited for the refresh instead of getting the valid token")
		}
		synctest.Wait() // the background renewal is done
		if tok, err = src.Token(); err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken == old.AccessToken {
			t.Fatal("no background renewal in the early window")
		}
		if p.Refresh {
			if f.Refreshes()-refreshes != 1 || f.Logins() != logins {
				t.Fatalf("refresh ahead made %d refreshes and %d logins; want 1 and 0", f.Refreshes()-refreshes, f.Logins()-logins)
			}
		} else if f.Logins()-logins != 1 {
			t.Fatalf("refresh ahead made %d logins; want 1", f.Logins()-logins)
		}
		// The old token has not expired yet, and the new one works.
		if err := do(p, f, c); err != nil {
			t.Fatal(err)
		}
	})
}

func wrongCredentials(t *testing.T, p Provider) {
	f := p.Start()
	defer f.Close()
	src, _, secret := source(t, p, f, true, nil)
	_, err := src.Token()
	var le *loginauth.LoginError
	if !errors.As(err, &le) {
		t.Fatalf("wrong credentials gave %v (%T); want a *loginauth.LoginError", err, err)
	}
	if !le.BadCredentials {
		t.Errorf("LoginError.BadCredentials = false for wrong credentials: %v", le)
	}
	if le.Message == "" {
		t.Errorf("LoginError has no provider message: %v", le)
	}
	if le.Provider != p.Name || !strings.HasPrefix(err.Error(), p.Name+":") {
		t.Errorf("error %q does not name provider %q", err, p.Name)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), secret) {
		t.Errorf("error shows the secret: %v", err)
	}
	// A second caller gets the failure without another login.
	_, err2 := src.Token()
	if !errors.As(err2, &le) || f.Logins() != 1 {
		t.Errorf("after a refusal of the credentials: %v and %d logins; want the same LoginError and 1 login", err2, f.Logins())
	}
}

func redirect(t *testing.T, p Provider) {
	f := p.Start()
	defer f.Close()
	var leaked atomic.Value
	leaked.Store("")
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var got []string
		for k := range p.Header(&oauth2.Token{AccessToken: "x"}) {
			if v := r.Header.Get(k); v != "" {
				got = append(got, k)
			}
		}
		leaked.Store(strings.Join(got, ","))
	}))
	defer foreign.Close()
	// A base that answers one path of the fake's origin with a redirect to
	// the foreign host, as a compromised or misconfigured API might.
	base := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Path, "/__redirect") {
			if r.Header.Get("Authorization") == "" {
				return nil, errors.New("the redirecting request itself carried no credentials")
			}
			h := http.Header{"Location": {foreign.URL + "/landing"}}
			return &http.Response{StatusCode: http.StatusFound, Header: h, Body: http.NoBody, Request: r}, nil
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	_, c, _ := source(t, p, f, false, base)
	req := p.Request(context.Background(), p.BaseURL(f))
	req.URL.Path += "/__redirect"
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("redirect target answered %d", resp.StatusCode)
	}
	if got := leaked.Load().(string); got != "" {
		t.Fatalf("credentials %s followed a redirect to another host", got)
	}
}

func exactHeaders(t *testing.T, p Provider) {
	f := p.Start()
	defer f.Close()
	var sent atomic.Pointer[http.Header]
	base := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		h := r.Header.Clone()
		sent.Store(&h)
		return http.DefaultTransport.RoundTrip(r)
	})
	src, c, _ := source(t, p, f, false, base)
	if err := do(p, f, c); err != nil {
		t.Fatal(err) // the fake checks names and values too
	}
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	got := *sent.Load()
	for k, want := range p.Header(tok) {
		if g := got.Values(k); len(g) != len(want) || strings.Join(g, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("header %s = %q; want %q", k, g, want)
		}
	}
}

// oauth2Client checks that a Source serves as the TokenSource of
// oauth2.NewClient: every token it hands out, from a login or from a
// Store, has the TokenType that makes an oauth2.Transport send the
// provider's scheme ("Token" for Crux, where oauth2's default "Bearer" is
// refused), and the fake accepts the request. A token in a Store written
// before Sources set TokenType has none, and must get it when loaded.
func oauth2Client(t *testing.T, p Provider) {
	if !p.OAuth2 {
		names := slices.Sorted(maps.Keys(p.Header(&oauth2.Token{AccessToken: "x"})))
		t.Skipf("%s needs the header fields %s and an oauth2.Transport sets only Authorization: only a loginauth.Transport serves %[1]s",
			p.Name, strings.Join(names, ", "))
	}
	f := p.Start()
	defer f.Close()
	store := &loginauth.MemoryStore{Now: f.Now}
	t.Run("Login", func(t *testing.T) { viaOAuth2(t, p, f, store, true) })
	t.Run("FromStore", func(t *testing.T) { viaOAuth2(t, p, f, store, false) })
	older := &untypedStore{MemoryStore: loginauth.MemoryStore{Now: f.Now}}
	t.Run("FromStoreWithoutTokenType", func(t *testing.T) {
		viaOAuth2(t, p, f, older, true) // saves its token without a TokenType
		if err := older.failure(); err != nil {
			t.Fatal(err)
		}
		viaOAuth2(t, p, f, older, false)
	})
}

// viaOAuth2 sends p's protected request through oauth2.NewClient with a
// new Source that uses store, and checks the Authorization field that
// went out. login says whether the Source must log in, or load its token
// from store.
func viaOAuth2(t *testing.T, p Provider, f Fake, store loginauth.Store, login bool) {
	w := newWatch(t, p)
	opts := w.options(f)
	opts.Store = store
	src := p.Source(p.BaseURL(f), p.Secret, nil, opts)
	var sent atomic.Pointer[http.Header]
	base := w.base(p, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		h := r.Header.Clone()
		sent.Store(&h)
		return http.DefaultTransport.RoundTrip(r)
	}))
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: base})
	logins := f.Logins()
	if err := do(p, f, oauth2.NewClient(ctx, src)); err != nil {
		t.Errorf("a request through oauth2.NewClient: %v", err)
	}
	var logged int64
	if login {
		logged = 1
	}
	if n := f.Logins() - logins; n != logged {
		t.Fatalf("the Source made %d logins; want %d", n, logged)
	}
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if h := sent.Load(); h != nil {
		got = h.Values("Authorization")
	}
	if want := p.Header(tok).Values("Authorization"); !slices.Equal(got, want) {
		t.Errorf("oauth2.Transport sent Authorization %q (TokenType %q); want %q", got, tok.TokenType, want)
	}
}

// untypedStore is a MemoryStore that saves tokens without their TokenType,
// as a Store written before Sources set it holds them. It knows the
// Store's JSON encoding, and fails, saying so, on a value without a
// token_type.
type untypedStore struct {
	loginauth.MemoryStore
	mu  sync.Mutex // protects err
	err error
}

func (s *untypedStore) Save(ctx context.Context, key string, value []byte, expiry time.Time) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(value, &m); err != nil || m["token_type"] == nil {
		err = fmt.Errorf("sourcetest: the stored token has no token_type (%v): the Source set no TokenType, or the Store's encoding changed and untypedStore must follow", err)
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		return err
	}
	delete(m, "token_type")
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.MemoryStore.Save(ctx, key, b, expiry)
}

func (s *untypedStore) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// echoedSecret logs in against servers that echo the password (or secret
// key) in every error field the providers read, in a Content-Type and in
// a transport error; in each of [EchoForms], and a short password in the
// Basic credential of the account's user. No error, field of a LoginError
// or url.Error, BackoffError, event or log record may hold any form of it.
func echoedSecret(t *testing.T, p Provider) {
	for name, form := range EchoForms(p.User) {
		echoedForm(t, p, name, EchoSecret, form, func(s string) bool { return EchoLeaks(s, p.User) })
	}
	// A password too short for its own base64 to be matched: the
	// Source's Config names the user.
	const short = "Pw9#"
	basic := base64.StdEncoding.EncodeToString([]byte(p.User + ":" + short))
	echoedForm(t, p, "basic-short", short, "Basic "+basic, func(s string) bool { return strings.Contains(s, basic[1:len(basic)-1]) })
}

// echoedForm is one form of echoedSecret.
func echoedForm(t *testing.T, p Provider, name, secret, form string, leaks func(string) bool) {
	echo := "Invalid password: " + form
	for _, place := range []string{"body", "content-type", "transport"} {
		t.Run(name+"/"+place, func(t *testing.T) {
			is := is.New(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if place == "content-type" {
					w.Header().Set("Content-Type", "text/plain; echo="+echo)
					w.WriteHeader(http.StatusBadGateway)
					return
				}
				e, _ := json.Marshal(echo)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"message":%s,"messageKey":%[1]s,"code":%[1]s,"detail":%[1]s,"error":{"message":%[1]s,"tag":%[1]s}}`, e)
			}))
			t.Cleanup(srv.Close)
			var hc *http.Client
			if place == "transport" {
				hc = &http.Client{Transport: loginauthtest.RoundTripperFunc(func(*http.Request) (*http.Response, error) {
					return nil, errors.New("proxy refused: " + echo)
				})}
			}
			var log bytes.Buffer
			var mu sync.Mutex
			opts := loginauth.Options{
				Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
				OnEvent: func(ev loginauth.Event) {
					mu.Lock()
					fmt.Fprintf(&log, "event %+v %v\n", ev, ev.Err)
					mu.Unlock()
				},
			}
			src := p.Source(srv.URL+p.Prefix, secret, hc, opts)
			_, err := src.Token()
			is.True(err != nil)
			_, again := src.Token() // the backoff serves the same failure
			var be *loginauth.BackoffError
			is.True(errors.As(again, &be))
			for _, err := range []error{err, again} {
				is.True(!leaks(err.Error())) // not in Error()
				if place != "content-type" { // of which only the media type is named
					is.True(strings.Contains(err.Error(), "[redacted]")) // replaced, where it was
				}
				is.True(!leaks(fmt.Sprintf("%+v %#v", err, err))) // nor in fmt output
				var le *loginauth.LoginError
				is.True(errors.As(err, &le))
				is.True(!leaks(le.Code) && !leaks(le.Message)) // nor in the fields errors.As finds
				var ue *url.Error
				if errors.As(err, &ue) {
					is.True(!leaks(ue.URL) && !leaks(ue.Err.Error())) // nor in a url.Error
				}
			}
			is.True(log.Len() > 0)
			is.True(!leaks(log.String())) // nor in a log record or an event
		})
	}
}
