package jsonlogin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/jsonlogin"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/xano/xanotest"
)

// acmeSpec describes an API shaped like none of the built-in providers: a
// session header with a tenant from the login answer, a refresh, a
// refusal with status 440, and errors inside 200 answers.
const acmeSpec = `{
  "name": "acme",
  "base_url": "{{base_url}}",
  "vars": {
    "base_url":  {"env": "ACME_BASE_URL"},
    "username":  {"env": "ACME_USERNAME"},
    "password":  {"env": "ACME_PASSWORD", "secret": true},
    "client_id": {"env": "ACME_CLIENT_ID", "default": "cli-7"}
  },
  "login": {
    "method": "POST",
    "path": "/v2/session",
    "headers": {"X-Client-Id": "{{client_id}}"},
    "json": {"user": "{{username}}", "pass": "{{password}}", "remember": false}
  },
  "refresh": {"path": "/v2/session/renew", "json": {"refresh": "{{refresh_token}}"}},
  "token": "/data/session/token",
  "refresh_token": "/data/session/refresh",
  "expires_in": "/data/session/ttl",
  "extra": {"tenant": "/data/session/tenant"},
  "header": {
    "Authorization": "Session {{token}}",
    "X-Tenant": "{{extra.tenant}}",
    "X-Client-Id": "{{client_id}}"
  },
  "refused": {"status": [440]},
  "error": {"code": "/error/code", "message": "/error/message", "when": {"present": ["/error"]}},
  "bad_credentials": [{"status": [401]}, {"json": {"/error/code": ["BAD_LOGIN"]}}]
}`

// acme is a fake of the API that acmeSpec describes.
type acme struct {
	*httptest.Server
	logins, refreshes, refused, served atomic.Int64
	mu                                 sync.Mutex
	tokens                             map[string]bool // valid access tokens
	refresh                            map[string]bool // valid refresh tokens
	n                                  int
	tenant                             string // the tenant the login answer names
	password                           string
}

func newAcme(t *testing.T) *acme {
	a := &acme{tokens: map[string]bool{}, refresh: map[string]bool{}, tenant: "t-42", password: "hunter2!"}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/session", func(w http.ResponseWriter, r *http.Request) {
		a.logins.Add(1)
		var in struct {
			User     string `json:"user"`
			Pass     string `json:"pass"`
			Remember *bool  `json:"remember"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		if r.Header.Get("X-Client-Id") != "cli-7" || in.Remember == nil || *in.Remember {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error": {"code": "BAD_REQUEST", "message": "client id and remember are required"}}`)
			return
		}
		if in.User != "wile" || in.Pass != a.password {
			fmt.Fprint(w, `{"error": {"code": "BAD_LOGIN", "message": "wrong user name or password"}}`)
			return
		}
		a.answer(w, true)
	})
	mux.HandleFunc("POST /v2/session/renew", func(w http.ResponseWriter, r *http.Request) {
		a.refreshes.Add(1)
		var in struct{ Refresh string }
		json.NewDecoder(r.Body).Decode(&in)
		a.mu.Lock()
		ok := a.refresh[in.Refresh]
		a.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error": {"code": "BAD_REFRESH", "message": "unknown refresh token"}}`)
			return
		}
		a.answer(w, false) // a renewal names no tenant: the login's stays
	})
	mux.HandleFunc("GET /v2/things", func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Session ")
		a.mu.Lock()
		ok := a.tokens[tok]
		a.mu.Unlock()
		if !ok || r.Header.Get("X-Tenant") != "t-42" || r.Header.Get("X-Client-Id") != "cli-7" {
			a.refused.Add(1)
			w.WriteHeader(440)
			return
		}
		a.served.Add(1)
		fmt.Fprint(w, `{"things": []}`)
	})
	a.Server = httptest.NewServer(mux)
	t.Cleanup(a.Close)
	return a
}

// answer issues a new session.
func (a *acme) answer(w http.ResponseWriter, tenant bool) {
	a.mu.Lock()
	a.n++
	tok, ref := fmt.Sprintf("tok-%d", a.n), fmt.Sprintf("ref-%d", a.n)
	a.tokens[tok], a.refresh[ref] = true, true
	a.mu.Unlock()
	session := map[string]any{"token": tok, "refresh": ref, "ttl": "600"}
	if tenant {
		session["tenant"] = a.tenant
	}
	json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"session": session}})
}

