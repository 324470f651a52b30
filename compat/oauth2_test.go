package compat

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
)

// A Source is an oauth2.TokenSource, so oauth2.NewClient sends its token;
// but oauth2's Transport never re-sends a refused request, nor tells the
// Source: a revoked token keeps failing until it expires. loginauth's
// Transport re-sends once with a fresh token.
func TestOauth2NewClientSendsButNeverResends(t *testing.T) {
	is := is.New(t)
	api := newUsers()
	srv := httptest.NewServer(api)
	defer srv.Close()
	src := api.source("alice", srv.URL, loginauth.Options{})
	c := oauth2.NewClient(context.Background(), src)
	status, body := get(t, c, srv.URL+"/me")
	is.Equal(status, 200) // the Source's token works through oauth2's Transport
	is.Equal(body, "alice")
	api.revoke("alice-1")
	for range 2 {
		status, _ = get(t, c, srv.URL+"/me")
		is.Equal(status, 401) // refused, and refused again: no re-send, no new login
	}
	is.Equal(api.loginsOf("alice"), 1)

	status, _ = get(t, loginauthClient(src), srv.URL+"/me")
	is.Equal(status, 200)              // loginauth's Transport re-sends with a fresh token
	is.Equal(api.loginsOf("alice"), 2) // after one login
}

// oauth2.ReuseTokenSource over a Source keeps a token that the Source has
// forgotten (after a refusal) until that token's own expiry: every
// request through it is refused meanwhile. The Source caches already;
// never wrap it.
func TestOauth2ReuseTokenSourceKeepsARevokedToken(t *testing.T) {
	is := is.New(t)
	expiry := time.Now().Add(24 * time.Hour) // Xano's default lifetime
	src := loginauth.New(loginauth.Config{
		Provider: "test",
		Origins:  []string{"https://api.example.com"},
		Login: func() func(context.Context) (*oauth2.Token, error) {
			n := 0
			return func(context.Context) (*oauth2.Token, error) {
				n++
				return &oauth2.Token{AccessToken: []string{"", "first", "second"}[n], Expiry: expiry}, nil
			}
		}(),
	})
	reuse := oauth2.ReuseTokenSource(nil, src)
	tok, err := reuse.Token()
	is.NoErr(err)
	src.Invalidate(tok) // what loginauth's Transport does when the API refuses it
	got, err := src.Token()
	is.NoErr(err)
	is.Equal(got.AccessToken, "second") // the Source logged in again
	got, err = reuse.Token()
	is.NoErr(err)
	is.Equal(got.AccessToken, "first") // the wrapper keeps the refused token, for 24 h
}
