package crux_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux"
	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/loginauthtest"
)

// permissions sends GET {base}/timp/organizations/permissions/ through a
// Transport of src.
func permissions(t *testing.T, srv *cruxtest.Server, src *loginauth.Source, base http.RoundTripper) (int, map[string]any, error) {
	t.Helper()
	client := &http.Client{Transport: loginauth.NewTransport(src, base)}
	resp, err := client.Get(srv.URL + cruxtest.PermissionsPath)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decoding permissions: %v", err)
	}
	return resp.StatusCode, body, nil
}

func TestLogin(t *testing.T) {
	is := is.New(t)
	srv := cruxtest.NewServer()
	defer srv.Close()
	var loginType string
	cfg := sourcetest.Config[crux.Config](cruxtest.Provider, srv)
	cfg.HTTPClient = &http.Client{Transport: loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		loginType = r.Header.Get("Content-Type")
		return http.DefaultTransport.RoundTrip(r)
	})}
	src := crux.NewSource(cfg)

	var auth string
	status, body, err := permissions(t, srv, src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		auth = r.Header.Get("Authorization")
		return http.DefaultTransport.RoundTrip(r)
	}))
	is.NoErr(err)
	is.Equal(status, http.StatusOK) // the fake accepts "Token <auth_token>"
	is.Equal(loginType, crux.ContentType)

	tok, err := src.Token()
	is.NoErr(err)
	is.Equal(auth, "Token "+tok.AccessToken)
	is.Equal(tok.Extra("org_type"), "RETAILER")                           // the login answer is kept in Extra
	is.Equal(tok.Extra("user_uuid"), body["user_uuid"])                   // the same user
	is.Equal(tok.Extra("org_uuid"), body["org_uuid"])                     // and organization
	is.True(tok.Extra("permission_assignments") != nil)                   // with its permissions
	is.Equal(tok.Extra("auth_token"), nil)                                // but not the token twice
	is.Equal(tok.Expiry.Sub(srv.Now()).Round(60e9), crux.DefaultLifetime) // two hours
	is.Equal(srv.Logins(), int64(1))
}

func TestLoginPathV1(t *testing.T) {
	is := is.New(t)
	srv := cruxtest.NewServer()
	defer srv.Close()
	cfg := sourcetest.Config[crux.Config](cruxtest.Provider, srv)
	cfg.LoginPath = crux.LoginPathV1
	status, _, err := permissions(t, srv, crux.NewSource(cfg), nil)
	is.NoErr(err)
	is.Equal(status, http.StatusOK)
}

func TestBadCredentials(t *testing.T) {
	is := is.New(t)
	srv := cruxtest.NewServer()
	defer srv.Close()
	const wrong = "wrong-password-123"
	cfg := sourcetest.Config[crux.Config](cruxtest.Provider, srv)
	cfg.Password = wrong
	src := crux.NewSource(cfg)
	_, _, err := permissions(t, srv, src, nil)
	is.True(err != nil)
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.Equal(le.Provider, "crux")
	is.Equal(le.Status, http.StatusUnauthorized)
	is.Equal(le.Message, cruxtest.MsgInvalidCredentials)
	is.True(le.BadCredentials)
	is.True(!strings.Contains(err.Error(), wrong)) // no password in the error
	is.Equal(srv.Requests()+srv.Refused(), int64(0))
}

// TestLoginPathMoved checks that a login path the API does not serve, as
// it may have moved since the documentation, gives an error that says to
// set Config.LoginPath.
func TestLoginPathMoved(t *testing.T) {
	is := is.New(t)
	srv := cruxtest.NewServer()
	defer srv.Close()
	cfg := sourcetest.Config[crux.Config](cruxtest.Provider, srv)
	cfg.LoginPath = "/api" + crux.LoginPath // as before 2018's "Remove 'api' from urls"
	_, err := crux.NewSource(cfg).Token()
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.Equal(le.Status, http.StatusNotFound)
	is.True(!le.BadCredentials)
	is.True(strings.Contains(err.Error(), cfg.LoginPath))          // the path tried
	is.True(strings.Contains(err.Error(), "set Config.LoginPath")) // and what to do
	is.Equal(srv.Logins(), int64(0))
}

