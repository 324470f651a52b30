package mic_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/mic"
	"github.com/loginauth/loginauth/mic/mictest"
)

// config returns a Config for the default account of srv, on its clock.
func config(srv *mictest.Server) mic.Config {
	return mic.Config{
		BaseURL:  srv.BaseURL(),
		APIKey:   mictest.APIKey,
		Username: mictest.Username,
		Password: mictest.Password,
		Options:  loginauth.Options{Now: srv.Now},
	}
}

// get sends GET {base}/users/{name} through a Transport of src and
// returns the status and the decoded body.
func get(t *testing.T, src *loginauth.Source, base http.RoundTripper, url string) (int, map[string]any, error) {
	t.Helper()
	client := &http.Client{Transport: loginauth.NewTransport(src, base)}
	resp, err := client.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decoding %s: %v", url, err)
	}
	return resp.StatusCode, body, nil
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestLogin(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()
	src := mic.NewSource(config(srv))

	// The fake checks x-api-key, a raw Authorization and identityId.
	status, body, err := get(t, src, nil, srv.BaseURL()+"/users/"+mictest.Username)
	is.NoErr(err)
	is.Equal(status, http.StatusOK)              // protected request accepted
	is.Equal(body["userName"], mictest.Username) // the user's record
	is.Equal(srv.Logins(), int64(1))
	is.Equal(srv.Requests(), int64(1))

	tok, err := src.Token()
	is.NoErr(err)
	is.Equal(tok.Extra("identityId"), mictest.IdentityID) // identityId kept in Extra
	is.True(tok.RefreshToken != "")                       // refresh token kept
	is.True(!tok.Expiry.IsZero())                         // expiry read from the JWT
	is.True(tok.Expiry.Sub(srv.Now()) <= mictest.DefaultLifetime)

	status, _, err = get(t, src, nil, srv.BaseURL()+"/users/"+mictest.Username)
	is.NoErr(err)
	is.Equal(status, http.StatusOK)
	is.Equal(srv.Logins(), int64(1)) // the token is cached
}

// TestOAuth2Transport backs the package doc: an oauth2.Transport sends
// "Authorization: Bearer <token>" and neither identityId nor x-api-key,
// and MIC refuses it; the same Source through a loginauth.Transport is
// served.
func TestOAuth2Transport(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()
	src := mic.NewSource(config(srv))
	tok, err := src.Token()
	is.NoErr(err)

	var sent atomic.Pointer[http.Header]
	base := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		h := r.Header.Clone()
		sent.Store(&h)
		return http.DefaultTransport.RoundTrip(r)
	})
	client := &http.Client{Transport: &oauth2.Transport{Source: src, Base: base}}
	resp, err := client.Get(srv.BaseURL() + "/users/" + mictest.Username)
	is.NoErr(err)
	resp.Body.Close()
	h := *sent.Load()
	is.Equal(h.Get("Authorization"), "Bearer "+tok.AccessToken) // one header, with a type
	is.Equal(h.Get("identityId"), "")
	is.Equal(h.Get("x-api-key"), "")
	is.True(resp.StatusCode != http.StatusOK) // refused
	is.Equal(srv.Requests(), int64(0))

	status, _, err := get(t, src, base, srv.BaseURL()+"/users/"+mictest.Username)
	is.NoErr(err)
	is.Equal(status, http.StatusOK) // a loginauth.Transport is served
	h = *sent.Load()
	is.Equal(h.Get("Authorization"), tok.AccessToken)
	is.Equal(h.Get("identityId"), mictest.IdentityID)
	is.Equal(h.Get("x-api-key"), mictest.APIKey)
}

func TestBadCredentials(t *testing.T) {
	const wrong = "wrong-password-123"
	for _, w := range []mictest.Wrapper{mictest.WrapErrorMessage, mictest.WrapMessage, mictest.WrapErrorMessageString} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			is := is.New(t)
			srv := mictest.NewServer()
			defer srv.Close()
			srv.ErrorWrapper = w
			cfg := config(srv)
			cfg.Password = wrong
			src := mic.NewSource(cfg)

			_, _, err := get(t, src, nil, srv.BaseURL()+"/users/"+mictest.Username)
			is.True(err != nil) // request fails
			var le *loginauth.LoginError
			is.True(errors.As(err, &le)) // a LoginError
			is.Equal(le.Provider, "mic")
			is.Equal(le.Op, "login")
			is.Equal(le.Status, http.StatusUnauthorized)
			is.Equal(le.Code, mictest.KeyInvalidLogin)
			is.Equal(le.Message, "Invalid login")
			is.True(le.BadCredentials)
			is.True(!strings.Contains(err.Error(), wrong)) // no password in the error
			is.Equal(srv.Requests(), int64(0))

			_, err = src.Token() // backing off: the same failure, no new login
			is.True(errors.As(err, &le) && le.BadCredentials)
			is.Equal(srv.Logins(), int64(1))
		})
	}
}

