package loginauth_test

// Security tests across the four providers: credentials stay on their
// origin (hosts, ports, schemes, redirects), login calls refuse redirects
// to another origin, no password, secret or token is printed, logged or
// put in an error, and a hostile login answer cannot make the client read
// or allocate more than the limit. RELIABILITY.md lists the cases.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/internal/wire"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/mic"
	"github.com/loginauth/loginauth/mic/mictest"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xpay"
)

// hNet is the network of a security test, as a base transport: requests
// to a routed origin go to a fake, requests to a path in redirect are
// answered 307 with that Location, and every other request is answered
// 200 "{}" without leaving the process. It records every request as it
// left the client.
type hNet struct {
	next     http.RoundTripper
	mu       sync.Mutex        // guards the fields below
	routes   map[string]string // "scheme://host[:port]" as sent → host:port of a plain-http fake
	redirect map[string]string // URL path → Location
	sent     []hSent
}

// hSent is a request as it left the client.
type hSent struct {
	url    string
	header http.Header
	body   string
}

func (n *hNet) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	n.mu.Lock()
	n.sent = append(n.sent, hSent{url: r.URL.String(), header: r.Header.Clone(), body: string(body)})
	loc, redirect := n.redirect[r.URL.Path]
	fake, routed := n.routes[r.URL.Scheme+"://"+r.URL.Host]
	n.mu.Unlock()
	switch {
	case redirect:
		h := http.Header{"Location": {loc}}
		return &http.Response{StatusCode: http.StatusTemporaryRedirect, Header: h, Body: http.NoBody, Request: r}, nil
	case routed:
		out := r.Clone(r.Context())
		out.URL.Scheme, out.URL.Host, out.Host = "http", fake, ""
		if body != nil {
			out.Body = io.NopCloser(bytes.NewReader(body))
		}
		return n.next.RoundTrip(out)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

// requests returns the recorded requests whose URL starts with prefix.
func (n *hNet) requests(prefix string) []hSent {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []hSent
	for _, s := range n.sent {
		if strings.HasPrefix(s.url, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// hSecrets collects the credentials of a test: passwords, keys and every
// token seen, to look for in what the library prints.
type hSecrets struct {
	mu   sync.Mutex
	list []string
}

func (s *hSecrets) add(v ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range v {
		if len(x) >= 8 {
			s.list = append(s.list, x)
			if len(x) > 24 {
				s.list = append(s.list, x[len(x)-16:]) // a token's random tail alone
			}
		}
	}
}

// addToken adds the current token of src and its refresh token.
func (s *hSecrets) addToken(t *testing.T, src *loginauth.Source) {
	t.Helper()
	tok, err := src.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	s.add(tok.AccessToken, tok.RefreshToken)
}

// check fails the test when text holds any of the secrets.
func (s *hSecrets) check(t *testing.T, what, text string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.list {
		if strings.Contains(text, x) {
			t.Errorf("%s shows a secret (%d bytes, %.4s…): %.300s", what, len(x), x, text)
		}
	}
}

// hasCredentials reports which credential fields a request carried.
func hasCredentials(h http.Header) []string {
	var got []string
	for _, k := range []string{"Authorization", "X-Api-Key", "Identityid"} {
		// A URL's user info becomes Basic authorization in net/http: it
		// is the caller's, not a credential of the Source.
		if v := h.Get(k); v != "" && !strings.HasPrefix(v, "Basic ") {
			got = append(got, k)
		}
	}
	return got
}

// TestSecurityCredentialsStayOnOrigin sends requests through a provider's
// Transport to other hosts, other ports, the other scheme and through
// redirects to all of those, from an https origin and from an http one:
// none carries a credential header, a password, a key or a token; the
// origin's own requests do.
func TestSecurityCredentialsStayOnOrigin(t *testing.T) {
	for _, p := range sourcetest.Providers {
		for _, tc := range []struct {
			name   string
			origin func(fakeHost string) string // the origin the Source is given
			others func(fakeHost string) []string
		}{
			{
				name:   "https-origin",
				origin: func(string) string { return "https://api.example.com" },
				others: func(string) []string {
					return []string{
						"https://evil.example",                 // another host
						"https://api.example.com:8443",         // another port
						"http://api.example.com",               // plain http on the same host
						"https://api.example.com.evil.example", // a host that merely starts alike
						"https://api.example.com@evil.example", // user info that looks like the host
						"https://xapi.example.com",
					}
				},
			},
			{
				name:   "http-origin",
				origin: func(fakeHost string) string { return "http://" + fakeHost },
				others: func(fakeHost string) []string {
					port, _ := strconv.Atoi(fakeHost[strings.LastIndexByte(fakeHost, ':')+1:])
					return []string{
						"https://" + fakeHost,                           // https while the origin is http
						"http://127.0.0.1:" + strconv.Itoa(port+1),      // another port
						"http://localhost:" + strconv.Itoa(port),        // another name for the host
						"http://127.0.0.2:" + strconv.Itoa(port),        // another loopback host
						"http://[::1]:" + strconv.Itoa(port),            // the same, in IPv6
						"http://evil.example:" + strconv.Itoa(port),     // another host, same port
						"https://api.example.com:" + strconv.Itoa(port), // another host and scheme
					}
				},
			},
		} {
			t.Run(p.Name+"/"+tc.name, func(t *testing.T) {
				is := is.New(t)
				hNoLeak(t)
				f := p.Start()
				tr := &http.Transport{}
				t.Cleanup(tr.CloseIdleConnections)
				t.Cleanup(f.Close)
				fakeHost := strings.TrimPrefix(p.URL(f), "http://")
				origin := tc.origin(fakeHost)
				n := &hNet{next: tr, routes: map[string]string{origin: fakeHost}, redirect: map[string]string{}}
				base := origin + p.Prefix
				src := p.Source(base, p.Secret, &http.Client{Transport: n}, loginauth.Options{Now: f.Now})
				client := &http.Client{Transport: loginauth.NewTransport(src, n)}

				resp, err := client.Do(p.Request(context.Background(), base))
				is.NoErr(err)
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				is.Equal(resp.StatusCode, http.StatusOK) // the origin's own request works
				is.True(!strings.Contains(string(b), `"error"`))
				own := n.requests(base + p.Path)
				is.Equal(len(own), 1)
				is.True(hasCredentials(own[0].header) != nil) // and carries the credentials

				var secrets hSecrets
				secrets.add(p.Secret)
				secrets.add(p.Others...)
				secrets.addToken(t, src)

				var targets []string
				for i, other := range tc.others(fakeHost) {
					targets = append(targets, other+"/direct")
					// The origin redirects to the other origin.
					hop := fmt.Sprintf("%s/__redirect/%d", p.Prefix, i)
					n.mu.Lock()
					n.redirect[hop+p.Path] = other + "/redirected" + p.Path
					n.mu.Unlock()
					targets = append(targets, origin+hop)
				}
				withheld := src.Stats().Withheld
				for _, u := range targets {
					resp, err := client.Do(p.Request(context.Background(), u))
					is.NoErr(err)
					resp.Body.Close()
					is.Equal(resp.StatusCode, http.StatusOK) // answered by the other origin
				}
				is.Equal(src.Stats().Withheld-withheld, int64(2*len(tc.others(fakeHost)))) // every one withheld

				n.mu.Lock()
				sent := append([]hSent(nil), n.sent...)
				n.mu.Unlock()
				var foreign int
				for _, s := range sent {
					if strings.HasPrefix(s.url, origin+"/") {
						continue
					}
					foreign++
					if got := hasCredentials(s.header); got != nil {
						t.Errorf("%s got credentials %v", s.url, got)
					}
					var all strings.Builder
					for k, v := range s.header {
						fmt.Fprintf(&all, "%s: %s\n", k, strings.Join(v, ", "))
					}
					secrets.check(t, "a request to "+s.url, all.String()+s.body)
				}
				is.Equal(foreign, 2*len(tc.others(fakeHost))) // each other origin reached once, directly and by redirect
			})
		}
	}
}

// TestSecurityPlainHTTPRefused gives each provider a plain-http base URL
// on a host that is not loopback: the Source refuses to log in, and sends
// nothing, unless AllowHTTP says so.
func TestSecurityPlainHTTPRefused(t *testing.T) {
	for _, p := range sourcetest.Providers {
		t.Run(p.Name, func(t *testing.T) {
			is := is.New(t)
			hNoLeak(t)
			f := p.Start()
			tr := &http.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			t.Cleanup(f.Close)
			origin := "http://api.example.com"
			n := &hNet{next: tr, routes: map[string]string{origin: strings.TrimPrefix(p.URL(f), "http://")}}
			base := origin + p.Prefix

			src := p.Source(base, p.Secret, &http.Client{Transport: n}, loginauth.Options{Now: f.Now})
			_, err := src.Token()
			is.True(err != nil)
			hContains(t, err.Error(), p.Name+": ", "plain http", "AllowHTTP")
			_, err = (&http.Client{Transport: loginauth.NewTransport(src, n)}).Do(p.Request(context.Background(), base))
			is.True(err != nil)                     // the request fails too
			hContains(t, err.Error(), "plain http") // for the same reason
			is.Equal(len(n.requests("")), 0)        // and nothing left the client
			is.Equal(f.Logins(), int64(0))

			src = p.Source(base, p.Secret, &http.Client{Transport: n}, loginauth.Options{Now: f.Now, AllowHTTP: true})
			resp, err := (&http.Client{Transport: loginauth.NewTransport(src, n)}).Do(p.Request(context.Background(), base))
			is.NoErr(err) // allowed explicitly, it works
			resp.Body.Close()
			is.Equal(resp.StatusCode, http.StatusOK)
			is.Equal(f.Logins(), int64(1))
		})
	}
}

// TestSecurityLoginRedirectRefused points each provider at a server that
// answers its login call with a 307 to another origin: the login fails
// with an error that says so, and the other origin receives nothing.
func TestSecurityLoginRedirectRefused(t *testing.T) {
	for _, p := range sourcetest.Providers {
		for _, target := range []string{"other-port", "https", "other-host"} {
			t.Run(p.Name+"/"+target, func(t *testing.T) {
				is := is.New(t)
				hNoLeak(t)
				var received atomic.Int64
				var leaked atomic.Bool
				recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					received.Add(1)
					b, _ := io.ReadAll(r.Body)
					if bytes.Contains(b, []byte(p.Secret)) {
						leaked.Store(true)
					}
					w.WriteHeader(http.StatusOK)
				}))
				t.Cleanup(recv.Close)
				var redir *httptest.Server
				redir = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					to := recv.URL
					switch target {
					case "https":
						to = strings.Replace(redir.URL, "http:", "https:", 1)
					case "other-host":
						to = strings.Replace(recv.URL, "127.0.0.1", "localhost", 1)
					}
					http.Redirect(w, r, to+r.URL.Path, http.StatusTemporaryRedirect)
				}))
				t.Cleanup(redir.Close)
				tr := &http.Transport{}
				t.Cleanup(tr.CloseIdleConnections)

				src := p.Source(redir.URL+p.Prefix, p.Secret, &http.Client{Transport: tr}, loginauth.Options{})
				_, err := src.Token()
				is.True(err != nil)
				t.Logf("caller got: %v", err)
				hContains(t, err.Error(), p.Name+": login failed", "refusing redirect to another origin")
				is.Equal(received.Load(), int64(0)) // the other origin got nothing
				is.True(!leaked.Load())
				is.True(!strings.Contains(err.Error(), p.Secret))
			})
		}
	}
}

