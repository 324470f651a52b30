package compat

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gregjones/httpcache"
	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
)

// get returns the status and body of GET url through c.
func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// A cache above loginauth never sees the credentials, which loginauth adds
// below it: it serves one user's answer to another, Vary or not.
func TestHTTPCacheAboveLeaksAcrossUsers(t *testing.T) {
	for _, vary := range []bool{false, true} {
		t.Run(map[bool]string{false: "without Vary", true: "with Vary"}[vary], func(t *testing.T) {
			is := is.New(t)
			api := newUsers()
			api.Vary = vary
			srv := httptest.NewServer(api)
			defer srv.Close()
			shared := httpcache.NewMemoryCache()
			client := func(user string) *http.Client {
				return &http.Client{Transport: &httpcache.Transport{Cache: shared, Transport: loginauth.NewTransport(api.source(user, srv.URL, loginauth.Options{}), nil)}}
			}
			alice, bob := client("alice"), client("bob")
			_, a := get(t, alice, srv.URL+"/me")
			_, b := get(t, bob, srv.URL+"/me")
			is.Equal(a, "alice")
			is.Equal(b, "alice")                    // Bob got Alice's answer
			is.Equal(api.requests.Load(), int64(1)) // from the cache: Bob's request never left
		})
	}
}

// Below loginauth, the cache sees the credentials: with Vary:
// Authorization, each user gets their own answer; without it, the cache
// serves one user's answer to the other.
func TestHTTPCacheBelowNeedsVary(t *testing.T) {
	for _, vary := range []bool{true, false} {
		t.Run(map[bool]string{false: "without Vary", true: "with Vary"}[vary], func(t *testing.T) {
			is := is.New(t)
			api := newUsers()
			api.Vary = vary
			srv := httptest.NewServer(api)
			defer srv.Close()
			shared := &httpcache.Transport{Cache: httpcache.NewMemoryCache()}
			client := func(user string) *http.Client {
				return &http.Client{Transport: loginauth.NewTransport(api.source(user, srv.URL, loginauth.Options{}), shared)}
			}
			alice, bob := client("alice"), client("bob")
			_, a := get(t, alice, srv.URL+"/me")
			_, b := get(t, bob, srv.URL+"/me")
			_, a2 := get(t, alice, srv.URL+"/me")
			is.Equal(a, "alice")
			is.Equal(a2, "alice")
			if vary {
				is.Equal(b, "bob")                      // each user's own answer
				is.Equal(api.requests.Load(), int64(3)) // httpcache keeps one answer per URL: Bob's replaced Alice's
			} else {
				is.Equal(b, "alice") // without Vary, Bob got Alice's answer
			}
		})
	}
}

// A refusal that carries max-age, once read, is cached below loginauth,
// and answers the next request whatever its token. The re-send asks the
// cache to revalidate (Cache-Control: no-cache), so it reaches the API
// instead of getting the cached refusal again, which would cost a login
// per request.
func TestHTTPCacheBelowDoesNotAnswerTheResendWithTheCachedRefusal(t *testing.T) {
	is := is.New(t)
	api := newUsers()
	api.CacheRefusals = true // and no Vary: the refusal answers any token
	api.revoke("alice-1")
	api.revoke("alice-2")
	srv := httptest.NewServer(api)
	defer srv.Close()
	src := api.source("alice", srv.URL, loginauth.Options{MinBackoff: -1})
	client := &http.Client{Transport: loginauth.NewTransport(src, &httpcache.Transport{Cache: httpcache.NewMemoryCache()})}
	status, _ := get(t, client, srv.URL+"/me")
	is.Equal(status, 401)                                       // the fresh token alice-2 was refused too: the caller reads the refusal, and the cache keeps it
	is.Equal(api.headers()[1].Get("Cache-Control"), "no-cache") // the re-send asked for a fresh answer
	for range 3 {
		status, body := get(t, client, srv.URL+"/me")
		is.Equal(status, 200) // the re-send reached the API; then the cache answers
		is.Equal(body, "alice")
	}
	is.Equal(api.loginsOf("alice"), 4)      // alice-3, refused by the cached answer, and alice-4; not a login per request
	is.Equal(api.requests.Load(), int64(3)) // the two refusals and alice-4's re-send; the cache answered the rest
}
