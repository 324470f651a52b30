package proxy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"testing/synctest"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/internal/app/proxy/proxytest"
	"github.com/loginauth/loginauth/internal/registry/builtin"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/mic/mictest"
)

// providerProxy starts p's fake and a proxy in front of it, and returns
// the fake and the proxy's URL.
func providerProxy(t *testing.T, p sourcetest.Provider, cfg Config) (sourcetest.Fake, string) {
	f := p.Start()
	t.Cleanup(f.Close)
	base := p.BaseURL(f)
	cfg.Source = p.Source(base, p.Secret, nil, loginauth.Options{})
	cfg.BaseURL = base
	return f, serve(t, cfg)
}

// providerRequest sends p's protected request through the proxy at u.
func providerRequest(t *testing.T, p sourcetest.Provider, u string, header http.Header) (int, string) {
	h := http.Header{"Content-Type": {"application/json"}}
	for k, vs := range header {
		h[k] = vs
	}
	return do(t, p.Method, u+p.Path, p.Body, h)
}

func TestForwardSharesOneLogin(t *testing.T) {
	for _, p := range builtin.Providers {
		t.Run(p.Name, func(t *testing.T) {
			is := is.New(t)
			f, u := providerProxy(t, p, Config{})
			var wg sync.WaitGroup
			var ok atomic.Int64
			for range 20 {
				wg.Go(func() {
					if status, _ := providerRequest(t, p, u, nil); status == http.StatusOK {
						ok.Add(1)
					}
				})
			}
			wg.Wait()
			is.Equal(ok.Load(), int64(20))    // every request answered 200
			is.Equal(f.Requests(), int64(20)) // every request accepted by the API
			is.Equal(f.Logins(), int64(1))    // one login for all
		})
	}
}

func TestRevokeReloginResendsBody(t *testing.T) {
	for _, p := range builtin.Providers {
		t.Run(p.Name, func(t *testing.T) {
			is := is.New(t)
			f, u := providerProxy(t, p, Config{})
			status, _ := providerRequest(t, p, u, nil)
			is.Equal(status, http.StatusOK) // first request
			f.RevokeAll()
			status, _ = providerRequest(t, p, u, nil)
			is.Equal(status, http.StatusOK)              // refused, then re-sent after a re-login
			is.Equal(f.Logins()+f.Refreshes(), int64(2)) // one re-login (a refresh for MIC)
			is.Equal(f.Refused(), int64(1))              // the revoked token, once
			is.Equal(f.Requests(), int64(2))             // the re-sent request accepted
		})
	}
	t.Run("body", func(t *testing.T) {
		is := is.New(t)
		a := newAPI(t)
		u := a.serve(t, Config{})
		body := `{"amount":"1000000","tag":"re-sent"}`
		status, got := do(t, "POST", u+"/echo", body, nil)
		is.Equal(status, http.StatusOK) // first request
		a.RevokeAll()
		status, got = do(t, "POST", u+"/echo", body, nil)
		is.Equal(status, http.StatusOK)     // re-sent after the refusal
		is.Equal(got, body)                 // with its body
		is.Equal(a.echoes.Load(), int64(3)) // sent, refused and re-sent
		is.Equal(a.Logins(), int64(2))      // one re-login
	})
}

func TestLargeBodyStreamsWithoutResend(t *testing.T) {
	const limit = 1024
	for _, tc := range []struct {
		name    string
		size    int
		chunked bool
		status  int   // after a revocation
		sends   int64 // bodies the API read for the request after the revocation
	}{
		{"known length over the limit", limit + 1, false, http.StatusUnauthorized, 1},
		{"unknown length over the limit", limit + 1, true, http.StatusUnauthorized, 1},
		{"unknown length at the limit", limit, true, http.StatusOK, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			a := newAPI(t)
			u := a.serve(t, Config{MaxReplay: limit})
			is.Equal(mustStatus(t, "GET", u+"/timp/organizations/permissions/", nil), http.StatusOK) // logged in
			a.RevokeAll()
			body := bytes.Repeat([]byte("x"), tc.size)
			var rd io.Reader = bytes.NewReader(body)
			if tc.chunked {
				rd = iotest.HalfReader(rd) // not a type whose length NewRequest knows
			}
			is.Equal(mustStatus(t, "POST", u+"/echo", rd), tc.status) // status after the revocation
			is.Equal(a.echoes.Load(), tc.sends)                       // sends of the body
			is.Equal(a.echoLen.Load(), int64(tc.size))                // the whole body reached the API
		})
	}
}