// hPrint prints v with every verb that might reveal a field.
func hPrint(v any) string {
	var b strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		fmt.Fprintf(&b, verb+"\n", v)
	}
	return b.String()
}

// TestSecurityNoSecretsInFmt prints every exported type that can hold or
// reach a credential, with every verb, after a login and a refused one,
// and looks for the passwords, keys and tokens.
func TestSecurityNoSecretsInFmt(t *testing.T) {
	const wrong = "wr0ng-Passw0rd-123"
	for _, p := range sourcetest.Providers {
		t.Run(p.Name, func(t *testing.T) {
			is := is.New(t)
			var events []loginauth.Event
			var mu sync.Mutex
			store := &loginauth.MemoryStore{}
			opts := loginauth.Options{
				Store:      store,
				Logger:     slog.New(slog.DiscardHandler),
				OnEvent:    func(ev loginauth.Event) { mu.Lock(); events = append(events, ev); mu.Unlock() },
				MinBackoff: time.Second,
			}
			e := hSetup(t, p, opts)
			is.NoErr(e.do(context.Background()))
			var secrets hSecrets
			secrets.add(p.Secret, wrong)
			secrets.add(p.Others...)
			secrets.addToken(t, e.src)

			badOpts := opts
			badOpts.Store = nil // a Store would hand it the good token
			bad := p.Source(e.base, wrong, &http.Client{Transport: e.tr}, badOpts)
			_, loginErr := bad.Token()
			is.True(loginErr != nil)
			_, backoffErr := bad.Token()
			var be *loginauth.BackoffError
			is.True(errors.As(backoffErr, &be))

			files := &loginauth.FileStore{Dir: filepath.Join(t.TempDir(), "store")}
			tok, err := e.src.Token()
			is.NoErr(err)
			is.NoErr(files.Save(context.Background(), "key", []byte(tok.AccessToken+" "+tok.RefreshToken), time.Time{}))

			hc := &http.Client{Transport: e.tr}
			values := []any{files,
				e.src, bad, e.client.Transport, loginErr, backoffErr, be.Err, e.src.Stats(), store, opts,
				mic.Config{BaseURL: e.base, APIKey: mictestKey(p), Username: "alice", Password: p.Secret, HTTPClient: hc, Options: opts},
				xano.Config{BaseURL: e.base, Email: "alice@example.test", Password: p.Secret, HTTPClient: hc, Options: opts},
				crux.Config{BaseURL: e.base, Username: "alice", Password: p.Secret, HTTPClient: hc, Options: opts},
				xpay.Config{BaseURL: e.base, Username: "alice@example.test", SecretKey: p.Secret, HTTPClient: hc, Options: opts},
				mic.Discoverer{Client: hc},
				loginauth.HeaderScheme{Prefix: "Token", Header: http.Header{"X-Api-Key": {p.Secret}}},
				loginauth.Config{
					Provider: p.Name,
					Login:    func(context.Context) (*oauth2.Token, error) { return &oauth2.Token{AccessToken: p.Secret}, nil },
					Scheme:   loginauth.HeaderScheme{Header: http.Header{"X-Api-Key": {p.Secret}}},
					Origins:  []string{e.base},
					Options:  opts,
				},
			}
			mu.Lock()
			for _, ev := range events {
				values = append(values, ev)
			}
			mu.Unlock()
			for _, v := range values { // and a pointer to each
				ptr := reflect.New(reflect.TypeOf(v))
				ptr.Elem().Set(reflect.ValueOf(v))
				values = append(values, ptr.Interface())
			}
			for _, v := range values {
				secrets.check(t, fmt.Sprintf("fmt of %T", v), hPrint(v))
			}
		})
	}
}