func TestWrongAPIKey(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()
	cfg := config(srv)
	cfg.APIKey = "not-the-key"
	_, err := mic.NewSource(cfg).Token()
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.Equal(le.Status, http.StatusForbidden)
	is.Equal(le.Message, mictest.MsgForbidden)
	is.True(le.BadCredentials)                             // retrying will not help
	is.True(!strings.Contains(err.Error(), "not-the-key")) // no key in the error
}

// TestRenewalFromExp checks that the token is a Cognito ID token and
// that the Source schedules its renewal from the token's exp claim. The
// fake's tokens live 20 minutes, not mic.DefaultLifetime, so that a
// schedule from the lifetime would show.
func TestRenewalFromExp(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()
	srv.SetLifetime(20 * time.Minute)
	refreshed := make(chan struct{}, 1)
	cfg := config(srv)
	cfg.OnEvent = func(ev loginauth.Event) {
		if ev.Kind == loginauth.EventRefresh {
			select {
			case refreshed <- struct{}{}:
			default:
			}
		}
	}
	src := mic.NewSource(cfg)

	old, err := src.Token()
	is.NoErr(err)
	id, err := mictest.ParseIDToken(old.AccessToken)
	is.NoErr(err)
	is.Equal(id.TokenUse, "id")                                  // a Cognito ID token
	is.Equal(id.Exp-id.Iat, int64((20 * time.Minute).Seconds())) // that lives as long as the fake says
	exp := time.Unix(id.Exp, 0)
	is.True(old.Expiry.Equal(exp)) // the Source's expiry is the exp claim

	// The early-refresh window is the last minute before exp.
	srv.Advance(exp.Sub(srv.Now()) - 61*time.Second)
	tok, err := src.Token()
	is.NoErr(err)
	is.Equal(tok.AccessToken, old.AccessToken)
	is.Equal(srv.Refreshes(), int64(0)) // not yet due

	srv.Advance(31 * time.Second) // 30 s before exp
	tok, err = src.Token()
	is.NoErr(err)
	is.Equal(tok.AccessToken, old.AccessToken) // still valid: handed out while the refresh runs
	select {
	case <-refreshed: // the background refresh, before exp
	case <-time.After(10 * time.Second):
		t.Fatal("no background refresh 30 s before exp")
	}

	srv.Advance(time.Minute) // past the old token's exp
	tok, err = src.Token()
	is.NoErr(err)
	is.True(tok.AccessToken != old.AccessToken)
	is.Equal(srv.Refreshes(), int64(1)) // the background one only
	is.Equal(srv.Logins(), int64(1))
	id, err = mictest.ParseIDToken(tok.AccessToken)
	is.NoErr(err)
	is.True(tok.Expiry.Equal(time.Unix(id.Exp, 0)))       // the new schedule is the new exp
	is.Equal(tok.Extra("identityId"), mictest.IdentityID) // the identityId is kept

	status, _, err := get(t, src, nil, srv.BaseURL()+"/users/"+mictest.Username)
	is.NoErr(err)
	is.Equal(status, http.StatusOK) // the refreshed token works
}

// TestRefreshToken renews a token twice. The second refresh must send the
// refresh token of the first refresh's answer when it has one (the fake
// records what it receives), and the login's when it has none.
func TestRefreshToken(t *testing.T) {
	for _, tc := range []struct {
		name            string
		omit, rotate    bool
		newRefreshToken bool
	}{
		{name: "new refresh token", newRefreshToken: true},
		{name: "new refresh token, old revoked", rotate: true, newRefreshToken: true},
		{name: "no refresh token", omit: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			srv := mictest.NewServer()
			defer srv.Close()
			srv.OmitRefreshToken, srv.RotateRefreshToken = tc.omit, tc.rotate
			src := mic.NewSource(config(srv))
			first, err := src.Token()
			is.NoErr(err)

			srv.Advance(mictest.DefaultLifetime) // expired: renewed on demand
			second, err := src.Token()
			is.NoErr(err)
			is.True(second.AccessToken != first.AccessToken)
			is.True(second.RefreshToken != "")
			is.Equal(second.RefreshToken != first.RefreshToken, tc.newRefreshToken) // the answer's refresh token is kept

			srv.Advance(mictest.DefaultLifetime)
			third, err := src.Token()
			is.NoErr(err)
			is.True(third.AccessToken != second.AccessToken)
			is.Equal(srv.ReceivedRefreshTokens(), []string{first.RefreshToken, second.RefreshToken}) // what each refresh sent
			is.Equal(srv.Refreshes(), int64(2))
			is.Equal(srv.Logins(), int64(1)) // no refresh failed into a login

			status, _, err := get(t, src, nil, srv.BaseURL()+"/users/"+mictest.Username)
			is.NoErr(err)
			is.Equal(status, http.StatusOK) // the refreshed token works
		})
	}
}