func TestLargeBodyStreams(t *testing.T) {
	const limit = 1024
	a := newAPI(t)
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		src := a.source(cruxtest.Password, memClient(a.handler), loginauth.Options{})
		p, err := New(Config{Source: src, BaseURL: a.front.URL, Transport: loginauthtest.HandlerTransport{Handler: a.handler}, MaxReplay: limit})
		is.NoErr(err)
		pr, pw := io.Pipe()
		req, _ := http.NewRequest("POST", "http://localhost/upload", pr)
		req.ContentLength = 4 * limit
		done := make(chan int)
		go func() {
			resp, err := memClient(p).Do(req)
			if err != nil {
				t.Error(err)
				close(done)
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		go pw.Write(bytes.Repeat([]byte("x"), limit))
		synctest.Wait()
		is.Equal(a.read.Load(), int64(limit)) // the body's start reached the API before the client sent the rest
		pw.Write(bytes.Repeat([]byte("x"), 3*limit))
		pw.Close()
		is.Equal(<-done, http.StatusOK)         // answered
		is.Equal(a.read.Load(), int64(4*limit)) // the whole body
	})
}

// mustStatus sends a request with body and returns its status.
func mustStatus(t *testing.T, method, url string, body io.Reader) int {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestInboundCredentialsReplaced(t *testing.T) {
	for _, p := range builtin.Providers {
		t.Run(p.Name, func(t *testing.T) {
			is := is.New(t)
			f, u := providerProxy(t, p, Config{})
			src := p.Source(p.BaseURL(f), p.Secret, nil, loginauth.Options{})
			forged := http.Header{"Authorization": {"Bearer forged", "Token forged"}}
			for _, k := range src.CredentialHeaders() {
				forged[k] = append(forged[k], "forged")
			}
			status, _ := providerRequest(t, p, u, forged)
			is.Equal(status, http.StatusOK)  // answered
			is.Equal(f.Requests(), int64(1)) // with the Source's credentials
			is.Equal(f.Refused(), int64(0))  // never the forged ones
		})
	}
	t.Run("withheld", func(t *testing.T) {
		// The Transport withholds the credentials from a base URL that is
		// not the Source's origin: the client's must not go through then.
		is := is.New(t)
		mic := mictest.NewServer()
		t.Cleanup(mic.Close)
		a := newAPI(t)
		p := mictest.Provider
		src := p.Source(p.BaseURL(mic), p.Secret, nil, loginauth.Options{})
		u := serve(t, Config{Source: src, BaseURL: a.front.URL})
		status, got := do(t, "GET", u+"/headers", "", http.Header{
			"Authorization": {"Bearer forged"}, "Identityid": {"forged"}, "X-Api-Key": {"forged"},
			"Cookie": {"sessionid=forged"}, "Proxy-Authorization": {"Bearer forged"},
			"X_api_key": {"forged"}, "X_Api-KEY": {"forged"}, "AUTHORIZATION": {"forged"},
		})
		is.Equal(status, http.StatusOK)           // relayed
		is.True(!strings.Contains(got, "forged")) // no inbound credential reached the API
	})
}

// customScheme sends the token in X-Custom-Token, and cannot name its
// fields without a token.
type customScheme struct{}

func (customScheme) Credentials(tok *oauth2.Token) http.Header {
	return http.Header{"X-Custom-Token": {tok.AccessToken}}
}

func (customScheme) Refused(resp *http.Response) bool {
	return resp.StatusCode == http.StatusUnauthorized
}

func TestInboundCredentialsReplacedOfAnyScheme(t *testing.T) {
	// A Scheme that is no HeaderNamer names its fields once there is a
	// token: the proxy asks again then.
	is := is.New(t)
	a := newAPI(t)
	src := loginauth.New(loginauth.Config{
		Origins: []string{"https://api.example.com"},
		Login:   func(context.Context) (*oauth2.Token, error) { return &oauth2.Token{AccessToken: "tok"}, nil },
		Scheme:  customScheme{},
	})
	u := serve(t, Config{Source: src, BaseURL: a.front.URL}) // not the Source's origin: credentials withheld
	_, err := src.Token()
	is.NoErr(err)
	status, got := do(t, "GET", u+"/headers", "", http.Header{
		"X-Custom-Token": {"forged"},
		"X_custom_token": {"forged"}, "X-custom_TOKEN": {"forged"}, // as a CGI-style back end reads them
		"Authorization_": {"kept"}, "X_custom_token_id": {"kept"}, // other names
	})
	is.Equal(status, http.StatusOK)           // relayed
	is.True(!strings.Contains(got, "forged")) // without the client's credential fields, however spelt
	is.Equal(strings.Count(got, "kept"), 2)   // other fields pass
}

func TestOtherHostsRefused(t *testing.T) {
	var other atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { other.Add(1) }))
	t.Cleanup(elsewhere.Close)
	host := strings.TrimPrefix(elsewhere.URL, "http://")
	for _, tc := range []struct {
		name, req string
		status    int
		says      string
	}{
		{"absolute-form", "GET " + elsewhere.URL + "/x HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n", http.StatusBadRequest, "absolute-form"},
		{"CONNECT", "CONNECT " + host + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n", http.StatusMethodNotAllowed, "CONNECT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			a := newAPI(t)
			u := a.serve(t, Config{})
			status, body := proxytest.Raw(t, u, tc.req)
			is.Equal(status, tc.status)              // refused
			is.True(strings.Contains(body, tc.says)) // with a body that says why
			is.Equal(other.Load(), int64(0))         // the other host saw nothing
			is.Equal(a.hits.Load(), int64(0))        // nor did the API
		})
	}
}