// mictestKey is MIC's API key for p's Config, or another secret.
func mictestKey(p sourcetest.Provider) string {
	if len(p.Others) > 0 {
		return p.Others[0]
	}
	return p.Secret
}

// hBuffer is a log destination safe for concurrent writes.
type hBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *hBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *hBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestSecurityNoSecretsInLogs runs a full scenario per provider with a
// debug-level logger and an event hook printing every event: a login, a
// refused request re-sent, every login fault, and wrong credentials. No
// password, key or token may appear in the log, the events or the errors
// the callers get.
func TestSecurityNoSecretsInLogs(t *testing.T) {
	const wrong = "wr0ng-Passw0rd-123"
	for _, p := range sourcetest.Providers {
		t.Run(p.Name, func(t *testing.T) {
			is := is.New(t)
			var log hBuffer
			opts := loginauth.Options{
				Logger:     slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
				OnEvent:    func(ev loginauth.Event) { fmt.Fprintf(&log, "event %v %+v %#v %v\n", ev, ev, ev, ev.Err) },
				MinBackoff: -1,
			}
			e := hSetup(t, p, opts)
			var secrets hSecrets
			secrets.add(p.Secret, wrong)
			secrets.add(p.Others...)
			var errs []string

			is.NoErr(e.do(context.Background())) // login
			secrets.addToken(t, e.src)
			e.f.RevokeAll()
			is.NoErr(e.do(context.Background())) // refused, renewed, re-sent
			secrets.addToken(t, e.src)

			e.f.SetHugeSize(2 << 20)
			for _, fault := range []loginauthtest.Fault{
				loginauthtest.Fault500, loginauthtest.FaultHTML502, loginauthtest.FaultMalformedJSON,
				loginauthtest.FaultEmptyBody, loginauthtest.FaultNoToken, loginauthtest.FaultBadCredentials,
				loginauthtest.FaultHuge, loginauthtest.FaultDropConnection,
			} {
				e.f.SetFault(fault)
				e.f.RevokeAll()
				err := e.do(context.Background())
				is.True(err != nil) // the renewal fails
				errs = append(errs, hPrint(err))
			}
			e.f.SetFault(loginauthtest.NoFault)
			is.NoErr(e.do(context.Background()))
			secrets.addToken(t, e.src)

			bad := p.Source(e.base, wrong, &http.Client{Transport: e.tr}, opts)
			_, err := bad.Token()
			is.True(err != nil)
			errs = append(errs, hPrint(err))
			_, err = (&http.Client{Transport: loginauth.NewTransport(bad, e.tr)}).Do(p.Request(context.Background(), e.base))
			is.True(err != nil)
			errs = append(errs, hPrint(err))

			out := log.String()
			for _, want := range []string{`"event":"login"`, `"event":"retry"`, `"event":"failure"`, `"level":"DEBUG"`} {
				is.True(strings.Contains(out, want)) // the scenario was logged
			}
			secrets.check(t, "the log", out)
			secrets.check(t, "a caller's error", strings.Join(errs, "\n"))
		})
	}
}