// revoke makes every access token invalid; refresh tokens stay valid.
func (a *acme) revoke() {
	a.mu.Lock()
	clear(a.tokens)
	a.mu.Unlock()
}

func (a *acme) vars() map[string]string {
	return map[string]string{"base_url": a.URL, "username": "wile", "password": a.password}
}

func parse(t testing.TB, s string) *jsonlogin.Spec {
	t.Helper()
	spec, err := jsonlogin.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func get(c *http.Client, url string) (int, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// TestAcme drives an API shaped like none of the built-in providers: its
// custom header carries a value of the login answer, a 440 refuses the
// token, and a refresh renews it, keeping the login's tenant.
func TestAcme(t *testing.T) {
	is := is.New(t)
	a := newAcme(t)
	clock := loginauthtest.NewClock(loginauthtest.Epoch)
	src := parse(t, acmeSpec).NewSource(a.vars(), loginauth.Options{Now: clock.Now})
	c := &http.Client{Transport: loginauth.NewTransport(src, nil)}

	status, err := get(c, a.URL+"/v2/things")
	is.NoErr(err)
	is.Equal(status, http.StatusOK) // the session header, tenant and client id were accepted
	tok, err := src.Token()
	is.NoErr(err)
	is.Equal(tok.Expiry, loginauthtest.Epoch.Add(600*time.Second)) // expires_in as a numeric string
	is.Equal(tok.RefreshToken, "ref-1")                            // refresh_token read
	is.Equal(src.CredentialHeaders(), []string{"Authorization", "X-Client-Id", "X-Tenant"})

	a.revoke()
	status, err = get(c, a.URL+"/v2/things")
	is.NoErr(err)
	is.Equal(status, http.StatusOK)        // the 440 was taken as a refusal, and the request re-sent
	is.Equal(a.refused.Load(), int64(1))   // once refused
	is.Equal(a.refreshes.Load(), int64(1)) // renewed with the refresh token
	is.Equal(a.logins.Load(), int64(1))    // not with a login
	tok, err = src.Token()
	is.NoErr(err)
	is.Equal(tok.Extra("tenant"), "t-42") // the refresh answer had no tenant: the login's stays
}

// TestAcmeErrorInside200 checks that a 200 answer that matches error.when
// fails the login with the answer's code and message, and that
// bad_credentials marks it.
func TestAcmeErrorInside200(t *testing.T) {
	is := is.New(t)
	a := newAcme(t)
	vars := a.vars()
	vars["password"] = "wrong-password"
	_, err := parse(t, acmeSpec).NewSource(vars, loginauth.Options{}).Token()
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))   // a LoginError
	is.Equal(le.Status, 200)       // inside a 200 answer
	is.Equal(le.Code, "BAD_LOGIN") // error.code
	is.Equal(le.Message, "wrong user name or password")
	is.True(le.BadCredentials)                                                          // bad_credentials matched
	is.True(strings.HasPrefix(err.Error(), "acme: login failed (credentials refused)")) // named by the description
}

// TestAcmeNotBadCredentials checks that a failed login that
// bad_credentials does not match is an ordinary failure.
func TestAcmeNotBadCredentials(t *testing.T) {
	is := is.New(t)
	a := newAcme(t)
	vars := a.vars()
	vars["client_id"] = "other" // the fake answers 400 BAD_REQUEST
	_, err := parse(t, acmeSpec).NewSource(vars, loginauth.Options{}).Token()
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.Equal(le.Code, "BAD_REQUEST")
	is.True(!le.BadCredentials) // a 400 is not wrong credentials
}

