package loginauth

// Benchmarks of the request path, each beside golang.org/x/oauth2's
// Transport over a ReuseTokenSource, and beside the bare base transport.
// Sub-benchmarks are named impl=oauth2, impl=loginauth and impl=bare so
// that benchstat -col /impl puts them side by side; BENCHMARKS.md has the
// command and the figures. The login scenarios are in login_bench_test.go.

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// benchToken is the access token of the benchmarks: 32 characters, like
// a typical opaque token.
const benchToken = "0123456789abcdef0123456789abcdef"

// The implementations compared, in the order they run: oauth2 first, so
// that benchstat reports the others relative to it.
const (
	implOAuth2    = "oauth2"             // oauth2.Transport over oauth2.ReuseTokenSource
	implLoginauth = "loginauth"          // Transport over Source
	implObserved  = "loginauth-observed" // the same, with a debug Logger and an OnEvent hook
	implBare      = "bare"               // the base transport alone, no credentials
	implFloor     = "floor"              // copies the request, its URL and header map, and sets one field
)

// noopBase answers every request with the same response and allocates
// nothing, so that the benchmarks measure only the authenticating layer.
type noopBase struct{ resp *http.Response }

func (b noopBase) RoundTrip(*http.Request) (*http.Response, error) { return b.resp, nil }

func newNoop() noopBase {
	return noopBase{resp: &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}}}
}

// floorTransport is the least that a decorator which adds credentials
// must do: copy the request, its URL and its header map, and set one
// header field. It is the floor against which the Transport's own work
// is measured.
type floorTransport struct {
	base http.RoundTripper
	val  []string // the Authorization field's value
}

func (f floorTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := new(http.Request)
	*r = *req
	u := new(url.URL)
	*u = *req.URL
	r.URL = u
	r.Header = maps.Clone(req.Header)
	r.Header["Authorization"] = f.val
	return f.base.RoundTrip(r)
}

// benchTokenFunc is an oauth2.TokenSource made of a function.
type benchTokenFunc func() (*oauth2.Token, error)

func (f benchTokenFunc) Token() (*oauth2.Token, error) { return f() }

func benchRequest(url string) *http.Request {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "bench")
	return req
}

const benchURL = "https://api.example.com/v1/things?limit=10"

// benchTransports returns the three transports over base, each with a
// cached token that expires in an hour, as a real one would.
func benchTransports(b *testing.B, base http.RoundTripper, origin string) map[string]http.RoundTripper {
	exp := time.Now().Add(time.Hour)
	tok := &oauth2.Token{AccessToken: benchToken, TokenType: "Bearer", Expiry: exp}
	newSource := func(opts Options) *Source {
		src := New(Config{
			Provider: "bench",
			Origins:  []string{origin},
			Login: func(context.Context) (*oauth2.Token, error) {
				return &oauth2.Token{AccessToken: benchToken, Expiry: exp}, nil
			},
			Options: opts,
		})
		if _, err := src.Token(); err != nil {
			b.Fatal(err)
		}
		return src
	}
	var events atomic.Int64
	observed := newSource(Options{
		Logger:  slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnEvent: func(Event) { events.Add(1) },
	})
	return map[string]http.RoundTripper{
		implBare:      base,
		implFloor:     floorTransport{base: base, val: []string{"Bearer " + benchToken}},
		implLoginauth: NewTransport(newSource(Options{}), base),
		implObserved:  NewTransport(observed, base),
		implOAuth2: &oauth2.Transport{
			Source: oauth2.ReuseTokenSource(tok, benchTokenFunc(func() (*oauth2.Token, error) { return tok, nil })),
			Base:   base,
		},
	}
}

var requestImpls = []string{implOAuth2, implLoginauth, implObserved, implFloor, implBare}

// BenchmarkRoundTrip measures the per-request cost of each transport over
// a base that does nothing.
func BenchmarkRoundTrip(b *testing.B) {
	trs := benchTransports(b, newNoop(), "https://api.example.com")
	for _, impl := range requestImpls {
		tr := trs[impl]
		b.Run("impl="+impl, func(b *testing.B) {
			req := benchRequest(benchURL)
			b.ReportAllocs()
			for b.Loop() {
				resp, err := tr.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
			}
		})
	}
}

// BenchmarkRoundTripParallel is BenchmarkRoundTrip from all cores.
func BenchmarkRoundTripParallel(b *testing.B) {
	trs := benchTransports(b, newNoop(), "https://api.example.com")
	for _, impl := range requestImpls {
		tr := trs[impl]
		b.Run("impl="+impl, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := benchRequest(benchURL)
				for pb.Next() {
					resp, err := tr.RoundTrip(req)
					if err != nil {
						b.Error(err)
						return
					}
					resp.Body.Close()
				}
			})
		})
	}
}

// BenchmarkServer measures requests per second through each transport to
// an httptest server on loopback, over a keep-alive client, from all
// cores. The server refuses a wrong token, so the credentials are checked
// end to end; impl=bare sends none.
func BenchmarkServer(b *testing.B) {
	want := "Bearer " + benchToken
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Authorization"); a != "" && a != want {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"things":[]}`)
	}))
	defer srv.Close()

	for _, impl := range requestImpls {
		b.Run("impl="+impl, func(b *testing.B) {
			base := http.DefaultTransport.(*http.Transport).Clone()
			base.MaxIdleConnsPerHost = 64
			defer base.CloseIdleConnections()
			client := &http.Client{Transport: benchTransports(b, base, srv.URL)[impl]}
			b.ReportAllocs()
			var once sync.Once
			b.RunParallel(func(pb *testing.PB) {
				req := benchRequest(srv.URL + "/v1/things?limit=10")
				for pb.Next() {
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						once.Do(func() { b.Errorf("status %d", resp.StatusCode) })
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
