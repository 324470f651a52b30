package xano_test

import (
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

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xano/xanotest"
)

// me sends GET {base}/auth/me through a Transport of src.
func me(t *testing.T, srv *xanotest.Server, src *loginauth.Source, base http.RoundTripper) (int, map[string]any, error) {
	t.Helper()
	client := &http.Client{Transport: loginauth.NewTransport(src, base)}
	resp, err := client.Get(srv.BaseURL() + xano.MePath)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decoding /auth/me: %v", err)
	}
	return resp.StatusCode, body, nil
}

func TestLogin(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	src := xano.NewSource(sourcetest.Config[xano.Config](xanotest.Provider, srv))

	var auth string
	base := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		auth = r.Header.Get("Authorization")
		return http.DefaultTransport.RoundTrip(r)
	})
	status, body, err := me(t, srv, src, base)
	is.NoErr(err)
	is.Equal(status, http.StatusOK) // the fake accepts the bearer token
	is.Equal(body["email"], xanotest.Email)
	tok, err := src.Token()
	is.NoErr(err)
	is.Equal(auth, "Bearer "+tok.AccessToken)
	is.Equal(srv.Logins(), int64(1))
	is.Equal(srv.Requests(), int64(1))

	// The JWE cannot be read: the expiry is the configured lifetime.
	is.Equal(tok.Expiry.Sub(srv.Now()).Round(time.Minute), xano.DefaultLifetime)
}

func TestLifetime(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	srv.SetLifetime(time.Hour) // a login endpoint configured for an hour
	cfg := sourcetest.Config[xano.Config](xanotest.Provider, srv)
	cfg.Lifetime = time.Hour
	src := xano.NewSource(cfg)
	_, err := src.Token()
	is.NoErr(err)

	srv.Advance(time.Hour + time.Second) // expired on both sides
	status, _, err := me(t, srv, src, nil)
	is.NoErr(err)
	is.Equal(status, http.StatusOK)
	is.Equal(srv.Logins(), int64(2)) // logged in again before the request
	is.Equal(srv.Refused(), int64(0))
}

func TestBadCredentials(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	const wrong = "wrong-password-123"
	cfg := sourcetest.Config[xano.Config](xanotest.Provider, srv)
	cfg.Password = wrong
	src := xano.NewSource(cfg)

	_, _, err := me(t, srv, src, nil)
	is.True(err != nil)
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.Equal(le.Provider, "xano")
	is.Equal(le.Op, "login")
	is.Equal(le.Status, http.StatusForbidden)
	is.Equal(le.Code, xanotest.CodeAccessDenied)
	is.Equal(le.Message, "Invalid Credentials.")
	is.True(le.BadCredentials)
	is.True(!strings.Contains(err.Error(), wrong)) // no password in the error
	is.Equal(srv.Requests()+srv.Refused(), int64(0))
}

func TestSignup(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	cfg := sourcetest.Config[xano.Config](xanotest.Provider, srv)
	cfg.Email, cfg.Password = "zed@example.test", "zeds-password"

	src, err := xano.Signup(context.Background(), cfg, "Zed")
	is.NoErr(err)
	is.Equal(srv.Logins(), int64(1)) // the signup
	status, body, err := me(t, srv, src, nil)
	is.NoErr(err)
	is.Equal(status, http.StatusOK) // the signup token is used
	is.Equal(body["name"], "Zed")
	is.Equal(body["email"], "zed@example.test")
	is.Equal(srv.Logins(), int64(1)) // no login after the signup

	// When the signup token is refused, the Source logs in.
	srv.RevokeAll()
	status, _, err = me(t, srv, src, nil)
	is.NoErr(err)
	is.Equal(status, http.StatusOK)
	is.Equal(srv.Logins(), int64(2))

	// A second signup of the address fails with Xano's error.
	_, err = xano.Signup(context.Background(), cfg, "Zed")
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.Equal(le.Op, "signup")
	is.Equal(le.Status, http.StatusForbidden)
	is.Equal(le.Code, xanotest.CodeAccessDenied)
	is.Equal(le.Message, "This account is already in use.")
	is.True(!le.BadCredentials)
	is.True(!strings.Contains(err.Error(), "zeds-password"))
}