func TestInboundToken(t *testing.T) {
	const token = "inbound-9f8e7d"
	for _, tc := range []struct {
		name, value string
		status      int
	}{
		{"missing", "", http.StatusProxyAuthRequired},
		{"wrong", "Bearer inbound-9f8e7e", http.StatusProxyAuthRequired},
		{"prefix", "Bearer inbound-9f8e7", http.StatusProxyAuthRequired},
		{"other scheme", "Basic " + token, http.StatusProxyAuthRequired},
		{"right", "Bearer " + token, http.StatusOK},
		{"right, scheme in lower case", "bearer " + token, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			a := newAPI(t)
			u := a.serve(t, Config{InboundToken: token})
			h := http.Header{}
			if tc.value != "" {
				h.Set("Proxy-Authorization", tc.value)
			}
			for _, path := range []string{cruxtest.PermissionsPath, HealthPath, StatsPath} {
				status, _ := do(t, "GET", u+path, "", h)
				is.Equal(status, tc.status) // status of path
			}
			if tc.status == http.StatusProxyAuthRequired {
				is.Equal(a.hits.Load(), int64(0)) // the API saw nothing: no login, no request
			}
		})
	}
	t.Run("challenge", func(t *testing.T) {
		is := is.New(t)
		a := newAPI(t)
		u := a.serve(t, Config{InboundToken: token})
		resp, err := http.Get(u + "/x")
		is.NoErr(err)
		resp.Body.Close()
		is.True(strings.HasPrefix(resp.Header.Get("Proxy-Authenticate"), "Bearer")) // the 407 names the scheme
	})
}

