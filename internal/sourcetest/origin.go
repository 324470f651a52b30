package sourcetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/wire"
	"github.com/loginauth/loginauth/loginauthtest"
)

// network is the network of an origin check, as a base transport:
// requests to a routed origin go to a fake, requests to a path in
// redirect are answered 307 with that Location, and every other request
// is answered 200 "{}" without leaving the process. It records every
// request as it left the client.
type network struct {
	next     http.RoundTripper
	mu       sync.Mutex        // guards the fields below
	routes   map[string]string // "scheme://host[:port]" as sent → host:port of a plain-http fake
	redirect map[string]string // URL path → Location
	sent     []sentRequest
}

// sentRequest is a request as it left the client.
type sentRequest struct {
	url    string
	header http.Header
	body   string
}

func (n *network) RoundTrip(r *http.Request) (*http.Response, error) {
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
	n.sent = append(n.sent, sentRequest{url: r.URL.String(), header: r.Header.Clone(), body: string(body)})
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
func (n *network) requests(prefix string) []sentRequest {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []sentRequest
	for _, s := range n.sent {
		if strings.HasPrefix(s.url, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// Secrets collects the credentials of a test, passwords, keys and every
// token seen, to look for in what the library prints. It is safe for
// concurrent use.
type Secrets struct {
	mu   sync.Mutex
	list []string
}

// Add adds the values of 8 bytes or more, and the last 16 bytes of those
// over 24 (a token's random tail alone).
func (s *Secrets) Add(v ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range v {
		if len(x) >= 8 {
			s.list = append(s.list, x)
			if len(x) > 24 {
				s.list = append(s.list, x[len(x)-16:])
			}
		}
	}
}

// AddToken adds the current token of src and its refresh token.
func (s *Secrets) AddToken(t testing.TB, src *loginauth.Source) {
	t.Helper()
	tok, err := src.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	s.Add(tok.AccessToken, tok.RefreshToken)
}

// Check fails the test when text holds any of the secrets.
func (s *Secrets) Check(t testing.TB, what, text string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.list {
		if strings.Contains(text, x) {
			t.Errorf("%s shows a secret (%d bytes, %.4s…): %.300s", what, len(x), x, text)
		}
	}
}

// Print prints v with every verb that might reveal a field.
func Print(v any) string {
	var b strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		fmt.Fprintf(&b, verb+"\n", v)
	}
	return b.String()
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

// credentialsStayOnOrigin sends requests through the Transport to other
// hosts, other ports, the other scheme and through redirects to all of
// those, from an https origin and from an http one: none carries a
// credential header, a password, a key or a token; the origin's own
// requests do.
func credentialsStayOnOrigin(t *testing.T, p Provider) {
	for _, tc := range originCases {
		t.Run(tc.name, func(t *testing.T) { credentialsStayOn(t, p, tc) })
	}
}

// originCase is an origin and the other origins that must get no
// credential from it, given the fake's host:port.
type originCase struct {
	name   string
	origin func(fakeHost string) string // the origin the Source is given
	others func(fakeHost string) []string
}

// originCases are an https origin and a plain-http one.
var originCases = []originCase{
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
}

// credentialsStayOn runs tc: the origin's own request carries the
// credentials; those to the other origins, directly and by redirect, carry
// none.
func credentialsStayOn(t *testing.T, p Provider, tc originCase) {
	is := is.New(t)
	f := p.Start()
	t.Cleanup(f.Close)
	fakeHost := strings.TrimPrefix(p.URL(f), "http://")
	origin := tc.origin(fakeHost)
	n := &network{next: f.Transport(), routes: map[string]string{origin: fakeHost}, redirect: map[string]string{}}
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

	var secrets Secrets
	secrets.Add(p.Secret)
	secrets.Add(p.Others...)
	secrets.AddToken(t, src)

	others := tc.others(fakeHost)
	var targets []string
	for i, other := range others {
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
	is.Equal(src.Stats().Withheld-withheld, int64(2*len(others))) // every one withheld

	var foreign int
	for _, s := range n.requests("") {
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
		secrets.Check(t, "a request to "+s.url, all.String()+s.body)
	}
	is.Equal(foreign, 2*len(others)) // each other origin reached once, directly and by redirect
}

// plainHTTPRefused gives the provider a plain-http base URL on a host
// that is not loopback: the Source refuses to log in, and sends nothing,
// unless AllowHTTP says so.
func plainHTTPRefused(t *testing.T, p Provider) {
	is := is.New(t)
	f := p.Start()
	t.Cleanup(f.Close)
	origin := "http://api.example.com"
	n := &network{next: f.Transport(), routes: map[string]string{origin: strings.TrimPrefix(p.URL(f), "http://")}}
	base := origin + p.Prefix

	src := p.Source(base, p.Secret, &http.Client{Transport: n}, loginauth.Options{Now: f.Now})
	_, err := src.Token()
	is.True(err != nil)
	allow := p.AllowHTTP
	if allow == "" {
		allow = "AllowHTTP"
	}
	Contains(t, err.Error(), p.Name+": ", "plain http", allow)
	_, err = (&http.Client{Transport: loginauth.NewTransport(src, n)}).Do(p.Request(context.Background(), base))
	is.True(err != nil)                    // the request fails too
	Contains(t, err.Error(), "plain http") // for the same reason
	is.Equal(len(n.requests("")), 0)       // and nothing left the client
	is.Equal(f.Logins(), int64(0))

	src = p.Source(base, p.Secret, &http.Client{Transport: n}, loginauth.Options{Now: f.Now, AllowHTTP: true})
	resp, err := (&http.Client{Transport: loginauth.NewTransport(src, n)}).Do(p.Request(context.Background(), base))
	is.NoErr(err) // allowed explicitly, it works
	resp.Body.Close()
	is.Equal(resp.StatusCode, http.StatusOK)
	is.Equal(f.Logins(), int64(1))
}

// loginRedirectRefused points the provider at a server that answers its
// login call with a 307 to another origin: the login fails with an error
// that says so, and the other origin receives nothing.
func loginRedirectRefused(t *testing.T, p Provider) {
	for _, target := range []string{"other-port", "https", "other-host"} {
		t.Run(target, func(t *testing.T) {
			is := is.New(t)
			loginauthtest.CheckLeaks(t)
			var received atomic.Int64
			var leaked atomic.Bool
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				received.Add(1)
				b, _ := io.ReadAll(r.Body)
				if bytes.Contains(b, []byte(p.Secret)) {
					leaked.Store(true)
				}
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
			Contains(t, err.Error(), p.Name+": login failed", "refusing redirect to another origin")
			is.Equal(received.Load(), int64(0)) // the other origin got nothing
			is.True(!leaked.Load())
			is.True(!strings.Contains(err.Error(), p.Secret))
		})
	}
}

// RefusalPeekBounded gives refused an answer with status whose JSON body,
// starting with prefix, never ends: refused must read at most its 16 KiB
// peek, must not take the answer for a refusal, and must leave the body
// whole for the caller, closing the original when the caller closes it.
func RefusalPeekBounded(t *testing.T, refused func(*http.Response) bool, status int, prefix string) {
	is := is.New(t)
	body := &Endless{Prefix: prefix}
	resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: body, ContentLength: -1}
	is.True(!refused(resp))           // too long to judge: not a refusal
	is.True(body.Count() <= 16<<10+1) // read no more than the peek
	got := make([]byte, len(prefix)+100)
	_, err := io.ReadFull(resp.Body, got)
	is.NoErr(err)
	is.Equal(string(got[:len(prefix)]), prefix) // the caller reads the body from the start
	resp.Body.Close()
	is.True(body.Closed()) // closing reaches the real body
}

// Endless is a response body that does not end for a reader that keeps
// to a limit, and counts what is read of it, and whether it was closed.
// It starts with Prefix, then 'a' up to 64 MiB, so that a reader that
// lost its limit fails its test at once rather than by running out of
// memory.
type Endless struct {
	Prefix string
	read   atomic.Int64
	closed atomic.Bool
}

// endlessSize is the size of an Endless body.
const endlessSize = 64 << 20

// Read fills b.
func (h *Endless) Read(b []byte) (int, error) {
	off := h.read.Load()
	if off >= endlessSize {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), endlessSize-off)]
	for i := range b {
		if int(off)+i < len(h.Prefix) {
			b[i] = h.Prefix[int(off)+i]
		} else {
			b[i] = 'a'
		}
	}
	h.read.Add(int64(len(b)))
	return len(b), nil
}

// Close records that the body was closed.
func (h *Endless) Close() error { h.closed.Store(true); return nil }

// Count returns the number of bytes read so far.
func (h *Endless) Count() int64 { return h.read.Load() }

// Closed reports whether Close was called.
func (h *Endless) Closed() bool { return h.closed.Load() }

// hostileLoginResponse answers the login with a body that never ends,
// declared or not, with a success or an error status: the client reads
// at most one byte past the limit, closes the body, says why it stopped,
// and allocates far less than it was sent.
func hostileLoginResponse(t *testing.T, p Provider) {
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
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			body := &Endless{Prefix: `{"pad":"`}
			rt := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
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
			Contains(t, err.Error(), p.Name+": login failed", "exceeds 1048576 bytes")
			is.True(body.Count() <= wire.MaxBody+1) // read no more than the limit
			is.True(body.Closed())                  // and closed the body
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
				t.Errorf("an endless login answer made the client allocate %d MiB", alloc>>20)
			}
		})
	}
}