// TestUnsupportedMediaType checks that the API's 415 to a body that is
// not JSON, on a call other than the login, reaches the caller as it
// is: it does not refuse the token, so there is no login again.
func TestUnsupportedMediaType(t *testing.T) {
	is := is.New(t)
	srv := cruxtest.NewServer()
	defer srv.Close()
	src := crux.NewSource(sourcetest.Config[crux.Config](cruxtest.Provider, srv))
	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
	for _, tt := range []struct {
		contentType string
		status      int
	}{
		{"text/plain", http.StatusUnsupportedMediaType},
		{crux.ContentType, http.StatusOK},
	} {
		resp, err := client.Post(srv.URL+cruxtest.PermissionsPath, tt.contentType, strings.NewReader("{}"))
		is.NoErr(err)
		var body map[string]any
		is.NoErr(json.NewDecoder(resp.Body).Decode(&body))
		resp.Body.Close()
		is.Equal(resp.StatusCode, tt.status) // the API's answer, untouched
		if tt.status != http.StatusOK {
			is.Equal(body["detail"], `Unsupported media type "`+tt.contentType+`" in request.`)
		}
	}
	is.Equal(srv.Logins(), int64(1))        // one login
	is.Equal(src.Stats().Retries, int64(0)) // and no request re-sent
}

// FuzzLoginResponse gives the login call of a fresh Source per input the
// fuzzed status, Content-Type and body; sourcetest.CheckLogin says what
// must hold. The seeds are the fake's real answers.
func FuzzLoginResponse(f *testing.F) {
	srv := cruxtest.NewServer()
	defer srv.Close()
	rt := srv.Transport()
	url := srv.URL + crux.LoginPath
	login := `{"username":"alice","password":"` + cruxtest.Password + `"}`
	seeds := sourcetest.SeedFaults(f, srv, url, nil, login)
	seeds = append(seeds,
		sourcetest.Capture(f, rt, "POST", url, nil, `{"username":"alice","password":"nope"}`), // 401 detail
		sourcetest.Capture(f, rt, "POST", url, nil, `{"password":""}`),                        // 400 field errors
		sourcetest.Capture(f, rt, "POST", url, nil, `{"username":`),                           // 400 parse error
	)
	f.Add(415, "application/json", []byte(`{"detail":"Unsupported media type \"text/plain\" in request."}`))
	f.Add(400, "application/json", []byte(`{"non_field_errors":["Unable to log in with provided credentials."]}`))
	sourcetest.FuzzLogin(f, "crux", seeds, func(hc *http.Client) *loginauth.Source {
		return crux.NewSource(crux.Config{BaseURL: "https://crux.example", Username: "alice", Password: sourcetest.FuzzPassword, HTTPClient: hc, Options: sourcetest.FuzzOptions})
	}, sourcetest.FuzzPassword)
}

// TestStoreKeyKept checks that a token stored by an earlier version, under
// the key it wrote, is found: the keys below are what crux wrote before it
// became a description. They name the login URL.
func TestStoreKeyKept(t *testing.T) {
	for _, tt := range []struct{ path, key string }{
		{"", "crux https://api.cruxconnect.com/timp/organizations/user-login/ alice"},
		{crux.LoginPathV1, "crux https://api.cruxconnect.com/organizations/user-login/ alice"},
		{"/v3/login/", "crux https://api.cruxconnect.com/v3/login/ alice"},
	} {
		sourcetest.FindsStored(t, tt.key, func(hc *http.Client, o loginauth.Options) *loginauth.Source {
			return crux.NewSource(crux.Config{BaseURL: crux.ProductionURL + "/", Username: "alice", Password: "pw", LoginPath: tt.path, HTTPClient: hc, Options: o})
		})
	}
}