// TestNewSourceMissingVariables checks that a Source without a required
// variable fails every call with an error that names it, and never
// reaches the server.
func TestNewSourceMissingVariables(t *testing.T) {
	is := is.New(t)
	a := newAcme(t)
	spec := parse(t, acmeSpec)
	src := spec.NewSource(map[string]string{"base_url": a.URL, "password": ""}, loginauth.Options{})
	_, err := src.Token()
	is.True(err != nil)
	is.Equal(err.Error(), `acme: variables "password" (ACME_PASSWORD), "username" (ACME_USERNAME) are required`)
	is.True(!errors.Is(err, loginauth.ErrNoCredentials)) // the account itself is missing
	onlySecret := a.vars()
	delete(onlySecret, "password")
	_, err = spec.NewSource(onlySecret, loginauth.Options{}).Token()
	is.Equal(err.Error(), `acme: variable "password" (ACME_PASSWORD) is required`)
	is.True(errors.Is(err, loginauth.ErrNoCredentials)) // only the secret: a stored token would do
	c := &http.Client{Transport: loginauth.NewTransport(src, nil)}
	_, err = get(c, a.URL+"/v2/things")
	is.True(err != nil && strings.Contains(err.Error(), `"username" (ACME_USERNAME)`)) // the Transport says so too
	is.Equal(a.logins.Load()+a.served.Load()+a.refused.Load(), int64(0))               // the server never heard of it

	vars := a.vars()
	vars["pasword"] = "x"
	_, err = spec.NewSource(vars, loginauth.Options{}).Token()
	is.True(err != nil && strings.Contains(err.Error(), `variable "pasword" is not declared`)) // a typo is caught
}

// TestUnusedVariableOptional checks that a declared variable that no
// template names is optional: a Source logs in without it, and Vars
// says so.
func TestUnusedVariableOptional(t *testing.T) {
	is := is.New(t)
	const desc = `{"base_url": "https://api.example.com",
	  "vars": {"user": {}, "password": {"secret": true}, "client_id": {"env": "ACME_CLIENT_ID"}},
	  "login": {"path": "/login", "json": {"user": "{{user}}", "pass": "{{password}}"}}, "token": "/token"}`
	var logins atomic.Int64
	_, err := loginWith(t, desc, map[string]string{"user": "u", "password": "pw"}, func(w http.ResponseWriter, r *http.Request) {
		logins.Add(1)
		fmt.Fprint(w, `{"token": "t"}`)
	})
	is.NoErr(err)                     // client_id, which no template names, is not required
	is.Equal(logins.Load(), int64(1)) // the login was sent
	vars := parse(t, desc).Vars()
	is.Equal(vars[0], jsonlogin.Var{Name: "client_id", Env: "ACME_CLIENT_ID", Unused: true})
	is.True(!vars[1].Unused && !vars[2].Unused) // password and user are named
	_, err = loginWith(t, desc, map[string]string{"password": "pw"}, func(w http.ResponseWriter, r *http.Request) {})
	is.True(err != nil && strings.Contains(err.Error(), `variable "user" is required`)) // a named variable still is
}

// TestNewSourceNotParsed checks that a Spec not made by Parse gives a
// Source that fails, rather than a panic.
func TestNewSourceNotParsed(t *testing.T) {
	is := is.New(t)
	_, err := new(jsonlogin.Spec).NewSource(nil, loginauth.Options{}).Token()
	is.True(err != nil && strings.Contains(err.Error(), "not made by Parse"))
}

// TestLoginURLOtherOrigin logs in at another origin, an identity host
// named by login.url: the password goes there, but the credentials
// header goes only to base_url's origin and the declared origins.
func TestLoginURLOtherOrigin(t *testing.T) {
	is := is.New(t)
	var leaked atomic.Int64
	var logins atomic.Int64
	id := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		if r.URL.Path == "/oauth/login" {
			logins.Add(1)
			fmt.Fprint(w, `{"access": "tok-1"}`)
		}
	}))
	defer id.Close()
	var seen atomic.Value
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization"))
	}))
	defer api.Close()
	spec := parse(t, `{
	  "base_url": "{{api}}",
	  "vars": {"api": {}, "id": {}, "password": {"secret": true}},
	  "login": {"url": "{{id}}/oauth/login", "form": {"password": "{{password}}"}},
	  "token": "/access"
	}`)
	src := spec.NewSource(map[string]string{"api": api.URL, "id": id.URL, "password": "pw"}, loginauth.Options{})
	c := &http.Client{Transport: loginauth.NewTransport(src, nil)}
	_, err := get(c, api.URL+"/x")
	is.NoErr(err)
	is.Equal(logins.Load(), int64(1))     // logged in at the identity host
	is.Equal(seen.Load(), "Bearer tok-1") // the API got the token (the default header)
	_, err = get(c, id.URL+"/profile")
	is.NoErr(err)
	is.Equal(leaked.Load(), int64(0)) // the identity host never got the credentials header
}

