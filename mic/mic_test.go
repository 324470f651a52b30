package mic_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/mic"
	"github.com/loginauth/loginauth/mic/mictest"
)

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

func TestLogin(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()
	src := mic.NewSource(sourcetest.Config[mic.Config](mictest.Provider, srv))

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
	src := mic.NewSource(sourcetest.Config[mic.Config](mictest.Provider, srv))
	tok, err := src.Token()
	is.NoErr(err)

	var sent atomic.Pointer[http.Header]
	base := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
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
			cfg := sourcetest.Config[mic.Config](mictest.Provider, srv)
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
	cfg := sourcetest.Config[mic.Config](mictest.Provider, srv)
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
	srv := mictest.NewServer()
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) { renewalFromExp(t, srv) })
}

// renewalFromExp is TestRenewalFromExp in a synctest bubble, on the
// fake's in-memory transport.
func renewalFromExp(t *testing.T, srv *mictest.Server) {
	is := is.New(t)
	srv.SetLifetime(20 * time.Minute)
	refreshed := make(chan struct{}, 1)
	cfg := sourcetest.Config[mic.Config](mictest.Provider, srv)
	cfg.HTTPClient = &http.Client{Transport: srv.Transport()}
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
	synctest.Wait()
	select {
	case <-refreshed: // the background refresh, before exp
	default:
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

	status, _, err := get(t, src, srv.Transport(), srv.BaseURL()+"/users/"+mictest.Username)
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
			src := mic.NewSource(sourcetest.Config[mic.Config](mictest.Provider, srv))
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
	src := mic.NewSource(sourcetest.Config[mic.Config](mictest.Provider, srv))
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
			cfg := sourcetest.Config[mic.Config](mictest.Provider, srv)
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
			base := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
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
			src := mic.NewSource(sourcetest.Config[mic.Config](mictest.Provider, srv))
			var n atomic.Int32
			base := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
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
	cfg := sourcetest.Config[mic.Config](mictest.Provider, srv)
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
	cfg := sourcetest.Config[mic.Config](mictest.Provider, srv)
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

// refreshFailure makes cfg record the error of the last failed refresh,
// which the returned function reports.
func refreshFailure(cfg *mic.Config) func() error {
	var mu sync.Mutex
	var last error
	cfg.OnEvent = func(ev loginauth.Event) {
		if ev.Kind == loginauth.EventFailure && ev.Op == "refresh" {
			mu.Lock()
			last = ev.Err
			mu.Unlock()
		}
	}
	return func() error {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

// TestRefreshFaults makes the refresh endpoint (and the login it falls
// back on) fail in each way of sourcetest.FaultCases, after a token the
// API refused: the refresh failure says what was wrong, the caller gets a
// clear error after one refresh and at most one login, within the login
// timeout, and once the endpoints work the kept refresh token renews the
// token. The timeouts run in a synctest bubble.
func TestRefreshFaults(t *testing.T) {
	p := mictest.Provider
	for _, fc := range sourcetest.FaultCases {
		t.Run(fc.Fault.String(), func(t *testing.T) {
			srv := mictest.NewServer()
			t.Cleanup(srv.Close)
			sourcetest.InBubble(t, srv, fc.Timeout > 0, func(t *testing.T, base http.RoundTripper) {
				is := is.New(t)
				cfg := sourcetest.Config[mic.Config](mictest.Provider, srv)
				cfg.HTTPClient = &http.Client{Transport: base}
				cfg.LoginTimeout = fc.Timeout
				refreshErr := refreshFailure(&cfg)
				src := mic.NewSource(cfg)
				tok, err := src.Token()
				is.NoErr(err)
				srv.SetFault(fc.Fault)
				src.Invalidate(tok) // as the Transport does when the API refuses it

				start := time.Now()
				_, err = src.Token()
				elapsed := time.Since(start)
				is.True(err != nil)
				sourcetest.Contains(t, err.Error(), "mic: login failed")
				rerr := refreshErr()
				is.True(rerr != nil) // the refresh failed first
				sourcetest.Contains(t, rerr.Error(), "mic: refresh failed")
				want := fc.Wants(p)
				if fc.Fault == loginauthtest.FaultBadCredentials {
					// A refused refresh token is not a refusal of the
					// password; the login that follows is.
					want = []string{"HTTP 401", "Invalid refresh token"}
					sourcetest.Contains(t, err.Error(), "(credentials refused)")
				}
				sourcetest.Contains(t, rerr.Error(), want...)
				if fc.Timeout > 0 {
					is.True(elapsed <= 2*fc.Timeout) // a login timeout for the refresh, one for the login
				}
				is.Equal(srv.Refreshes(), int64(1)) // one refresh
				is.True(srv.Logins() <= 2)          // and at most one login to fall back on

				srv.SetFault(loginauthtest.NoFault)
				srv.Advance(2 * time.Minute)
				status, _, err := get(t, src, base, srv.BaseURL()+"/users/"+mictest.Username)
				is.NoErr(err)
				is.Equal(status, http.StatusOK)
				is.Equal(srv.Refreshes(), int64(2)) // the refresh token was kept and renews the token
			})
		})
	}
}

// TestRefreshRedirectRefused puts a server in front of the fake that
// passes logins on and answers the refresh call with a 307 to another
// origin: the refresh token never reaches it, the refresh fails saying
// why, and the Source falls back on a login.
func TestRefreshRedirectRefused(t *testing.T) {
	is := is.New(t)
	loginauthtest.CheckLeaks(t)
	fake := mictest.NewServer()
	t.Cleanup(fake.Close)
	var received atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received.Add(1)
	}))
	t.Cleanup(recv.Close)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, mic.RefreshPath) {
			http.Redirect(w, r, recv.URL+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		fake.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)

	cfg := sourcetest.Config[mic.Config](mictest.Provider, fake)
	cfg.BaseURL = front.URL + "/" + mictest.StackName
	cfg.HTTPClient = &http.Client{Transport: tr}
	refreshErr := refreshFailure(&cfg)
	src := mic.NewSource(cfg)
	old, err := src.Token()
	is.NoErr(err)
	is.True(old.RefreshToken != "")
	src.Invalidate(old) // as the Transport does when the API refuses it
	tok, err := src.Token()
	is.NoErr(err) // the login it falls back on
	is.True(tok.AccessToken != old.AccessToken)
	rerr := refreshErr()
	is.True(rerr != nil) // the refresh failed
	sourcetest.Contains(t, rerr.Error(), "mic: refresh failed", "refusing redirect to another origin")
	is.True(!strings.Contains(rerr.Error(), old.RefreshToken))
	is.Equal(received.Load(), int64(0)) // the refresh token went nowhere
	is.Equal(fake.Logins(), int64(2))
	is.Equal(fake.Refreshes(), int64(0))
}

// TestAbsurdJWTClaims serves logins whose token has a negative, zero,
// past, absurd or unreadable exp claim: the Source falls back on the
// lifetime, and does not log in again on every call. A sane claim is
// taken as it is.
func TestAbsurdJWTClaims(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	fallback := now.Add(mic.DefaultLifetime)
	for _, tc := range []struct {
		name  string
		token string
		want  time.Time
	}{
		{"negative", loginauthtest.RawJWT(`{"exp":-1}`), fallback},
		{"zero", loginauthtest.RawJWT(`{"exp":0}`), fallback},
		{"tiny", loginauthtest.RawJWT(`{"exp":1e-10}`), fallback},
		{"past", loginauthtest.RawJWT(fmt.Sprintf(`{"exp":%d,"iat":%d}`, now.Add(-time.Hour).Unix(), now.Unix())), fallback},
		{"now", loginauthtest.RawJWT(fmt.Sprintf(`{"exp":%d}`, now.Unix())), fallback},
		{"year-10000", loginauthtest.RawJWT(`{"exp":253402300800}`), fallback},
		{"float-overflow", loginauthtest.RawJWT(`{"exp":1e300}`), fallback},
		{"int-overflow", loginauthtest.RawJWT(`{"exp":99999999999999999999}`), fallback},
		{"string", loginauthtest.RawJWT(`{"exp":"tomorrow"}`), fallback},
		{"null", loginauthtest.RawJWT(`{"exp":null}`), fallback},
		{"no-exp", loginauthtest.RawJWT(`{"sub":"alice"}`), fallback},
		{"payload-not-json", loginauthtest.RawJWT(`exp`), fallback},
		{"payload-not-base64", "eyJhbGciOiJub25lIn0.%%%.c2ln", fallback},
		{"opaque", "0123456789abcdef", fallback},
		{"huge", loginauthtest.RawJWT(fmt.Sprintf(`{"exp":%d,"pad":"%s"}`, now.Add(time.Hour).Unix(), strings.Repeat("a", 20<<10))), fallback},
		{"sane", loginauthtest.JWT(now.Add(10*time.Minute), nil), now.Add(10 * time.Minute)},
		{"year-9999", loginauthtest.RawJWT(`{"exp":253402300799}`), time.Unix(253402300799, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			var logins atomic.Int64
			login := loginauthtest.HandlerTransport{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				logins.Add(1)
				io.Copy(io.Discard, r.Body)
				loginauthtest.WriteJSON(w, http.StatusOK, map[string]any{
					"credentials": map[string]string{"identityId": "eu-west-1:id", "token": tc.token, "refreshToken": "rt"},
				})
			})}
			src := mic.NewSource(mic.Config{
				BaseURL: "https://mic.example/prod", APIKey: "key", Username: "alice", Password: "pass",
				HTTPClient: &http.Client{Transport: login}, Options: loginauth.Options{Now: func() time.Time { return now }},
			})
			for range 5 {
				tok, err := src.Token()
				is.NoErr(err)
				is.True(tok.Expiry.Equal(tc.want)) // the claim, or the lifetime
			}
			is.Equal(logins.Load(), int64(1)) // one login
		})
	}
}

