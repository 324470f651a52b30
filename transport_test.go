package loginauth

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth/loginauthtest"
)

// closeCounter is a request body that counts its Close calls.
type closeCounter struct {
	io.Reader
	closed atomic.Int64
}

func (c *closeCounter) Close() error { c.closed.Add(1); return nil }

func TestTransportLeavesRequestUnmodified(t *testing.T) {
	is := is.New(t)
	var seen *http.Request
	src := testSource((&counter{}).login, Options{})
	tr := NewTransport(src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		seen = r
		r.Header.Set("X-Base", "changed") // a careless base must not reach the caller
		r.URL.Path = "/changed"
		return respond(200, ""), nil
	}))
	req, _ := http.NewRequest("GET", "https://api.example.com/a", nil)
	req.Header.Set("X-Caller", "1")
	req.Header["X-Multi"] = []string{"a", "b"}
	resp, err := tr.RoundTrip(req)
	is.NoErr(err)
	resp.Body.Close()
	is.True(seen != req)                                       // a copy went out
	is.Equal(seen.Header.Get("Authorization"), "Bearer tok-1") // with credentials
	is.Equal(seen.Header.Get("X-Caller"), "1")                 // and the caller's fields
	is.Equal(seen.Header["X-Multi"], []string{"a", "b"})
	is.Equal(req.Header.Get("Authorization"), "") // the caller's request has none
	is.Equal(req.Header.Get("X-Base"), "")        // nor the base's change
	is.Equal(req.URL.Path, "/a")                  // its URL is its own
	is.Equal(len(req.Header), 2)
}

func TestTransportRetriesOnceWithBody(t *testing.T) {
	is := is.New(t)
	a, src, client := newAPI()
	_, _ = src.Token()
	a.revoke()
	resp, err := client.Post("https://api.example.com/things", "text/plain", strings.NewReader("payload"))
	is.NoErr(err)
	resp.Body.Close()
	is.Equal(resp.StatusCode, 200)                     // succeeded on its retry
	is.Equal(a.logins.Load(), int64(2))                // after one re-login
	is.Equal(a.bodies, []string{"payload", "payload"}) // with its body both times
	is.Equal(src.Stats().Retries, int64(1))
}

func TestTransportRetriesAtMostOnce(t *testing.T) {
	is := is.New(t)
	var sent atomic.Int64
	src := testSource((&counter{}).login, Options{MinBackoff: -1})
	client := &http.Client{Transport: NewTransport(src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		return respond(401, "no"), nil
	}))}
	resp, err := client.Get("https://api.example.com/")
	is.NoErr(err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	is.Equal(resp.StatusCode, 401)  // the second refusal is returned
	is.Equal(string(b), "no")       // with its body
	is.Equal(sent.Load(), int64(2)) // never more than one retry
}

