package compat

import (
	"context"
	"testing"
	"time"

	"cloud.google.com/go/auth"
	"golang.org/x/oauth2"
	"k8s.io/client-go/transport"

	"github.com/loginauth/loginauth"
)

// googleTokens is an auth.TokenProvider that hands out one token.
type googleTokens struct{ tok *auth.Token }

func (g googleTokens) Token(context.Context) (*auth.Token, error) { return g.tok, nil }

// cached returns the cached-token call of each implementation, each
// already holding a token valid for an hour.
func cached(b *testing.B) map[string]func() error {
	b.Helper()
	expiry := time.Now().Add(time.Hour)
	tok := &oauth2.Token{AccessToken: "token", Expiry: expiry}
	src := loginauth.New(loginauth.Config{
		Provider: "bench",
		Origins:  []string{"https://api.example.com"},
		Login:    func(context.Context) (*oauth2.Token, error) { return tok, nil },
	})
	google := auth.NewCachedTokenProvider(googleTokens{&auth.Token{Value: "token", Expiry: expiry}}, nil)
	k8s := transport.NewCachedTokenSource(oauth2.StaticTokenSource(tok))
	reuse := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(tok))
	ctx := context.Background()
	impls := map[string]func() error{
		"loginauth":    func() error { _, err := src.Token(); return err },
		"google-auth":  func() error { _, err := google.Token(ctx); return err },
		"client-go":    func() error { _, err := k8s.Token(); return err },
		"oauth2-reuse": func() error { _, err := reuse.Token(); return err },
	}
	for name, fn := range impls {
		if err := fn(); err != nil { // the first call fills each cache
			b.Fatalf("%s: %v", name, err)
		}
	}
	return impls
}

var implOrder = []string{"loginauth", "google-auth", "client-go", "oauth2-reuse"}

// BenchmarkToken measures the call that returns a cached token, for the
// Source and for the cached token sources of cloud.google.com/go/auth,
// k8s.io/client-go and golang.org/x/oauth2, in one run.
func BenchmarkToken(b *testing.B) {
	impls := cached(b)
	for _, name := range implOrder {
		fn := impls[name]
		b.Run("impl="+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTokenParallel is BenchmarkToken from all cores.
func BenchmarkTokenParallel(b *testing.B) {
	impls := cached(b)
	for _, name := range implOrder {
		fn := impls[name]
		b.Run("impl="+name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := fn(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