// TestDefaultRefusedEndlessBody gives DefaultRefused a 403 whose body
// never ends: it reads at most its 16 KiB peek, does not take it for a
// refusal, and the caller still reads the body from its first byte.
func TestDefaultRefusedEndlessBody(t *testing.T) {
	sourcetest.RefusalPeekBounded(t, mic.DefaultRefused, http.StatusForbidden, `{"message":"invalid token","pad":"`)
}

// FuzzLoginResponse gives the login call of a fresh Source per input the
// fuzzed status, Content-Type and body; sourcetest.CheckLogin says what
// must hold. The seeds are the fake's real answers.
func FuzzLoginResponse(f *testing.F) {
	srv := mictest.NewServer()
	defer srv.Close()
	rt := srv.Transport()
	key := http.Header{"X-Api-Key": {mictest.APIKey}}
	url := srv.BaseURL() + mic.LoginPath
	login := `{"userName":"alice","password":"` + mictest.Password + `"}`
	seeds := sourcetest.SeedFaults(f, srv, url, key, login)
	seeds = append(seeds,
		sourcetest.Capture(f, rt, "POST", url, http.Header{"X-Api-Key": {"wrong"}}, login),    // 403 from the gateway
		sourcetest.Capture(f, rt, "POST", url, key, `{"userName":"alice"}`),                   // 400 PROPERTY_REQUIRED
		sourcetest.Capture(f, rt, "POST", url, key, `{"userName":"alice","password":"nope"}`), // 401 INVALID_LOGIN
		sourcetest.Capture(f, rt, "POST", url, key, `{"userName":"alice","password":`),        // 400 from the gateway
	)
	srv.ErrorWrapper = mictest.WrapMessage
	seeds = append(seeds, sourcetest.Capture(f, rt, "POST", url, key, `{"userName":"alice","password":"nope"}`))
	sourcetest.FuzzLogin(f, "mic", seeds, func(hc *http.Client) *loginauth.Source {
		return mic.NewSource(mic.Config{BaseURL: "https://mic.example/prod", APIKey: sourcetest.FuzzAPIKey, Username: "alice", Password: sourcetest.FuzzPassword, HTTPClient: hc, Options: sourcetest.FuzzOptions})
	}, sourcetest.FuzzPassword, sourcetest.FuzzAPIKey)
}

