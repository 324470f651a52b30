package loginauth_test

// Benchmarks of what a Source costs in memory once it holds a token, and
// of what a waiter of a login allocates, beside golang.org/x/oauth2's
// ReuseTokenSource in the same run. They report with b.ReportMetric;
// BENCHMARKS.md has the command and the figures.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux"
	"github.com/loginauth/loginauth/jsonlogin"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xpay"
)

// warmSources is how many Sources BenchmarkWarmSource keeps at once.
const warmSources = 10_000

// opaqueToken returns the n-th 40-byte opaque access token.
func opaqueToken(n int64) string { return fmt.Sprintf("%040d", n) }

// warmLogin answers every login with a new 40-byte opaque token, in the
// JSON answer that format makes of it with fmt.
func warmLogin(format string) *http.Client {
	var n atomic.Int64
	return &http.Client{Transport: loginauthtest.HandlerTransport{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, format, opaqueToken(n.Add(1)))
	})}}
}

// BenchmarkWarmSource measures, with runtime.MemStats, what a token
// source retains once it holds a token with a 40-byte opaque access
// token: the heap bytes and objects that warmSources of them keep alive,
// after one login each, divided by warmSources. header-B/Source is the
// precomputed credential header value ("Bearer " and the token) that a
// Source keeps so that a request costs 3 allocations; net-B/Source is the
// rest.
func BenchmarkWarmSource(b *testing.B) {
	var n atomic.Int64
	login := func(context.Context) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: opaqueToken(n.Add(1))}, nil
	}
	oauthLogin := benchTokenSource(func() (*oauth2.Token, error) { return login(context.Background()) })
	origins := []string{"https://api.example.com"}
	hc := warmLogin(`{"authToken": %q}`)
	cruxHC := warmLogin(`{"auth_token": %q}`)
	xpayHC := warmLogin(`{"success": {"data": {"access_token": %q}}}`)
	data, err := os.ReadFile("xano/xano.json")
	if err != nil {
		b.Fatal(err)
	}
	spec, err := jsonlogin.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	spec.HTTPClient = hc
	vars := map[string]string{"base_url": "https://x1a2-b3c4.n7.xano.io/api:AbCdEfGh", "email": "wile@example.com", "password": "hunter2!"}
	impls := []struct {
		name   string
		header bool // keeps a precomputed header value
		new    func() oauth2.TokenSource
	}{
		{"oauth2", false, func() oauth2.TokenSource { return oauth2.ReuseTokenSource(nil, oauthLogin) }},
		{"loginauth", true, func() oauth2.TokenSource {
			return loginauth.New(loginauth.Config{Provider: "bench", Login: login, Origins: origins})
		}},
		{"xano", true, func() oauth2.TokenSource {
			return xano.NewSource(xano.Config{BaseURL: vars["base_url"], Email: vars["email"], Password: vars["password"], HTTPClient: hc})
		}},
		{"crux", true, func() oauth2.TokenSource {
			return crux.NewSource(crux.Config{BaseURL: "https://crux.example.com/api", Username: "wile", Password: vars["password"], HTTPClient: cruxHC})
		}},
		{"xpay", true, func() oauth2.TokenSource {
			return xpay.NewSource(xpay.Config{BaseURL: "https://xpay.example.com", Username: "wile", SecretKey: vars["password"], HTTPClient: xpayHC})
		}},
		{"jsonlogin-xano", true, func() oauth2.TokenSource { return spec.NewSource(vars, loginauth.Options{}) }},
	}
	header := float64(headerSize(len("Bearer ") + len(opaqueToken(0))))
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			keep := make([]oauth2.TokenSource, warmSources)
			var bytes, objects float64
			iters := 0
			for b.Loop() {
				clear(keep)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i := range keep {
					ts := impl.new()
					if _, err := ts.Token(); err != nil {
						b.Fatal(err)
					}
					keep[i] = ts
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				bytes += float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / warmSources
				objects += float64(int64(after.HeapObjects)-int64(before.HeapObjects)) / warmSources
				iters++
			}
			runtime.KeepAlive(keep)
			bytes, objects = bytes/float64(iters), objects/float64(iters)
			b.ReportMetric(bytes, "B/Source")
			b.ReportMetric(objects, "objects/Source")
			if impl.header {
				b.ReportMetric(header, "header-B/Source")
				b.ReportMetric(bytes-header, "net-B/Source")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

// benchTokenSource is an oauth2.TokenSource made of a function.
type benchTokenSource func() (*oauth2.Token, error)

func (f benchTokenSource) Token() (*oauth2.Token, error) { return f() }

// headerSize is the heap size of a string of n bytes: n rounded up to
// its size class, as measured.
func headerSize(n int) int64 {
	const count = 10_000
	keep := make([]string, count)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range keep {
		keep[i] = string(make([]byte, n))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	return (int64(after.HeapAlloc) - int64(before.HeapAlloc) + count/2) / count
}