func TestRefreshFailsThenLogin(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()
	src := mic.NewSource(config(srv))
	_, err := src.Token()
	is.NoErr(err)
	srv.RevokeRefreshTokens()
	srv.Advance(mictest.DefaultLifetime)
	_, err = src.Token()
	is.NoErr(err)                       // a login after the refused refresh
	is.Equal(srv.Refreshes(), int64(1)) // tried first
	is.Equal(srv.Logins(), int64(2))
}

// TestRefusals sends a request through a Transport to the fake, which
// answers as API Gateway with a Cognito authorizer does. Both token 401s
// are refusals: the token is renewed (with its refresh token) once and the
// request re-sent. The 403 for a wrong API key and the 403 NOT_AUTHORIZED
// are not: logging in again would not change them, so the response is
// handed back, body included.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		path string // under BaseURL; empty means alice's record
		// frozen stops the Source's clock, so that it sends a token the
		// fake's moving clock has expired.
		frozen bool
		before func(srv *mictest.Server) // after the first login
		// rewrite returns the n-th request (from 1) as it reaches the fake.
		rewrite func(n int32, r *http.Request) *http.Request
		first   string // the fake's first answer
		retried bool
	}{
		{
			name: "missing token",
			rewrite: func(n int32, r *http.Request) *http.Request {
				if n == 1 { // a proxy drops the Authorization header, once
					r = r.Clone(r.Context())
					r.Header.Del("Authorization")
				}
				return r
			},
			first: `{"message":"Unauthorized"}`, retried: true,
		},
		{
			name:   "invalid token",
			before: func(srv *mictest.Server) { srv.RevokeAll() },
			first:  `{"message":"Unauthorized"}`, retried: true,
		},
		{
			name: "expired token", frozen: true,
			before: func(srv *mictest.Server) { srv.Advance(mictest.DefaultLifetime + time.Minute) },
			first:  `{"message":"The incoming token has expired"}`, retried: true,
		},
		{
			name: "wrong API key",
			rewrite: func(n int32, r *http.Request) *http.Request {
				r = r.Clone(r.Context())
				r.Header.Set("x-api-key", "another-key")
				return r
			},
			first: `{"message":"Forbidden"}`,
		},
		{
			name: "not authorized", path: "/users/bob",
			first: `"messageKey":"NOT_AUTHORIZED"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			srv := mictest.NewServer()
			defer srv.Close()
			srv.AddUser("bob", "bobs-password")
			cfg := config(srv)
			if tc.frozen {
				now := srv.Now()
				cfg.Now = func() time.Time { return now }
			}
			src := mic.NewSource(cfg)
			_, err := src.Token()
			is.NoErr(err)
			if tc.before != nil {
				tc.before(srv)
			}

			var n atomic.Int32
			var firstStatus atomic.Int32
			var firstBody atomic.Value
			base := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
				i := n.Add(1)
				if tc.rewrite != nil {
					r = tc.rewrite(i, r)
				}
				resp, err := http.DefaultTransport.RoundTrip(r)
				if err != nil || i != 1 {
					return resp, err
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				resp.Body = io.NopCloser(bytes.NewReader(b))
				firstStatus.Store(int32(resp.StatusCode))
				firstBody.Store(string(b))
				return resp, err
			})
			path := tc.path
			if path == "" {
				path = "/users/" + mictest.Username
			}
			client := &http.Client{Transport: loginauth.NewTransport(src, base)}
			resp, err := client.Get(srv.BaseURL() + path)
			is.NoErr(err)
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			is.NoErr(err)

			is.True(strings.Contains(firstBody.Load().(string), tc.first)) // the fake's first answer
			is.Equal(srv.Logins(), int64(1))
			if tc.retried {
				is.Equal(firstStatus.Load(), int32(http.StatusUnauthorized))
				is.Equal(resp.StatusCode, http.StatusOK) // re-sent with a renewed token
				is.Equal(n.Load(), int32(2))             // once
				is.Equal(src.Stats().Retries, int64(1))
				is.Equal(srv.Refreshes(), int64(1)) // one renewal, with the refresh token
				return
			}
			is.Equal(resp.StatusCode, http.StatusForbidden)
			is.Equal(string(b), firstBody.Load().(string)) // handed back, body included
			is.Equal(n.Load(), int32(1))                   // not re-sent
			is.Equal(src.Stats().Retries, int64(0))
			is.Equal(srv.Refreshes(), int64(0)) // no renewal
		})
	}
}

// A 403 about the token is a refusal: the request is re-sent with a
// renewed token. mictest answers no such 403, so a base transport fakes
// the first answer.
func TestCredential403Retried(t *testing.T) {
	for _, msg := range []string{"Missing Authentication Token", "The incoming token has expired", "invalid token"} {
		t.Run(msg, func(t *testing.T) {
			is := is.New(t)
			srv := mictest.NewServer()
			defer srv.Close()
			src := mic.NewSource(config(srv))
			var n atomic.Int32
			base := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
				if n.Add(1) == 1 {
					body, _ := json.Marshal(map[string]string{"message": msg})
					return &http.Response{
						StatusCode: http.StatusForbidden, Status: "403 Forbidden",
						Header:  http.Header{"Content-Type": {"application/json"}},
						Body:    io.NopCloser(strings.NewReader(string(body))),
						Request: r,
					}, nil
				}
				return http.DefaultTransport.RoundTrip(r)
			})
			status, _, err := get(t, src, base, srv.BaseURL()+"/users/"+mictest.Username)
			is.NoErr(err)
			is.Equal(status, http.StatusOK) // re-sent with a renewed token
			is.Equal(src.Stats().Retries, int64(1))
			is.Equal(srv.Refreshes(), int64(1))
		})
	}
}

func TestRefusedConfigurable(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()
	srv.AddUser("bob", "bobs-password")
	cfg := config(srv)
	var calls atomic.Int32
	cfg.Refused = func(resp *http.Response) bool {
		calls.Add(1)
		return false // never retry
	}
	src := mic.NewSource(cfg)
	_, err := src.Token()
	is.NoErr(err)
	srv.RevokeAll()
	status, _, err := get(t, src, nil, srv.BaseURL()+"/users/"+mictest.Username)
	is.NoErr(err)
	is.Equal(status, http.StatusUnauthorized) // returned as is
	is.Equal(calls.Load(), int32(1))
}

func TestDiscover(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()
	d := mic.Discoverer{URL: srv.ManifestURL()}

	cfg, err := d.Discover(context.Background(), mictest.AppHostname)
	is.NoErr(err)
	is.Equal(cfg.BaseURL, srv.BaseURL())
	is.Equal(cfg.APIKey, mictest.APIKey)

	cfg.Username, cfg.Password = mictest.Username, mictest.Password
	status, _, err := get(t, mic.NewSource(cfg), nil, srv.BaseURL()+"/users/"+mictest.Username)
	is.NoErr(err)
	is.Equal(status, http.StatusOK) // the discovered Config works

	_, err = d.Discover(context.Background(), "unknown.example.test")
	is.True(errors.Is(err, mic.ErrUnknownHostname)) // {} is an unknown host name
	is.True(strings.Contains(err.Error(), `"unknown.example.test"`))
	is.True(strings.HasPrefix(err.Error(), "mic: "))

	_, err = d.Discover(context.Background(), "")
	is.True(err != nil) // a host name is required

	// A discovery endpoint that answers HTML.
	_, err = mic.Discoverer{URL: srv.BaseURL() + "/nowhere/"}.Discover(context.Background(), mictest.AppHostname)
	is.True(err != nil)
	is.True(strings.HasPrefix(err.Error(), "mic: discover failed"))
}

func TestStoreKeepsIdentityID(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()
	cfg := config(srv)
	cfg.Store = &loginauth.MemoryStore{Now: srv.Now}
	_, err := mic.NewSource(cfg).Token()
	is.NoErr(err)

	// Another Source of the same account finds the token in the Store,
	// identityId included.
	status, _, err := get(t, mic.NewSource(cfg), nil, srv.BaseURL()+"/users/"+mictest.Username)
	is.NoErr(err)
	is.Equal(status, http.StatusOK)
	is.Equal(srv.Logins(), int64(1))

	// Another user of the same stack does not.
	srv.AddUser("bob", "bobs-password")
	cfg.Username, cfg.Password = "bob", "bobs-password"
	status, _, err = get(t, mic.NewSource(cfg), nil, srv.BaseURL()+"/users/bob")
	is.NoErr(err)
	is.Equal(status, http.StatusOK)
	is.Equal(srv.Logins(), int64(2))
}