// FuzzRefreshResponse logs in with a fixed answer, then gives the refresh
// call the fuzzed one. The refresh succeeds or fails with an error that
// shows no secret; either way the caller gets a token (from the login it
// falls back on), with an identityId and a refresh token.
func FuzzRefreshResponse(f *testing.F) {
	srv := mictest.NewServer()
	defer srv.Close()
	rt := srv.Transport()
	key := http.Header{"X-Api-Key": {mictest.APIKey}}
	login := sourcetest.Capture(f, rt, "POST", srv.BaseURL()+mic.LoginPath, key, `{"userName":"alice","password":"`+mictest.Password+`"}`)
	var creds struct {
		Credentials struct{ RefreshToken string } `json:"credentials"`
	}
	if err := json.Unmarshal(login.Body, &creds); err != nil {
		f.Fatal(err)
	}
	url := srv.BaseURL() + mic.RefreshPath
	refresh := `{"refreshToken":"` + creds.Credentials.RefreshToken + `"}`
	seeds := sourcetest.SeedFaults(f, srv, url, key, refresh)
	srv.RotateRefreshToken = true
	seeds = append(seeds,
		sourcetest.Capture(f, rt, "POST", url, key, refresh),                      // a new refresh token
		sourcetest.Capture(f, rt, "POST", url, key, `{"refreshToken":"unknown"}`), // 401 INVALID_LOGIN
		sourcetest.Capture(f, rt, "POST", url, key, `{}`),                         // 400 PROPERTY_REQUIRED
	)
	sourcetest.AddSeeds(f, seeds)

	answer := fmt.Sprintf(`{"credentials":{"identityId":"eu-west-1:id","token":%q,"refreshToken":%q}}`,
		loginauthtest.JWT(time.Now().Add(time.Hour), nil), sourcetest.FuzzRefresh)
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte) {
		var mu sync.Mutex
		var refreshed int
		var failure error
		rt := sourcetest.Answering(status, ct, body, map[string]sourcetest.Answer{mic.LoginPath: {Status: 200, CT: "application/json", Body: []byte(answer)}})
		src := mic.NewSource(mic.Config{
			BaseURL: "https://mic.example/prod", APIKey: sourcetest.FuzzAPIKey, Username: "alice", Password: sourcetest.FuzzPassword,
			HTTPClient: &http.Client{Transport: rt},
			Options: loginauth.Options{MinBackoff: -1, OnEvent: func(ev loginauth.Event) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case ev.Kind == loginauth.EventRefresh:
					refreshed++
				case ev.Kind == loginauth.EventFailure && ev.Op == "refresh":
					failure = ev.Err
				}
			}},
		})
		old, err := src.Token()
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		src.Invalidate(old) // as a Transport does when the API refuses it
		tok, err := src.Token()
		sourcetest.CheckLogin(t, "mic: ", tok, err, body)
		var le *loginauth.LoginError
		if err != nil && errors.As(err, &le) && (le.Status == http.StatusTooManyRequests || le.RetryAfter > 0) {
			return // a rate-limited refresh backs off rather than log in to the same server
		}
		if err != nil {
			t.Fatalf("no fallback to the login after the refresh: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if (refreshed == 1) == (failure != nil) {
			t.Fatalf("%d refreshes and failure %v; want one or the other", refreshed, failure)
		}
		if failure != nil {
			sourcetest.CheckLogin(t, "mic: refresh failed", nil, failure, body, sourcetest.FuzzPassword, sourcetest.FuzzAPIKey, sourcetest.FuzzRefresh, old.AccessToken)
		}
		if id, _ := tok.Extra("identityId").(string); id == "" || tok.RefreshToken == "" {
			t.Fatalf("the token lost its identityId %q or its refresh token %q", id, tok.RefreshToken)
		}
	})
}