func TestTransportNoReplayWithoutGetBody(t *testing.T) {
	is := is.New(t)
	a, src, _ := newAPI()
	_, _ = src.Token()
	a.revoke()
	req, _ := http.NewRequest("POST", "https://api.example.com/things", io.NopCloser(strings.NewReader("once")))
	is.True(req.GetBody == nil)
	resp, err := NewTransport(src, a).RoundTrip(req)
	is.NoErr(err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	is.Equal(resp.StatusCode, 401) // the refusal comes back unchanged
	is.Equal(string(b), `{"error":"unauthorized"}`)
	is.Equal(a.bodies, []string{"once"}) // sent once only
	is.Equal(a.logins.Load(), int64(1))
	is.Equal(src.Stats().Invalidations, int64(1)) // but the refused token is forgotten
	req, _ = http.NewRequest("GET", "https://api.example.com/things", nil)
	resp, err = NewTransport(src, a).RoundTrip(req)
	is.NoErr(err)
	resp.Body.Close()
	is.Equal(resp.StatusCode, 200)      // so the next request logs in first
	is.Equal(a.logins.Load(), int64(2)) // without a refusal of its own
	is.Equal(a.refused.Load(), int64(1))
}

func TestTransport401StormOneRelogin(t *testing.T) {
	is := is.New(t)
	a, src, client := newAPI()
	_, _ = src.Token()
	a.revoke()
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get("https://api.example.com/x")
			if err == nil {
				if resp.StatusCode == 200 {
					ok.Add(1)
				}
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	is.Equal(a.logins.Load(), int64(2)) // one re-login for the whole storm
	is.Equal(ok.Load(), int64(50))      // every request succeeded on its retry
}

func TestTransportClosesBodyOnEveryPath(t *testing.T) {
	ok := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			r.Body.Close()
		}
		return respond(200, ""), nil
	})
	fail := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, errors.New("network down")
	})
	badLogin := func(context.Context) (*oauth2.Token, error) { return nil, errors.New("login down") }
	tests := []struct {
		name    string
		src     *Source
		base    http.RoundTripper
		url     string
		wantErr bool
	}{
		{"success", testSource((&counter{}).login, Options{}), ok, "https://api.example.com/", false},
		{"base error", testSource((&counter{}).login, Options{}), fail, "https://api.example.com/", true},
		{"login error", testSource(badLogin, Options{}), ok, "https://api.example.com/", true},
		{"config error", New(Config{Login: badLogin}), ok, "https://api.example.com/", true},
		{"other origin", testSource((&counter{}).login, Options{}), ok, "https://other.example.com/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			body := &closeCounter{Reader: strings.NewReader("x")}
			req, _ := http.NewRequest("POST", tt.url, body)
			resp, err := NewTransport(tt.src, tt.base).RoundTrip(req)
			is.Equal(err != nil, tt.wantErr)
			is.True((resp == nil) != (err == nil)) // a response or an error, never both
			if resp != nil {
				resp.Body.Close()
			}
			is.True(body.closed.Load() >= 1) // the body was closed
		})
	}
}

func TestTransportOriginScoping(t *testing.T) {
	var got atomic.Value
	base := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		got.Store(r.Header.Get("Authorization"))
		return respond(200, ""), nil
	})
	src := New(Config{Login: (&counter{}).login, Origins: []string{"https://api.example.com", "https://alt.example.com:8443"}})
	tests := []struct {
		url, host string // host: the request's Host field, if set
		want      bool
	}{
		{"https://api.example.com/x", "", true},
		{"https://API.example.com:443/x", "", true},
		{"https://alt.example.com:8443/x", "", true},
		{"https://alt.example.com/x", "", false},                   // another port
		{"https://api.example.com:8443/x", "", false},              // another port
		{"http://api.example.com/x", "", false},                    // another scheme
		{"https://evil.example.com/x", "", false},                  // another host
		{"https://api.example.com.evil.com/x", "", false},          // a lookalike
		{"https://api.example.com/x", "API.Example.com:443", true}, // the same host, its default port
		{"https://alt.example.com:8443/x", "alt.example.com:8443", true},
		{"https://api.example.com/x", "evil.example", false},         // Host steers to another virtual host
		{"https://api.example.com/x", "api.example.com:8443", false}, // or another port
		{"https://alt.example.com:8443/x", "alt.example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.url+" "+tt.host, func(t *testing.T) {
			is := is.New(t)
			got.Store("")
			req, _ := http.NewRequest("GET", tt.url, nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, err := NewTransport(src, base).RoundTrip(req)
			is.NoErr(err)
			resp.Body.Close()
			is.Equal(got.Load().(string) != "", tt.want) // credentials only to their origin
		})
	}
}

