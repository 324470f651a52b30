package loginauth

import (
	"context"
	"io"
	"net/http"
	"testing"

	"golang.org/x/oauth2"
)

// noopBase answers every request with the same response and allocates
// nothing, so that the benchmarks measure only the authenticating layer.
type noopBase struct{ resp *http.Response }

func (b noopBase) RoundTrip(*http.Request) (*http.Response, error) { return b.resp, nil }

func newNoop() noopBase {
	return noopBase{resp: &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}}}
}

func benchRequest() *http.Request {
	req, _ := http.NewRequest("GET", "https://api.example.com/v1/things?limit=10", nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "bench")
	return req
}

func benchTransports(b *testing.B) map[string]http.RoundTripper {
	src := testSource(func(context.Context) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: "0123456789abcdef0123456789abcdef"}, nil
	}, Options{})
	if _, err := src.Token(); err != nil {
		b.Fatal(err)
	}
	tok := &oauth2.Token{AccessToken: "0123456789abcdef0123456789abcdef", TokenType: "Bearer"}
	return map[string]http.RoundTripper{
		"base":      newNoop(),
		"loginauth": NewTransport(src, newNoop()),
		"oauth2":    &oauth2.Transport{Source: oauth2.ReuseTokenSource(tok, oauth2.StaticTokenSource(tok)), Base: newNoop()},
	}
}

// BenchmarkRoundTrip measures the per-request cost of each transport over
// a base that does nothing.
func BenchmarkRoundTrip(b *testing.B) {
	trs := benchTransports(b)
	for _, name := range []string{"base", "oauth2", "loginauth"} {
		tr := trs[name]
		b.Run(name, func(b *testing.B) {
			req := benchRequest()
			b.ReportAllocs()
			for b.Loop() {
				resp, err := tr.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
			}
		})
	}
}

// BenchmarkRoundTripParallel is BenchmarkRoundTrip from all cores.
func BenchmarkRoundTripParallel(b *testing.B) {
	trs := benchTransports(b)
	for _, name := range []string{"base", "oauth2", "loginauth"} {
		tr := trs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := benchRequest()
				for pb.Next() {
					if _, err := tr.RoundTrip(req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