func TestStreamFlushed(t *testing.T) {
	is := is.New(t)
	a := newAPI(t)
	var log bytes.Buffer // through the access log's writer too
	u := a.serve(t, Config{AccessLog: slog.New(slog.NewTextHandler(&log, nil))})
	resp, err := http.Get(u + "/stream")
	is.NoErr(err)
	defer resp.Body.Close()
	is.Equal(resp.Header.Get("Content-Type"), "text/event-stream") // the stream's type
	r := bufio.NewReader(resp.Body)
	line, err := r.ReadString('\n')
	is.NoErr(err)
	is.Equal(line, "data: one\n") // the first event arrived while the stream is open
	close(a.release)
	rest, err := io.ReadAll(r)
	is.NoErr(err)
	is.Equal(string(rest), "\ndata: two\n\n") // the rest, once the API sent it
}

func TestCookies(t *testing.T) {
	for _, pass := range []bool{false, true} {
		t.Run(fmt.Sprint("PassCookies=", pass), func(t *testing.T) {
			is := is.New(t)
			a := newAPI(t)
			u := a.serve(t, Config{PassCookies: pass})
			req, _ := http.NewRequest("GET", u+"/cookie", nil)
			req.Header.Set("Cookie", "client=1")
			resp, err := http.DefaultClient.Do(req)
			is.NoErr(err)
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			is.Equal(resp.StatusCode, http.StatusOK)            // answered
			is.Equal(string(got) == "client=1", pass)           // the client's Cookie reached the API only when passed
			is.Equal(resp.Header.Get("Set-Cookie") != "", pass) // the API's Set-Cookie reached the client only when passed
		})
	}
}

func TestAccessLog(t *testing.T) {
	is := is.New(t)
	a := newAPI(t)
	var log bytes.Buffer
	p, err := New(Config{Source: a.source(cruxtest.Password, nil, loginauth.Options{}), BaseURL: a.front.URL, AccessLog: slog.New(slog.NewJSONHandler(&log, nil))})
	is.NoErr(err)
	s := httptest.NewServer(p)
	u := s.URL
	status, _ := do(t, "GET", u+cruxtest.PermissionsPath+"?api_key=query-secret", "", http.Header{"Authorization": {"Token client-secret"}})
	is.Equal(status, http.StatusOK) // first request
	a.RevokeAll()
	status, _ = do(t, "POST", u+"/echo", "{}", nil)
	is.Equal(status, http.StatusOK) // re-sent
	var hints atomic.Int64
	req, _ := http.NewRequest("GET", u+"/early", nil)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		Got1xxResponse: func(code int, _ textproto.MIMEHeader) error { hints.Add(1); return nil },
	}))
	resp, err := http.DefaultClient.Do(req)
	is.NoErr(err)
	resp.Body.Close()
	is.Equal(resp.StatusCode, http.StatusOK) // the final answer
	is.Equal(hints.Load(), int64(1))         // after the 103, passed through
	s.Close()                                // waits for the handlers, which log after they answer
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	is.Equal(len(lines), 3)                                                                                      // one line per request
	is.True(strings.Contains(lines[0], `"method":"GET","path":"/timp/organizations/permissions/","status":200`)) // method, path, status
	is.True(strings.Contains(lines[0], `"resent":false`))                                                        // the first went once
	is.True(strings.Contains(lines[1], `"method":"POST","path":"/echo","status":200`))                           // the second
	is.True(strings.Contains(lines[1], `"resent":true`))                                                         // was re-sent
	is.True(strings.Contains(lines[1], `"duration":`))
	is.True(strings.Contains(lines[2], `"path":"/early","status":200`)) // the final status, not the 103                                                           // with its duration
	for _, secret := range []string{"query-secret", "client-secret", cruxtest.Password, "Token "} {
		is.True(!strings.Contains(log.String(), secret)) // no credential, no query
	}
}