func TestTransportRedirectToOtherHostGetsNoCredentials(t *testing.T) {
	loginauthtest.CheckLeaks(t)
	is := is.New(t)
	var foreignAuth atomic.Value
	foreignAuth.Store("unset")
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignAuth.Store(r.Header.Get("Authorization") + r.Header.Get("X-Api-Key"))
	}))
	defer foreign.Close()
	var home *httptest.Server
	home = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Raw tok-1" || r.Header.Get("X-Api-Key") != "key" {
			w.WriteHeader(401)
			return
		}
		// Redirect to a foreign host given as 127.0.0.1 vs localhost: another origin.
		http.Redirect(w, r, foreign.URL+"/landing", http.StatusFound)
	}))
	defer home.Close()
	src := New(Config{
		Login:   (&counter{}).login,
		Origins: []string{home.URL},
		Scheme:  HeaderScheme{Prefix: "Raw", Header: http.Header{"X-Api-Key": {"key"}}},
	})
	// The foreign server shares the host but not the port: another origin.
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: NewTransport(src, base)}
	resp, err := client.Get(home.URL + "/start")
	is.NoErr(err)
	resp.Body.Close()
	is.Equal(resp.StatusCode, 200)
	is.Equal(foreignAuth.Load().(string), "") // no credentials after the redirect
}

func TestTransportHostOfAnotherVirtualHostGetsNoCredentials(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "HTTP/1.1", true: "HTTP/2"}[h2], func(t *testing.T) {
			loginauthtest.CheckLeaks(t)
			is := is.New(t)
			var seen sync.Map // Host → credentials it received
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen.Store(r.Host, r.Header.Get("Authorization")+r.Header.Get("X-Api-Key"))
				w.Write([]byte(r.Proto))
			}))
			srv.EnableHTTP2 = h2
			srv.StartTLS()
			defer srv.Close()
			var logs bytes.Buffer
			src := New(Config{Login: (&counter{}).login, Origins: []string{srv.URL},
				Scheme:  HeaderScheme{Prefix: "Bearer", Header: http.Header{"X-Api-Key": {"key"}}},
				Options: Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}})
			client := &http.Client{Transport: NewTransport(src, srv.Client().Transport)}
			for _, host := range []string{"evil.example", strings.TrimPrefix(srv.URL, "https://")} {
				req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
				req.Host = host
				resp, err := client.Do(req)
				is.NoErr(err)
				proto, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				is.Equal(string(proto), map[bool]string{false: "HTTP/1.1", true: "HTTP/2.0"}[h2])
			}
			evil, _ := seen.Load("evil.example")
			is.Equal(evil, "") // no token, no API key for the other virtual host
			own, _ := seen.Load(strings.TrimPrefix(srv.URL, "https://"))
			is.Equal(own, "Bearer tok-1key")                       // while the origin's own Host gets them
			is.Equal(src.Stats().Withheld, int64(1))               // counted as withheld
			is.True(strings.Contains(logs.String(), "level=WARN")) // and warned about
			is.True(strings.Contains(logs.String(), "host=evil.example"))
		})
	}
}

func TestTransportFreshTokenRefusedBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		var sent, logins atomic.Int64
		accept := atomic.Bool{} // the API refuses every token until set
		src := New(Config{
			Login: func(context.Context) (*oauth2.Token, error) {
				return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", logins.Add(1))}, nil
			},
			Origins: []string{"https://api.example.com"},
			Scheme:  HeaderScheme{Prefix: "Bearer", IsRefused: func(r *http.Response) bool { return r.StatusCode == 403 }},
			Options: Options{MinBackoff: time.Second, MaxBackoff: 8 * time.Second},
		})
		client := &http.Client{Transport: NewTransport(src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			sent.Add(1)
			if accept.Load() {
				return respond(200, "ok"), nil
			}
			return respond(403, "missing scope"), nil
		}))}
		get := func() (int, error) {
			resp, err := client.Get("https://api.example.com/x")
			if err != nil {
				return 0, err
			}
			resp.Body.Close()
			return resp.StatusCode, nil
		}
		code, err := get()
		is.NoErr(err)
		is.Equal(code, 403) // the refusal of the fresh token is returned
		for range 50 {
			_, err = get()
			var be *BackoffError
			is.True(errors.As(err, &be)) // later requests fail at once
		}
		is.Equal(logins.Load(), int64(2))             // the first token and its one re-login, not 51
		is.Equal(sent.Load(), int64(2))               // nothing went out with a refused token
		is.True(errors.Is(err, ErrFreshTokenRefused)) // the error says why
		var le *LoginError
		is.True(errors.As(err, &le))
		is.Equal(le.Status, 403) // with the refusal's status
		is.True(strings.Contains(err.Error(), "HTTP 403: the API refused the token of a fresh login"))

		var waits []time.Duration // the backoff keeps doubling while the API refuses
		for range 5 {
			var be *BackoffError
			_, err := get()
			is.True(errors.As(err, &be))
			waits = append(waits, time.Until(be.Until))
			time.Sleep(time.Until(be.Until))
			get()
		}
		for i, w := range waits {
			is.True(w <= min(time.Second<<i, 8*time.Second) && w >= min(time.Second<<i, 8*time.Second)*8/10)
		}
		time.Sleep(10 * time.Second)
		accept.Store(true)
		code, err = get()
		is.NoErr(err)
		is.Equal(code, 200) // once the API accepts a token,
		src.Invalidate(&oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", logins.Load())})
		accept.Store(false)
		get()
		var be *BackoffError
		_, err = get()
		is.True(errors.As(err, &be))
		is.True(time.Until(be.Until) <= time.Second) // the count starts again
	})
}

func TestTransportDrippingRefusalDoesNotDelayResend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		a := &api{}
		src := testSource(a.login, Options{})
		var closed atomic.Int64
		tr := NewTransport(src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := a.RoundTrip(r)
			if resp.StatusCode == 401 {
				resp.Body = &drip{closed: &closed}
			}
			return resp, err
		}))
		_, _ = src.Token()
		a.revoke()
		start := time.Now()
		req, _ := http.NewRequest("GET", "https://api.example.com/x", nil)
		resp, err := tr.RoundTrip(req)
		is.NoErr(err)
		resp.Body.Close()
		is.Equal(resp.StatusCode, 200)
		is.True(time.Since(start) < 10*time.Millisecond) // the dripping 401 did not hold up the re-send
		is.Equal(closed.Load(), int64(1))                // it was closed
	})
}

// drip is a body that yields a byte a second, forever.
type drip struct{ closed *atomic.Int64 }

func (d *drip) Read(p []byte) (int, error) {
	time.Sleep(time.Second)
	p[0] = 'x'
	return 1, nil
}

func (d *drip) Close() error { d.closed.Add(1); return nil }

func TestTransportForwardsCloseIdleConnections(t *testing.T) {
	is := is.New(t)
	var closed atomic.Int64
	base := &idleCloser{closed: &closed}
	NewTransport(testSource((&counter{}).login, Options{}), base).CloseIdleConnections()
	is.Equal(closed.Load(), int64(1))
}

type idleCloser struct {
	http.RoundTripper
	closed *atomic.Int64
}

func (c *idleCloser) CloseIdleConnections() { c.closed.Add(1) }

func TestTransportRenewalFailureAfterRefusal(t *testing.T) {
	is := is.New(t)
	var logins atomic.Int64
	src := testSource(func(context.Context) (*oauth2.Token, error) {
		if logins.Add(1) > 1 {
			return nil, &LoginError{Provider: "test", Status: 401, BadCredentials: true, Message: "password changed"}
		}
		return &oauth2.Token{AccessToken: "t"}, nil
	}, Options{})
	tr := NewTransport(src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) { return respond(401, ""), nil }))
	req, _ := http.NewRequest("GET", "https://api.example.com/", nil)
	resp, err := tr.RoundTrip(req)
	is.True(resp == nil)
	var le *LoginError
	is.True(errors.As(err, &le)) // the re-login's failure is what the caller sees
	is.True(strings.Contains(err.Error(), "credentials refused (HTTP 401)"))
}