func TestSignupFault(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	srv.SetFault(loginauthtest.FaultNoToken)
	cfg := sourcetest.Config[xano.Config](xanotest.Provider, srv)
	cfg.Email = "zed@example.test"
	_, err := xano.Signup(context.Background(), cfg, "Zed")
	is.True(err != nil)
	is.True(strings.HasPrefix(err.Error(), "xano: signup failed")) // names the call
	is.True(strings.Contains(err.Error(), `no token at "/authToken"`))
}

func TestTokenField(t *testing.T) {
	for _, field := range []string{"authToken", "auth_token", "token"} {
		t.Run(field, func(t *testing.T) {
			is := is.New(t)
			srv := xanotest.NewServer()
			defer srv.Close()
			srv.TokenField = field // a project's own login endpoint

			status, _, err := me(t, srv, xano.NewSource(sourcetest.Config[xano.Config](xanotest.Provider, srv)), nil)
			is.NoErr(err)                   // found without configuration
			is.Equal(status, http.StatusOK) // and accepted

			cfg := sourcetest.Config[xano.Config](xanotest.Provider, srv)
			cfg.TokenField = field
			status, _, err = me(t, srv, xano.NewSource(cfg), nil)
			is.NoErr(err) // the field configured
			is.Equal(status, http.StatusOK)
			is.Equal(srv.Logins(), int64(2))
		})
	}
}

func TestTokenFieldConfigured(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer() // answers authToken
	defer srv.Close()
	cfg := sourcetest.Config[xano.Config](xanotest.Provider, srv)
	cfg.TokenField = "token"
	_, err := xano.NewSource(cfg).Token()
	is.True(err != nil) // the configured field is the only one read
	is.True(strings.HasPrefix(err.Error(), `xano: login failed: HTTP 200: response has no token at "/token" (`))

	srv.TokenField = "auth_token"
	cfg.TokenField = "authToken"
	_, err = xano.NewSource(cfg).Token()
	is.True(err != nil) // no fallback on the other names
	is.True(strings.Contains(err.Error(), `response has no token at "/authToken" (`))
}

// answer returns a Source whose login gets status and body.
func answer(status int, body string) *loginauth.Source {
	hc := &http.Client{Transport: loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		r.Body.Close()
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})}
	return xano.NewSource(xano.Config{BaseURL: "https://x.example/api:test", Email: xanotest.Email, Password: xanotest.Password, HTTPClient: hc})
}

func TestTokenFieldOrder(t *testing.T) {
	for _, tc := range []struct{ body, token, err string }{
		{body: `{"token":"c","auth_token":"b","authToken":"a"}`, token: "a"},
		{body: `{"authToken":"","auth_token":"b","token":"c"}`, token: "b"},
		{body: `{"authToken":null,"token":"c"}`, token: "c"},
		{body: `{"authToken":5,"token":"c"}`, token: "c"},
		{body: `{"user":{"id":1},"auth_token":"b"}`, token: "b"},
		{body: `{"authToken":5}`, err: `response value token at "/authToken" has JSON type number, want string`},
		{body: `{"auth_token":{"v":"b"}}`, err: `response value token at "/auth_token" has JSON type object, want string`},
		{body: `{}`, err: `response has no token at "/authToken" or at "/auth_token" or at "/token" (`},
		{body: `{"AuthToken":"a","TOKEN":"c"}`, err: `response has no token at "/authToken" or at "/auth_token" or at "/token" (`}, // names match exactly
		{body: `null`, err: `response has no token at "/authToken" or at "/auth_token" or at "/token" (`},
		{body: `["a"]`, err: "response is a JSON array, not an object ("},
		{body: `"a"`, err: "response is a JSON string, not an object ("},
	} {
		is := is.New(t)
		tok, err := answer(http.StatusOK, tc.body).Token()
		if tc.err != "" {
			is.True(err != nil) // tc.body
			is.True(strings.HasPrefix(err.Error(), "xano: login failed: HTTP 200: "+tc.err))
			continue
		}
		is.NoErr(err)                       // tc.body
		is.Equal(tok.AccessToken, tc.token) // the first non-empty string
	}
}