func TestTwoProxiesShareFileStore(t *testing.T) {
	is := is.New(t)
	a := newAPI(t)
	dir := filepath.Join(t.TempDir(), "store") // created 0700
	var urls []string
	for range 2 {
		src := a.source(cruxtest.Password, nil, loginauth.Options{Store: &loginauth.FileStore{Dir: dir}})
		urls = append(urls, a.serve(t, Config{Source: src}))
	}
	var wg sync.WaitGroup
	var ok atomic.Int64
	for i := range 20 {
		wg.Go(func() {
			if status, _ := do(t, "GET", urls[i%2]+cruxtest.PermissionsPath, "", nil); status == http.StatusOK {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	is.Equal(ok.Load(), int64(20)) // every request answered
	is.Equal(a.Logins(), int64(1)) // one login for both proxies
}

func TestNewRefusesBadConfig(t *testing.T) {
	a := newAPI(t)
	src := a.source(cruxtest.Password, nil, loginauth.Options{})
	for _, tc := range []struct {
		name string
		cfg  Config
		says string
	}{
		{"no source", Config{BaseURL: a.front.URL}, "Source"},
		{"relative base", Config{Source: src, BaseURL: "/v1"}, "absolute"},
		{"other scheme", Config{Source: src, BaseURL: "ftp://api.example.com"}, "absolute"},
		{"user info", Config{Source: src, BaseURL: "https://u:p@api.example.com"}, "user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			_, err := New(tc.cfg)
			is.True(err != nil)                                // refused
			is.True(strings.HasPrefix(err.Error(), "proxy: ")) // in the package's name
			is.True(strings.Contains(err.Error(), tc.says))    // saying why
			is.True(!strings.Contains(err.Error(), "u:p"))     // never the user information
		})
	}
}

func TestSlowBodyOfUnknownLengthFlushed(t *testing.T) {
	is := is.New(t)
	a := newAPI(t)
	u := a.serve(t, Config{})
	resp, err := http.Get(u + "/chunks")
	is.NoErr(err)
	defer resp.Body.Close()
	is.Equal(resp.ContentLength, int64(-1)) // of unknown length
	first := make([]byte, 4)
	_, err = io.ReadFull(resp.Body, first)
	is.NoErr(err)
	is.Equal(string(first), "one;") // the first part arrived while the API still writes
	close(a.release)
	rest, err := io.ReadAll(resp.Body)
	is.NoErr(err)
	is.Equal(string(rest), "two;") // the rest, once the API sent it
}

// barrier lets n requests through at a time, once all n have arrived.
type barrier struct {
	n       int
	mu      sync.Mutex
	waiting int
	open    chan struct{}
}

func (b *barrier) arrive() {
	b.mu.Lock()
	if b.open == nil {
		b.open = make(chan struct{})
	}
	open := b.open
	b.waiting++
	if b.waiting == b.n {
		close(open)
		b.open, b.waiting = nil, 0
	}
	b.mu.Unlock()
	<-open
}

func TestUpstreamConnectionsReused(t *testing.T) {
	// http.DefaultTransport keeps 2 idle connections per host: above 2
	// concurrent requests, most would open and close a connection.
	const concurrency, rounds = 16, 3
	is := is.New(t)
	b := &barrier{n: concurrency}
	var conns atomic.Int64
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { b.arrive() }))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	up.Start()
	t.Cleanup(up.Close)
	u := serve(t, Config{Source: bearerSource(up.URL), BaseURL: up.URL})
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}}
	t.Cleanup(c.CloseIdleConnections)
	for range rounds {
		var wg sync.WaitGroup
		for range concurrency {
			wg.Go(func() {
				resp, err := c.Get(u + "/x")
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
		wg.Wait()
	}
	is.Equal(conns.Load(), int64(concurrency)) // one connection per concurrent request, kept for the next rounds
}

func TestNewTransport(t *testing.T) {
	is := is.New(t)
	tr := NewTransport(0)
	is.Equal(tr.MaxIdleConnsPerHost, DefaultMaxIdleConns)                                         // a pool for the proxy's concurrency
	is.True(DefaultMaxIdleConns >= 64)                                                            // at least 64
	is.True(tr.ForceAttemptHTTP2)                                                                 // HTTP/2 to HTTPS APIs, as http.DefaultTransport
	is.Equal(tr.TLSHandshakeTimeout, http.DefaultTransport.(*http.Transport).TLSHandshakeTimeout) // its timeouts
	is.Equal(NewTransport(8).MaxIdleConnsPerHost, 8)
}
