package builtin_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/registry/builtin"
	"github.com/loginauth/loginauth/loginauthtest"
)

// roundTripAllocs is what a request with a cached token costs each
// built-in provider, a 200 answer included: 3 allocations, and 8 for
// xPay, whose refusal rule reads the start of a 200 body. These were the
// figures of the providers written in Go, before they became
// descriptions.
var roundTripAllocs = map[string]float64{"mic": 3, "xano": 3, "crux": 3, "xpay": 8}

// TestCachedPathCost checks that a cached token costs each built-in
// provider's Source no allocation, and a request through its Transport
// what it did before.
func TestCachedPathCost(t *testing.T) {
	for _, p := range builtin.Providers {
		t.Run(p.Name, func(t *testing.T) {
			is := is.New(t)
			f := p.Start()
			defer f.Close()
			vals := p.Demo(f)
			src := p.FromValues(vals, nil, loginauth.Options{Now: f.Now})
			_, err := src.Token()
			is.NoErr(err)
			ctx := context.Background()
			is.Equal(testing.AllocsPerRun(1000, func() { _, _ = src.TokenContext(ctx) }), 0.0) // a cached token

			resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody}
			tr := loginauth.NewTransport(src, loginauthtest.RoundTripperFunc(func(*http.Request) (*http.Response, error) { return resp, nil }))
			req, err := http.NewRequest(http.MethodGet, vals["base_url"]+"/x", nil)
			is.NoErr(err)
			want, ok := roundTripAllocs[p.Name]
			is.True(ok) // every built-in provider has its figure
			is.True(testing.AllocsPerRun(1000, func() { _, _ = tr.RoundTrip(req) }) <= want)
		})
	}
}