func TestAuthHeader(t *testing.T) {
	for _, name := range []string{xano.AuthorizationHeader, "x-xano-authorization", xano.AuthorizationOnlyHeader} {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			srv := xanotest.NewServer()
			defer srv.Close()
			cfg := sourcetest.Config[xano.Config](xanotest.Provider, srv)
			cfg.AuthHeader = name
			src := xano.NewSource(cfg)
			is.Equal(src.CredentialHeaders(), []string{"X-Xano-Authorization", "X-Xano-Authorization-Only"}) // before any login

			var sent http.Header
			base := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
				sent = r.Header.Clone()
				return http.DefaultTransport.RoundTrip(r)
			})
			status, body, err := me(t, srv, src, base)
			is.NoErr(err)
			is.Equal(status, http.StatusOK) // the fake read the token there
			is.Equal(body["email"], xanotest.Email)
			tok, err := src.Token()
			is.NoErr(err)
			_, has := sent["Authorization"]
			is.True(!has) // no Authorization at all
			is.Equal(sent.Values("X-Xano-Authorization"), []string{"Bearer " + tok.AccessToken})
			is.Equal(sent.Values("X-Xano-Authorization-Only"), []string{"true"})
			is.Equal(srv.Refused(), int64(0))
		})
	}

	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	is.Equal(xano.NewSource(sourcetest.Config[xano.Config](xanotest.Provider, srv)).CredentialHeaders(), []string{"Authorization"}) // by default
	cfg := sourcetest.Config[xano.Config](xanotest.Provider, srv)
	cfg.AuthHeader = "X-Forwarded-Token" // for a proxy that moves it
	is.Equal(xano.NewSource(cfg).CredentialHeaders(), []string{"X-Forwarded-Token"})
}

// TestAuthHeaderBehindProxy sends requests that carry the proxy's own
// Authorization through a proxy that checks it and passes it on to Xano,
// as nginx does by default.
func TestAuthHeaderBehindProxy(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	const proxyAuth = "Basic cHJveHk6cHJveHktcGFzcw=="
	var proxied atomic.Int64
	proxy := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") != proxyAuth {
			r.Body.Close()
			return &http.Response{StatusCode: http.StatusProxyAuthRequired, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
		}
		proxied.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})
	cfg := sourcetest.Config[xano.Config](xanotest.Provider, srv)
	cfg.AuthHeader = xano.AuthorizationHeader
	src := xano.NewSource(cfg)
	client := &http.Client{Transport: loginauth.NewTransport(src, proxy)}
	for range 3 {
		req, _ := http.NewRequest("GET", srv.BaseURL()+xano.MePath, nil)
		req.Header.Set("Authorization", proxyAuth)
		resp, err := client.Do(req)
		is.NoErr(err)
		resp.Body.Close()
		is.Equal(resp.StatusCode, http.StatusOK) // Xano ignored the proxy's Authorization
	}
	is.Equal(proxied.Load(), int64(3))
	is.Equal(srv.Logins(), int64(1))
	is.Equal(srv.Refused(), int64(0)) // never refused, never re-sent
	is.Equal(src.Stats().Retries, int64(0))
}

func TestAuthHeaderInvalid(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	cfg := sourcetest.Config[xano.Config](xanotest.Provider, srv)
	cfg.AuthHeader = "X-Xano Authorization"
	_, err := xano.NewSource(cfg).Token()
	is.True(err != nil)
	is.Equal(err.Error(), `xano: Config.AuthHeader "X-Xano Authorization" is not a header field name`)
	_, err = xano.Signup(context.Background(), cfg, "Zed")
	is.True(err != nil) // before anything is sent
	is.Equal(srv.Logins(), int64(0))
}