// TestPlainHTTP checks that a description cannot make a Source send a
// password over plain http to a host that is not loopback, at base_url
// or at a login url, unless allow_http (or Options.AllowHTTP) says so.
func TestPlainHTTP(t *testing.T) {
	var sent atomic.Int64
	hc := &http.Client{Transport: loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"t":"x"}`)), Request: r}, nil
	})}
	for _, tc := range []struct {
		name, spec string
		opts       loginauth.Options
		want       string // "" means the login goes ahead
	}{
		{"BaseURL", `{"base_url": "http://api.example.com", "login": {"path": "/login"}, "token": "/t"}`, loginauth.Options{}, "clear text"},
		{"LoginURL", `{"base_url": "https://api.example.com", "login": {"url": "http://id.example.com/login"}, "token": "/t"}`, loginauth.Options{}, "the login URL is plain http to id.example.com"},
		{"RefreshURL", `{"base_url": "https://api.example.com", "login": {"path": "/l"}, "refresh": {"url": "http://id.example.com/r"}, "token": "/t", "refresh_token": "/r"}`, loginauth.Options{}, "the refresh URL is plain http"},
		{"AllowHTTP", `{"base_url": "http://api.example.com", "login": {"url": "http://id.example.com/login"}, "token": "/t", "allow_http": true}`, loginauth.Options{}, ""},
		{"OptionsAllowHTTP", `{"base_url": "http://api.example.com", "login": {"url": "http://id.example.com/login"}, "token": "/t"}`, loginauth.Options{AllowHTTP: true}, ""},
		{"Loopback", `{"base_url": "http://127.0.0.1:1", "login": {"url": "http://localhost:2/login"}, "token": "/t"}`, loginauth.Options{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			sent.Store(0)
			spec := parse(t, tc.spec)
			spec.HTTPClient = hc
			_, err := spec.NewSource(nil, tc.opts).Token()
			if tc.want == "" {
				is.NoErr(err)
				is.Equal(sent.Load(), int64(1)) // logged in
				return
			}
			is.True(err != nil && strings.Contains(err.Error(), tc.want)) // refused, saying why
			is.Equal(sent.Load(), int64(0))                               // nothing was sent
		})
	}
}

// TestOptionsWin checks that a non-zero Options.Lifetime wins over the
// description's lifetime, and that the description's applies otherwise.
func TestOptionsWin(t *testing.T) {
	is := is.New(t)
	hc := &http.Client{Transport: loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"t":"opaque"}`)), Request: r}, nil
	})}
	spec := parse(t, `{"base_url": "https://api.example.com", "login": {"path": "/l"}, "token": "/t", "lifetime": "2h"}`)
	spec.HTTPClient = hc
	clock := loginauthtest.NewClock(loginauthtest.Epoch)
	tok, err := spec.NewSource(nil, loginauth.Options{Now: clock.Now}).Token()
	is.NoErr(err)
	is.Equal(tok.Expiry, loginauthtest.Epoch.Add(2*time.Hour)) // the description's lifetime
	tok, err = spec.NewSource(nil, loginauth.Options{Now: clock.Now, Lifetime: time.Minute}).Token()
	is.NoErr(err)
	is.Equal(tok.Expiry, loginauthtest.Epoch.Add(time.Minute)) // Options.Lifetime wins
}

// TestSecretNeverStored checks that the values of secret variables are
// never stored: a server that echoes the password into a field that
// extra keeps fails the login, and the Store holds nothing.
func TestSecretNeverStored(t *testing.T) {
	is := is.New(t)
	const password = "s3cret-value"
	hc := &http.Client{Transport: loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		body := `{"t": "tok", "who": {"name": "wile", "note": "logged in with s3cret-value"}}`
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})}
	spec := parse(t, `{
	  "base_url": "https://api.example.com",
	  "vars": {"password": {"secret": true}},
	  "login": {"path": "/l", "json": {"p": "{{password}}"}},
	  "token": "/t",
	  "extra": {"who": "/who"}
	}`)
	spec.HTTPClient = hc
	store := &loginauth.MemoryStore{}
	_, err := spec.NewSource(map[string]string{"password": password}, loginauth.Options{Store: store}).Token()
	is.True(err != nil && strings.Contains(err.Error(), "extra.who")) // the echo is refused, by field
	is.True(!strings.Contains(err.Error(), password))                 // and the error does not hold it
	b, _ := store.Load(context.Background(), "jsonlogin jsonlogin https://api.example.com")
	is.True(b == nil) // nothing stored
}