// FuzzDefaultRefused feeds DefaultRefused any status, Content-Type and
// body, padded past the 16 KiB peek, declared or not:
// sourcetest.CheckRefused says what must hold, and only a 401 or a 403
// can be a refusal. The seeds are the fake's real answers.
func FuzzDefaultRefused(f *testing.F) {
	srv := mictest.NewServer()
	defer srv.Close()
	rt := srv.Transport()
	users := srv.BaseURL() + "/users/"
	key := http.Header{"X-Api-Key": {mictest.APIKey}}
	login := sourcetest.Capture(f, rt, "POST", srv.BaseURL()+mic.LoginPath, key, `{"userName":"alice","password":"`+mictest.Password+`"}`)
	var creds struct {
		Credentials struct{ Token, IdentityID string } `json:"credentials"`
	}
	if err := json.Unmarshal(login.Body, &creds); err != nil {
		f.Fatal(err)
	}
	auth := http.Header{"X-Api-Key": {mictest.APIKey}, "Authorization": {creds.Credentials.Token}, "Identityid": {creds.Credentials.IdentityID}}
	srv.AddUser("bob", "bob-pass")
	for _, a := range []sourcetest.Answer{
		sourcetest.Capture(f, rt, "GET", users+"alice", auth, ""),                                                                                    // 200
		sourcetest.Capture(f, rt, "GET", users+"bob", auth, ""),                                                                                      // 403 NOT_AUTHORIZED
		sourcetest.Capture(f, rt, "GET", users+"carol", auth, ""),                                                                                    // 404 USER_NOT_FOUND
		sourcetest.Capture(f, rt, "GET", users+"alice", key, ""),                                                                                     // 403 Forbidden
		sourcetest.Capture(f, rt, "GET", users+"alice", http.Header{"Authorization": {"x"}}, ""),                                                     // 403 Forbidden
		sourcetest.Capture(f, rt, "GET", users+"alice", http.Header{"X-Api-Key": {mictest.APIKey}, "Authorization": {"x"}, "Identityid": {"y"}}, ""), // 401
	} {
		f.Add(a.Status, a.CT, a.Body, uint16(0), true)
	}
	srv.Advance(2 * time.Hour)
	a := sourcetest.Capture(f, rt, "GET", users+"alice", auth, "") // 401 expired
	f.Add(a.Status, a.CT, a.Body, uint16(0), false)
	f.Add(403, "application/json", []byte(`{"message":"Missing Authentication Token"}`), uint16(0), false)
	f.Add(403, "", []byte(`{"message":"The incoming token has expired"}`), uint16(20000), false)
	f.Add(403, "text/html", []byte(`<html>token</html>`), uint16(0), true)
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte, pad uint16, declared bool) {
		r := sourcetest.CheckRefused(t, mic.DefaultRefused, status, ct, body, pad, declared)
		if r.Refused && r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden {
			t.Fatalf("HTTP %d taken for a refusal", r.Status)
		}
	})
}