func TestErrorEmptyMessage(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	srv.InvalidCredentials = xanotest.Error{Status: http.StatusForbidden, Code: xanotest.CodeAccessDenied}
	cfg := sourcetest.Config[xano.Config](xanotest.Provider, srv)
	cfg.Password = "wrong-password-123"
	_, err := xano.NewSource(cfg).Token()
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.True(le.BadCredentials)
	is.Equal(le.Code, xanotest.CodeAccessDenied)
	is.Equal(le.Message, "")
	is.Equal(err.Error(), "xano: login failed (credentials refused): HTTP 403: ERROR_CODE_ACCESS_DENIED") // says the code
	is.True(!strings.Contains(err.Error(), `""`))                                                         // never an empty quote
}

func TestErrorFatalIsNotBadCredentials(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	// A login endpoint whose credentials check is a precondition without
	// an error type.
	srv.InvalidCredentials = xanotest.Error{Status: http.StatusInternalServerError, Code: xanotest.CodeFatal, Message: "Invalid Credentials.", Payload: ""}
	cfg := sourcetest.Config[xano.Config](xanotest.Provider, srv)
	cfg.Password = "wrong-password-123"
	_, err := xano.NewSource(cfg).Token()
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.True(!le.BadCredentials) // only ERROR_CODE_ACCESS_DENIED refuses the credentials
	is.Equal(le.Status, http.StatusInternalServerError)
	is.Equal(le.Code, xanotest.CodeFatal)
	var pe *xano.ParamError
	is.True(!errors.As(err, &pe)) // a payload "" holds no param
	is.Equal(err.Error(), `xano: login failed: HTTP 500: ERROR_FATAL: "Invalid Credentials."`)
}

func TestErrorParam(t *testing.T) {
	for _, top := range []bool{false, true} {
		t.Run(fmt.Sprint("TopLevelParam=", top), func(t *testing.T) {
			is := is.New(t)
			srv := xanotest.NewServer()
			defer srv.Close()
			srv.TopLevelParam = top
			cfg := sourcetest.Config[xano.Config](xanotest.Provider, srv)
			cfg.Email = "zed@example.test"
			_, err := xano.Signup(context.Background(), cfg, "") // no name
			var le *loginauth.LoginError
			is.True(errors.As(err, &le))
			is.Equal(le.Status, http.StatusBadRequest)
			is.Equal(le.Code, xanotest.CodeInputError)
			var pe *xano.ParamError
			is.True(errors.As(err, &pe)) // which input was wrong
			is.Equal(pe.Param, "name")
			is.Equal(err.Error(), `xano: signup failed: HTTP 400: ERROR_CODE_INPUT_ERROR: "Missing param: name": param "name"`)
		})
	}

	for _, tc := range []struct{ body, param string }{
		{`{"code":"ERROR_CODE_INPUT_ERROR","message":"Input does not meet minimum length requirement of 3 characters","payload":{"param":"q"}}`, "q"},
		{`{"code":"ERROR_CODE_INPUT_ERROR","message":"m","param":"email"}`, "email"},
		{`{"code":"ERROR_CODE_INPUT_ERROR","message":"m","payload":{"param":"email"},"param":"other"}`, "email"},
		{`{"code":"ERROR_CODE_INPUT_ERROR","message":"m","payload":"","param":"email"}`, "email"},
		{`{"code":"ERROR_CODE_INPUT_ERROR","message":"m","payload":{"param":5},"param":"email"}`, "email"},
		{`{"code":"ERROR_CODE_INPUT_ERROR","message":"m","payload":{"param":""}}`, ""},
		{`{"code":"ERROR_CODE_INPUT_ERROR","message":"m","payload":[{"param":"x"}],"param":7}`, ""},
		{`{"code":"ERROR_CODE_BAD_REQUEST","message":"m","payload":null}`, ""},
	} {
		t.Run(tc.body, func(t *testing.T) {
			is := is.New(t)
			_, err := answer(http.StatusBadRequest, tc.body).Token()
			var le *loginauth.LoginError
			is.True(errors.As(err, &le)) // the code and message are kept
			is.True(le.Code != "")
			is.True(le.Message != "")
			var pe *xano.ParamError
			if tc.param == "" {
				is.True(!errors.As(err, &pe)) // no param
				return
			}
			is.True(errors.As(err, &pe))
			is.Equal(pe.Param, tc.param) // payload.param first, then param
		})
	}
}