func TestTransportPeekingSchemeRetries(t *testing.T) {
	is := is.New(t)
	var n atomic.Int64
	scheme := HeaderScheme{Prefix: "Bearer", IsRefused: func(resp *http.Response) bool {
		b, ok := PeekBody(resp, 1<<10)
		return ok && strings.Contains(string(b), "expired")
	}}
	src := New(Config{Login: (&counter{}).login, Origins: []string{"https://api.example.com"}, Scheme: scheme})
	tr := NewTransport(src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		if n.Add(1) == 1 {
			return respond(200, `{"error":{"message":"jwt expired"}}`), nil
		}
		return respond(200, `{"success":{}}`), nil
	}))
	req, _ := http.NewRequest("GET", "https://api.example.com/", nil)
	resp, err := tr.RoundTrip(req)
	is.NoErr(err)
	b, _ := io.ReadAll(resp.Body)
	is.Equal(string(b), `{"success":{}}`)
	is.Equal(n.Load(), int64(2))
}

// TestTransportPeeksGzippedRefusal sends a request that asks for gzip
// itself, as some SDKs do, so that http.Transport hands back the answer
// encoded: a refusal that only the body tells is still seen, and the
// caller gets the answer as the API sent it.
func TestTransportPeeksGzippedRefusal(t *testing.T) {
	is := is.New(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := `{"success":{}}`
		if r.Header.Get("Authorization") != "Bearer tok-2" {
			body = `{"error":{"message":"jwt expired"}}`
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, body)
		zw.Close()
	}))
	t.Cleanup(api.Close)
	scheme := HeaderScheme{Prefix: "Bearer", IsRefused: func(resp *http.Response) bool {
		b, ok := PeekBody(resp, 1<<10)
		return ok && strings.Contains(string(b), "expired")
	}}
	c := &counter{}
	src := New(Config{Login: c.login, Origins: []string{api.URL}, Scheme: scheme})
	client := &http.Client{Transport: NewTransport(src, http.DefaultTransport)}
	req, _ := http.NewRequest("GET", api.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := client.Do(req)
	is.NoErr(err)
	defer resp.Body.Close()
	is.Equal(resp.Header.Get("Content-Encoding"), "gzip") // left encoded
	zr, err := gzip.NewReader(resp.Body)
	is.NoErr(err)
	b, err := io.ReadAll(zr)
	is.NoErr(err)
	is.Equal(string(b), `{"success":{}}`) // re-sent after the refusal in the gzipped body
	is.Equal(c.n.Load(), int64(2))
}

func TestTransportWaitBoundedByRequestContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		c := &counter{gate: make(chan struct{})}
		defer close(c.gate)
		src := testSource(c.login, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", "https://api.example.com/", nil)
		start := time.Now()
		_, err := NewTransport(src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) { return respond(200, ""), nil })).RoundTrip(req)
		is.True(errors.Is(err, context.DeadlineExceeded)) // the request's deadline ends its wait for the login
		is.Equal(time.Since(start), 2*time.Second)        // at once, not at the login timeout
	})
}

// zeroTransportBody is a request body that counts its Close calls.
type zeroTransportBody struct {
	io.Reader
	closed atomic.Int64
}

func (b *zeroTransportBody) Close() error { b.closed.Add(1); return nil }

// TestZeroTransport checks that the zero Transport, which has no Source,
// returns an error that says so and closes the request's body, as the
// RoundTripper contract asks, instead of dereferencing a nil Source.
func TestZeroTransport(t *testing.T) {
	is := is.New(t)
	body := &zeroTransportBody{Reader: strings.NewReader("x")}
	req, _ := http.NewRequest("POST", "https://api.example.com/", body)
	var tr Transport
	resp, err := tr.RoundTrip(req)
	is.True(resp == nil)                                                 // no response without a Source
	is.True(err != nil && strings.Contains(err.Error(), "NewTransport")) // the error says how to make a Transport
	is.Equal(body.closed.Load(), int64(1))                               // the body is closed once
}