// hHostile is a response body that never ends and counts what is read of
// it, and whether it was closed.
type hHostile struct {
	read   atomic.Int64
	closed atomic.Bool
	prefix string
}

func (h *hHostile) Read(p []byte) (int, error) {
	off := h.read.Load()
	for i := range p {
		if int(off)+i < len(h.prefix) {
			p[i] = h.prefix[int(off)+i]
		} else {
			p[i] = 'a'
		}
	}
	h.read.Add(int64(len(p)))
	return len(p), nil
}

func (h *hHostile) Close() error { h.closed.Store(true); return nil }

// TestSecurityHostileLoginResponseBounded answers each provider's login
// with a body that never ends, declared or not, with a success or an
// error status: the client reads at most one byte past the limit, closes
// the body, says why it stopped, and allocates far less than it was sent.
func TestSecurityHostileLoginResponseBounded(t *testing.T) {
	for _, p := range sourcetest.Providers {
		for _, tc := range []struct {
			name   string
			status int
			length int64
			ct     string
		}{
			{"200-chunked", http.StatusOK, -1, "application/json"},
			{"200-declared-1TiB", http.StatusOK, 1 << 40, "application/json"},
			{"500-chunked", http.StatusInternalServerError, -1, "application/json"},
			{"401-html", http.StatusUnauthorized, -1, "text/html"},
		} {
			t.Run(p.Name+"/"+tc.name, func(t *testing.T) {
				is := is.New(t)
				hNoLeak(t)
				body := &hHostile{prefix: `{"pad":"`}
				rt := hRoundTripper(func(r *http.Request) (*http.Response, error) {
					if r.Body != nil {
						r.Body.Close()
					}
					h := http.Header{"Content-Type": {tc.ct}}
					return &http.Response{StatusCode: tc.status, Header: h, Body: body, ContentLength: tc.length, Request: r}, nil
				})
				src := p.Source("https://api.example.com"+p.Prefix, p.Secret, &http.Client{Transport: rt}, loginauth.Options{})
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				_, err := src.Token()
				runtime.ReadMemStats(&after)
				is.True(err != nil)
				hContains(t, err.Error(), p.Name+": login failed", "exceeds 1048576 bytes")
				is.True(body.read.Load() <= wire.MaxBody+1) // read no more than the limit
				is.True(body.closed.Load())                 // and closed the body
				if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
					t.Errorf("an endless login answer made the client allocate %d MiB", alloc>>20)
				}
			})
		}
	}
}