// TestRequestErrorNotRefusal answers requests whose token Xano accepted
// with the errors of an endpoint's own checks: none refuses the token, so
// none is re-sent, none makes the Source log in again, and the token
// stays in use.
func TestRequestErrorNotRefusal(t *testing.T) {
	for _, e := range []xanotest.Error{
		{Status: http.StatusForbidden, Code: xanotest.CodePermissionDenied, Message: "Permission denied."},
		{Status: http.StatusForbidden, Code: xanotest.CodeAccessDenied, Message: ""},
		{Status: http.StatusBadRequest, Code: xanotest.CodeBadRequest, Message: "Bad request."},
		{Status: http.StatusBadRequest, Code: xanotest.CodeInputError, Message: "Missing param: id", Payload: map[string]string{"param": "id"}},
		{Status: http.StatusInternalServerError, Code: xanotest.CodeFatal, Message: "Not numeric.", Payload: ""},
	} {
		t.Run(e.Code, func(t *testing.T) {
			is := is.New(t)
			srv := xanotest.NewServer()
			defer srv.Close()
			srv.RequestError = e
			src := xano.NewSource(sourcetest.Config[xano.Config](xanotest.Provider, srv))
			status, body, err := me(t, srv, src, nil)
			is.NoErr(err)
			is.Equal(status, e.Status) // handed to the caller
			is.Equal(body["code"], e.Code)
			is.Equal(srv.Requests(), int64(1)) // sent once
			is.Equal(srv.Logins(), int64(1))   // no login again
			is.Equal(src.Stats().Retries, int64(0))

			srv.RequestError = xanotest.Error{}
			status, _, err = me(t, srv, src, nil)
			is.NoErr(err)
			is.Equal(status, http.StatusOK)  // with the same token
			is.Equal(srv.Logins(), int64(1)) // it was not invalidated
		})
	}
}

// FuzzLoginResponse gives the login call of a fresh Source per input the
// fuzzed status, Content-Type and body; sourcetest.CheckLogin says what
// must hold. The seeds are the fake's real answers.
func FuzzLoginResponse(f *testing.F) {
	srv := xanotest.NewServer()
	defer srv.Close()
	rt := srv.Transport()
	url := srv.BaseURL() + xano.LoginPath
	login := `{"email":"` + xanotest.Email + `","password":"` + xanotest.Password + `"}`
	seeds := sourcetest.SeedFaults(f, srv, url, nil, login)
	seeds = append(seeds,
		sourcetest.Capture(f, rt, "POST", url, nil, `{"email":"`+xanotest.Email+`","password":"nope"}`), // 403 ACCESS_DENIED
		sourcetest.Capture(f, rt, "POST", url, nil, `{"email":"`+xanotest.Email+`"}`),                   // 400 missing param
		sourcetest.Capture(f, rt, "POST", url, nil, `{"email":`),                                        // 400 unparsable
	)
	sourcetest.FuzzLogin(f, "xano", seeds, func(hc *http.Client) *loginauth.Source {
		return xano.NewSource(xano.Config{BaseURL: "https://x.example/api:test", Email: "alice@example.test", Password: sourcetest.FuzzPassword, HTTPClient: hc, Options: sourcetest.FuzzOptions})
	}, sourcetest.FuzzPassword)
}

// TestStoreKeyKept checks that a token stored by an earlier version, under
// the key it wrote, is found: the keys below are what xano wrote before it
// became a description.
func TestStoreKeyKept(t *testing.T) {
	for _, base := range []string{"https://x1a2-b3c4.n7.xano.io/api:AbCdEfGh", "https://x1a2-b3c4.n7.xano.io/api:AbCdEfGh/"} {
		sourcetest.FindsStored(t, "xano https://x1a2-b3c4.n7.xano.io/api:AbCdEfGh alice@example.com", func(hc *http.Client, o loginauth.Options) *loginauth.Source {
			return xano.NewSource(xano.Config{BaseURL: base, Email: "alice@example.com", Password: "pw", HTTPClient: hc, Options: o})
		})
	}
}