func TestTransportResendAsksCachesToRevalidate(t *testing.T) {
	is := is.New(t)
	var cc []string
	src := testSource((&counter{}).login, Options{})
	_, _ = src.Token() // tok-1, refused below
	client := &http.Client{Transport: NewTransport(src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		cc = append(cc, r.Header.Get("Cache-Control"))
		if a := r.Header.Get("Authorization"); a == "Bearer tok-1" || a == "Bearer tok-3" {
			return respond(401, "no"), nil
		}
		return respond(200, "ok"), nil
	}))}
	req, _ := http.NewRequest("GET", testOrigin+"/", nil)
	req.Header.Set("Cache-Control", "max-age=60")
	resp, err := client.Do(req)
	is.NoErr(err)
	resp.Body.Close()
	is.Equal(resp.StatusCode, 200)                          // the re-send succeeded
	is.Equal(cc, []string{"max-age=60", "no-cache"})        // only the re-send bypasses a cache
	is.Equal(req.Header.Get("Cache-Control"), "max-age=60") // the caller's request is untouched

	tok, _ := src.Token()
	src.Invalidate(tok) // the next login hands out tok-3, refused below
	req.Header.Set("Cache-Control", "no-store")
	cc = nil
	resp, err = client.Do(req)
	is.NoErr(err)
	resp.Body.Close()
	is.Equal(resp.StatusCode, 200)                 // the re-send succeeded
	is.Equal(cc, []string{"no-store", "no-store"}) // a stricter Cache-Control of its own is kept
}

func TestTransportLogsReplacedAuthorizationOnce(t *testing.T) {
	is := is.New(t)
	var buf bytes.Buffer
	var seen []string
	src := testSource((&counter{}).login, Options{Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	client := &http.Client{Transport: NewTransport(src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		seen = append(seen, r.Header.Get("Authorization"))
		return respond(200, "ok"), nil
	}))}
	for range 3 {
		req, _ := http.NewRequest("GET", testOrigin+"/", nil)
		req.Header.Set("Authorization", "Bearer callers-own-secret")
		resp, err := client.Do(req)
		is.NoErr(err)
		resp.Body.Close()
	}
	is.Equal(seen, []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-1"})                                   // the Source's credentials win
	is.Equal(strings.Count(buf.String(), "credential header replaced"), 1)                                     // logged once per Source
	is.True(strings.Contains(buf.String(), "header=Authorization"))                                            // naming the field
	is.True(!strings.Contains(buf.String(), "callers-own-secret") && !strings.Contains(buf.String(), "tok-1")) // never its value
}

// stuckDelete is a MemoryStore whose Delete waits until its ctx ends.
type stuckDelete struct {
	MemoryStore
	deleting atomic.Int64 // Deletes under way
}

func (s *stuckDelete) Delete(ctx context.Context, _ string, _ []byte) error {
	s.deleting.Add(1)
	defer s.deleting.Add(-1)
	<-ctx.Done()
	return ctx.Err()
}

// TestTransportResendDoesNotWaitForStoreDelete refuses a token whose
// Store's Delete hangs until its ctx ends: the re-send goes out at once,
// within a client timeout of 1 s, and the delete ends with the store
// timeout as an EventStoreError, leaving no goroutine behind.
func TestTransportResendDoesNotWaitForStoreDelete(t *testing.T) {
	loginauthtest.CheckLeaks(t)
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		a := &api{}
		st := &stuckDelete{}
		var failed atomic.Int64
		src := testSource(a.login, Options{Store: st, OnEvent: func(ev Event) {
			if ev.Kind == EventStoreError && ev.Op == "delete" && errors.Is(ev.Err, context.DeadlineExceeded) {
				failed.Add(1)
			}
		}})
		c := &http.Client{Transport: NewTransport(src, a), Timeout: time.Second}
		get := func() error {
			resp, err := c.Get(testOrigin + "/x")
			if err == nil {
				resp.Body.Close()
			}
			return err
		}
		is.NoErr(get())
		a.revoke()
		start := time.Now()
		is.NoErr(get())                               // refused, renewed and re-sent within the client's timeout
		is.Equal(time.Since(start), time.Duration(0)) // at once
		is.Equal(a.logins.Load(), int64(2))
		is.Equal(a.served.Load(), int64(2))
		synctest.Wait()
		is.Equal(st.deleting.Load(), int64(1)) // the delete goes on in the background
		time.Sleep(storeTimeout)
		synctest.Wait()
		is.Equal(st.deleting.Load(), int64(0)) // until the store timeout
		is.Equal(failed.Load(), int64(1))      // which is a store error
	})
}