// TestSecurityHostileRefusalBodyBounded gives the refusal checks of MIC
// (a 403) and xPay (a 200) a body that never ends: each reads at most its
// 16 KiB peek, and the caller still reads the body from its first byte.
func TestSecurityHostileRefusalBodyBounded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		refused func(*http.Response) bool
	}{
		{"mic", http.StatusForbidden, mic.DefaultRefused},
		{"xpay", http.StatusOK, xpay.DefaultRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			prefix := `{"error":{"message":"invalid token","pad":"`
			body := &hHostile{prefix: prefix}
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {"application/json"}}, Body: body, ContentLength: -1}
			is.True(!tc.refused(resp))            // too long to judge: not a refusal
			is.True(body.read.Load() <= 16<<10+1) // read no more than the peek
			got := make([]byte, len(prefix)+100)
			_, err := io.ReadFull(resp.Body, got)
			is.NoErr(err)
			is.Equal(string(got[:len(prefix)]), prefix) // the caller reads the body from the start
			resp.Body.Close()
			is.True(body.closed.Load()) // closing reaches the real body
		})
	}
}

// hRoundTripper is a RoundTripper function.
type hRoundTripper func(*http.Request) (*http.Response, error)

func (f hRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestSecurityMICRefreshRedirectRefused puts a server in front of the MIC
// fake that passes logins on and answers the refresh call with a 307 to
// another origin: the refresh token never reaches it, the refresh fails
// saying why, and the Source falls back on a login.
func TestSecurityMICRefreshRedirectRefused(t *testing.T) {
	is := is.New(t)
	hNoLeak(t)
	fake := mictest.NewServer()
	t.Cleanup(fake.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	var received atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received.Add(1)
	}))
	t.Cleanup(recv.Close)
	target, err := url.Parse(fake.URL)
	is.NoErr(err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = tr
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, mic.RefreshPath) {
			http.Redirect(w, r, recv.URL+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	var mu sync.Mutex
	var refreshErr error
	src := mic.NewSource(mic.Config{
		BaseURL: front.URL + "/" + mictest.StackName, APIKey: mictest.APIKey, Username: mictest.Username, Password: mictest.Password,
		HTTPClient: &http.Client{Transport: tr},
		Options: loginauth.Options{Now: fake.Now, OnEvent: func(ev loginauth.Event) {
			if ev.Kind == loginauth.EventFailure && ev.Op == "refresh" {
				mu.Lock()
				refreshErr = ev.Err
				mu.Unlock()
			}
		}},
	})
	old, err := src.Token()
	is.NoErr(err)
	is.True(old.RefreshToken != "")
	src.Invalidate(old) // as the Transport does when the API refuses it
	tok, err := src.Token()
	is.NoErr(err) // the login it falls back on
	is.True(tok.AccessToken != old.AccessToken)
	mu.Lock()
	defer mu.Unlock()
	is.True(refreshErr != nil) // the refresh failed
	hContains(t, refreshErr.Error(), "mic: refresh failed", "refusing redirect to another origin")
	is.True(!strings.Contains(refreshErr.Error(), old.RefreshToken))
	is.Equal(received.Load(), int64(0)) // the refresh token went nowhere
	is.Equal(fake.Logins(), int64(2))
	is.Equal(fake.Refreshes(), int64(0))
}