// noSecretsInFmt prints every value that holds or reaches the provider's
// credentials, with every verb, after a login and a refused one: the
// Sources, the Transport, the errors, the events, the Stats, the Store
// holding the token, the Options and the provider's Config with every
// secret set, and a pointer to each. No password, key or token may show.
func noSecretsInFmt(t *testing.T, p Provider) {
	const wrong = "wr0ng-Passw0rd-123"
	is := is.New(t)
	f := p.Start()
	t.Cleanup(f.Close)
	var events []loginauth.Event
	var mu sync.Mutex
	store := &loginauth.MemoryStore{}
	opts := loginauth.Options{
		Now:        f.Now,
		Store:      store,
		OnEvent:    func(ev loginauth.Event) { mu.Lock(); events = append(events, ev); mu.Unlock() },
		MinBackoff: time.Second,
	}
	hc := &http.Client{Transport: f.Transport()}
	src := p.Source(p.BaseURL(f), p.Secret, hc, opts)
	tr := loginauth.NewTransport(src, f.Transport())
	is.NoErr(do(p, f, &http.Client{Transport: tr}))
	var secrets Secrets
	secrets.Add(p.Secret, wrong)
	secrets.Add(p.Others...)
	secrets.AddToken(t, src)

	badOpts := opts
	badOpts.Store = nil // a Store would hand it the good token
	bad := p.Source(p.BaseURL(f), wrong, hc, badOpts)
	_, loginErr := bad.Token()
	is.True(loginErr != nil)
	_, backoffErr := bad.Token()
	var be *loginauth.BackoffError
	is.True(errors.As(backoffErr, &be))

	values := []any{src, bad, tr, loginErr, backoffErr, be.Err, src.Stats(), store, opts,
		reflect.ValueOf(p.Config(p.BaseURL(f), p.Secret, hc, opts)).Elem().Interface()}
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
		secrets.Check(t, fmt.Sprintf("fmt of %T", v), Print(v))
	}
}