// FuzzErrorMessage checks that the code and the message read from an
// error answer are strings the answer holds, never made up, and that an
// answer is a token refusal only if one of its strings speaks of a token.
func FuzzErrorMessage(f *testing.F) {
	f.Add([]byte(`{"errorMessage":{"message":"Invalid login","messageKey":"INVALID_LOGIN"}}`))
	f.Add([]byte(`{"message":"The incoming token has expired"}`))
	f.Add([]byte(`{"errorMessage":"{\"message\":\"Invalid login\",\"messageKey\":\"INVALID_LOGIN\"}"}`))
	f.Add([]byte(`{"errorMessage":" {\"messageKey\":\"USER_NOT_FOUND\",\"message\":\"User not found\"}"}`))
	f.Add([]byte(`{"message":{"message":"invalid token","messageKey":"INVALID_TOKEN"}}`))
	f.Add([]byte(`{"message":"Tok\u0065n \xff","n":1e400}`))
	f.Add([]byte(`{"errorMessage":"{\"message\":\"Incorrect username or password.\",\"messageKey\":\"INVALID_LOGIN\"}"}`))
	f.Add([]byte(`{"message":"Forbidden"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		code, msg := mic.ErrorMessage(body)
		held := sourcetest.Strings(body)
		for _, s := range []string{code, msg} {
			if s != "" && !slices.Contains(held, s) {
				t.Fatalf("errorMessage(%q) = %q, %q: %q is no string of the answer", body, code, msg, s)
			}
		}
		if mic.TokenRefusal(body) && !slices.ContainsFunc(held, func(s string) bool { return strings.Contains(strings.ToLower(s), "token") }) {
			t.Fatalf("%q taken for a token refusal, though no string of it says token", body)
		}
	})
}

// TestStoreKeyKept checks that a token stored by an earlier version, under
// the key it wrote, is found.
func TestStoreKeyKept(t *testing.T) {
	sourcetest.FindsStored(t, "mic https://abc123.execute-api.eu-west-1.amazonaws.com/prod alice", func(hc *http.Client, o loginauth.Options) *loginauth.Source {
		return mic.NewSource(mic.Config{BaseURL: "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/", APIKey: "k", Username: "alice", Password: "pw", HTTPClient: hc, Options: o})
	})
}