// blackhole is a Store whose every call waits until its ctx ends, as a
// Redis whose packets are dropped does when nothing else bounds it.
type blackhole struct{}

func (blackhole) Load(ctx context.Context, _ string) ([]byte, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (blackhole) Save(ctx context.Context, _ string, _ []byte, _ time.Time) error {
	<-ctx.Done()
	return ctx.Err()
}

func (blackhole) Delete(ctx context.Context, _ string, _ []byte) error {
	<-ctx.Done()
	return ctx.Err()
}

// blackholeLocker is a blackhole that is a Locker too.
type blackholeLocker struct{ blackhole }

func (blackholeLocker) Lock(ctx context.Context, _ string) (func(), error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestTransportBlackholedStore measures what a refused request costs when
// every call of the Store hangs until its ctx ends: the re-send waits for
// the Source's bounds, never for the Store. Without a Locker, a renewal
// costs one Load and one Save, each cut at the store timeout: the re-send
// goes out after 2 × 5 s. A Locker's Lock waits for another process's
// login, so only LoginTimeout bounds it: the renewal ends at LoginTimeout,
// and fails, as the login has no time left.
func TestTransportBlackholedStore(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store Store
		took  time.Duration
		ok    bool
	}{
		{"Store", blackhole{}, 2 * storeTimeout, true},
		{"Locker", blackholeLocker{}, DefaultLoginTimeout, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				is := is.New(t)
				a := &api{}
				login := func(ctx context.Context) (*oauth2.Token, error) {
					if err := ctx.Err(); err != nil {
						return nil, err // as an HTTP login with no time left fails
					}
					return a.login(ctx)
				}
				src := testSource(login, Options{Store: tc.store})
				_, err := src.Token()
				is.Equal(err == nil, tc.ok)
				if !tc.ok {
					src = testSource(login, Options{}) // a token to be refused
					_, _ = src.Token()
					src.cfg.extra = &extra{Store: tc.store, StoreKey: "test"}
				}
				tr := NewTransport(src, a)
				a.revoke()
				start := time.Now()
				req, _ := http.NewRequest("GET", testOrigin+"/x", nil)
				resp, err := tr.RoundTrip(req)
				is.Equal(time.Since(start), tc.took) // bounded by the Source, not by the Store
				is.Equal(err == nil, tc.ok)
				if err == nil {
					resp.Body.Close()
				}
			})
		})
	}
}

// TestSettleWaitsForBackgroundDelete: Settle returns once the refused
// token's background delete has ended, and with an error when its ctx
// ends first.
func TestSettleWaitsForBackgroundDelete(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		a := &api{}
		st := &stuckDelete{}
		src := testSource(a.login, Options{Store: st})
		c := &http.Client{Transport: NewTransport(src, a)}
		resp, err := c.Get(testOrigin + "/x")
		is.NoErr(err)
		resp.Body.Close()
		is.NoErr(src.Settle(t.Context())) // nothing to wait for
		a.revoke()
		resp, err = c.Get(testOrigin + "/x")
		is.NoErr(err)
		resp.Body.Close()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		is.True(errors.Is(src.Settle(ctx), context.DeadlineExceeded)) // the delete is stuck
		start := time.Now()
		is.NoErr(src.Settle(t.Context()))
		is.Equal(time.Since(start), storeTimeout-time.Second) // until the store timeout ends it
		is.Equal(st.deleting.Load(), int64(0))
	})
}