// TestHostileAnswers sends the Xano description against its fake's
// faults: the answers are read through the same 1 MiB limit, and get the
// same clear errors, as the built-in providers'.
func TestHostileAnswers(t *testing.T) {
	spec := load(t, "xano")
	for _, tc := range []struct {
		fault loginauthtest.Fault
		want  []string
	}{
		{loginauthtest.Fault500, []string{"HTTP 500"}},
		{loginauthtest.FaultHTML502, []string{"HTTP 502", "an HTML page"}},
		{loginauthtest.FaultMalformedJSON, []string{"not valid JSON", "read 6 bytes"}},
		{loginauthtest.FaultEmptyBody, []string{"response body is empty"}},
		{loginauthtest.FaultNoToken, []string{`response has no token at "/authToken" or at "/auth_token" or at "/token"`}},
		{loginauthtest.FaultBadCredentials, []string{"(credentials refused)", "ERROR_CODE_ACCESS_DENIED"}},
		{loginauthtest.FaultHuge, []string{"exceeds 1048576 bytes"}},
		{loginauthtest.FaultDropConnection, []string{"reading response", "unexpected EOF"}},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			is := is.New(t)
			f := xanotest.NewServer()
			defer f.Close()
			f.SetFault(tc.fault)
			src := spec.NewSource(map[string]string{"base_url": f.BaseURL(), "email": xanotest.Email, "password": xanotest.Password}, loginauth.Options{})
			_, err := src.Token()
			is.True(err != nil)
			var le *loginauth.LoginError
			is.True(errors.As(err, &le))                                  // a LoginError, whatever the fault
			is.True(strings.HasPrefix(err.Error(), "xano: login failed")) // named by the description
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestAcmeRefusedRefreshThenLoginIsOneIncident refuses a refresh with a
// 401, the answer that bad_credentials matches, and starts callers after that failure
// and before the fallback login returns: they join the login and get its
// token, and the fake sees one login, with no backoff in between.
func TestAcmeRefusedRefreshThenLoginIsOneIncident(t *testing.T) {
	a := newAcme(t)
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		gate := make(chan struct{})
		var gated atomic.Bool
		handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v2/session" && gated.Load() {
				<-gate
			}
			a.Config.Handler.ServeHTTP(w, r)
		})
		spec := parse(t, acmeSpec)
		spec.HTTPClient = &http.Client{Transport: loginauthtest.HandlerTransport{Handler: handler}}
		refused := make(chan struct{})
		var refusal *loginauth.LoginError
		clock := loginauthtest.NewClock(loginauthtest.Epoch)
		src := spec.NewSource(a.vars(), loginauth.Options{Now: clock.Now, EarlyRefresh: -1, OnEvent: func(ev loginauth.Event) {
			if ev.Kind == loginauth.EventFailure && ev.Op == "refresh" {
				errors.As(ev.Err, &refusal)
				close(refused)
			}
		}})
		_, err := src.Token()
		is.NoErr(err)
		a.mu.Lock()
		clear(a.refresh) // the server forgets its refresh tokens
		a.mu.Unlock()
		gated.Store(true)
		clock.Advance(time.Hour) // past the 600 s expiry

		first := make(chan error, 1)
		go func() { _, err := src.Token(); first <- err }()
		<-refused                                        // the refresh was refused
		synctest.Wait()                                  // and the login waits at the gate
		is.True(refusal != nil && refusal.Status == 401) // by the answer that bad_credentials matches
		const n = 20
		var wg sync.WaitGroup
		var got atomic.Int64
		for range n {
			wg.Go(func() {
				if tok, err := src.Token(); err == nil && tok.AccessToken == "tok-2" {
					got.Add(1)
				}
			})
		}
		synctest.Wait() // every late caller waits for the login
		close(gate)
		wg.Wait()
		is.NoErr(<-first)
		is.Equal(got.Load(), int64(n))         // every caller got the login's token
		is.Equal(a.logins.Load(), int64(2))    // one login after the first
		is.Equal(a.refreshes.Load(), int64(1)) // after one refresh
	})
}
