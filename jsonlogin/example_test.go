package jsonlogin_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/jsonlogin"
	"github.com/loginauth/loginauth/loginauthtest"
)

// server is a small API for the examples: POST /login answers the login
// answer, GET /me echoes the header fields it got.
func server(answer string, status int) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Got", r.Header.Get("Content-Type")+" "+string(body))
			w.WriteHeader(status)
			fmt.Fprint(w, answer)
			return
		}
		for _, k := range []string{"Authorization", "X-Tenant", "X-Api-Key"} {
			if v := r.Header.Get(k); v != "" {
				fmt.Fprintf(w, "%s: %s\n", k, v)
			}
		}
	}))
}

func show(c *http.Client, url string) {
	resp, err := c.Get(url)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Print(string(b))
}

// A description of an API with a custom header: the token after
// "Session", and a value of the login answer in a field of its own.
func Example() {
	srv := server(`{"data": {"token": "tok-1", "tenant": "t-42"}}`, 200)
	defer srv.Close()
	spec, err := jsonlogin.Parse([]byte(`{
	  "name": "acme",
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}, "username": {}, "password": {"secret": true}},
	  "login": {"path": "/login", "json": {"user": "{{username}}", "pass": "{{password}}"}},
	  "token": "/data/token",
	  "extra": {"tenant": "/data/tenant"},
	  "header": {"Authorization": "Session {{token}}", "X-Tenant": "{{extra.tenant}}"}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	src := spec.NewSource(map[string]string{"base_url": srv.URL, "username": "wile", "password": "hunter2"}, loginauth.Options{})
	show(&http.Client{Transport: loginauth.NewTransport(src, nil)}, srv.URL+"/me")
	// Output:
	// Authorization: Session tok-1
	// X-Tenant: t-42
}

// Parse names the field of a mistake by its path.
func ExampleParse() {
	_, err := jsonlogin.Parse([]byte(`{
	  "base_url": "https://api.example.com",
	  "vars": {"password": {"secret": true}},
	  "login": {"path": "/login", "json": {"pass": "{{pasword}}"}},
	  "token": "/token"
	}`))
	fmt.Println(err)
	_, err = jsonlogin.Parse([]byte(`{"base_url": "https://api.example.com", "login": {"path": "/login", "metod": "GET"}, "token": "/token"}`))
	fmt.Println(err)
	// Output:
	// jsonlogin: login.json.pass: template names undeclared variable "pasword"
	// jsonlogin: login.metod: unknown field
}

// A variable without a value or a default makes every call of the Source
// fail with an error that names it, and the environment variable that a
// command would read it from.
func ExampleSpec_NewSource_missingVariable() {
	spec, _ := jsonlogin.Parse([]byte(`{
	  "name": "acme",
	  "base_url": "https://api.example.com",
	  "vars": {"password": {"env": "ACME_PASSWORD", "secret": true}, "client": {"default": "cli-7"}},
	  "login": {"path": "/login", "json": {"pass": "{{password}}", "client": "{{client}}"}},
	  "token": "/token"
	}`))
	_, err := spec.NewSource(nil, loginauth.Options{}).Token()
	fmt.Println(err)
	// Output:
	// acme: variable "password" (ACME_PASSWORD) is required
}

// A form body, with the Content-Type it implies, and a fixed header field
// from a secret variable: an API key sent on every request.
func ExampleParse_form() {
	srv := server(`{"access_token": "tok-1"}`, 200)
	defer srv.Close()
	spec, _ := jsonlogin.Parse([]byte(`{
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}, "password": {"secret": true}, "key": {"secret": true}},
	  "login": {"path": "/login", "form": {"grant_type": "password", "password": "{{password}}"}},
	  "token": "/access_token",
	  "header": {"Authorization": "Bearer {{token}}", "X-Api-Key": "{{key}}"}
	}`))
	var got string
	spec.HTTPClient = &http.Client{Transport: loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && r.URL.Path == "/login" {
			got = resp.Header.Get("X-Got")
		}
		return resp, err
	})}
	src := spec.NewSource(map[string]string{"base_url": srv.URL, "password": "pw", "key": "k-1"}, loginauth.Options{})
	show(&http.Client{Transport: loginauth.NewTransport(src, nil)}, srv.URL+"/me")
	fmt.Println(got)
	// Output:
	// Authorization: Bearer tok-1
	// X-Api-Key: k-1
	// application/x-www-form-urlencoded grant_type=password&password=pw
}

// An error inside a 200 answer, found by error.when, with the code and
// message that error.code and error.message point at; bad_credentials
// marks wrong credentials, which wait the longest backoff.
func ExampleParse_errorInside200() {
	srv := server(`{"error": {"code": "E_LOGIN", "message": "Invalid credentials"}}`, 200)
	defer srv.Close()
	spec, _ := jsonlogin.Parse([]byte(`{
	  "name": "pay",
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}},
	  "login": {"path": "/login"},
	  "token": "/data/token",
	  "error": {"code": "/error/code", "message": "/error/message", "when": {"present": ["/error"]}},
	  "bad_credentials": {"json": {"/error/message": ["invalid credentials"]}}
	}`))
	_, err := spec.NewSource(map[string]string{"base_url": srv.URL}, loginauth.Options{}).Token()
	var le *loginauth.LoginError
	fmt.Println(errors.As(err, &le), le.Code, le.BadCredentials)
	fmt.Println(err)
	// Output:
	// true E_LOGIN true
	// pay: login failed (credentials refused): HTTP 200: E_LOGIN: "Invalid credentials"
}

// The expiry comes from expires_at in milliseconds; expires_in (seconds
// from now, a number or a numeric string) and expires_at_unit "s" and
// "rfc3339" work the same way.
func ExampleParse_expiry() {
	srv := server(`{"token": "tok-1", "expiresAt": 1767323045000}`, 200)
	defer srv.Close()
	spec, _ := jsonlogin.Parse([]byte(`{
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}},
	  "login": {"path": "/login"},
	  "token": "/token",
	  "expires_at": "/expiresAt",
	  "expires_at_unit": "ms"
	}`))
	clock := loginauthtest.NewClock(loginauthtest.Epoch.Add(-time.Hour))
	tok, err := spec.NewSource(map[string]string{"base_url": srv.URL}, loginauth.Options{Now: clock.Now}).Token()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Expiry.UTC())
	// Output:
	// 2026-01-02 03:04:05 +0000 UTC
}

// Rules: a refusal is a 401, or a 200 whose error message is one of
// these, compared whole and ignoring case. The Transport logs in again
// and re-sends the request once.
func ExampleParse_rules() {
	var logins atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			fmt.Fprintf(w, `{"token": "tok-%d"}`, logins.Add(1))
			return
		}
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"error": {"message": "JWT expired"}}`)
			return
		}
		fmt.Fprintln(w, "served with", r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	spec, _ := jsonlogin.Parse([]byte(`{
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}},
	  "login": {"path": "/login"},
	  "token": "/token",
	  "refused": [{"status": [401]}, {"status": [200], "json": {"/error/message": ["jwt expired", "invalid token"]}}]
	}`))
	src := spec.NewSource(map[string]string{"base_url": srv.URL}, loginauth.Options{})
	show(&http.Client{Transport: loginauth.NewTransport(src, nil)}, srv.URL+"/me")
	fmt.Println("logins:", logins.Load())
	// Output:
	// served with Bearer tok-2
	// logins: 2
}

// A Go provider's Config that changes its description: the token read
// from the field the caller names, carried in another header, under the
// store key of tokens the provider kept before.
func ExampleSpec_With() {
	srv := server(`{"auth": "tok-1", "token": "other"}`, 200)
	defer srv.Close()
	spec, _ := jsonlogin.Parse([]byte(`{
	  "name": "acme",
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}, "password": {"secret": true}},
	  "login": {"path": "/login", "json": {"pass": "{{password}}"}},
	  "token": "/token"
	}`))
	spec, err := spec.With(jsonlogin.Overrides{
		Token:    []string{"/auth"},
		Header:   map[string]string{"X-Api-Key": "Bearer {{token}}"},
		StoreKey: "acme " + srv.URL,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	src := spec.NewSource(map[string]string{"base_url": srv.URL, "password": "pw"}, loginauth.Options{})
	show(&http.Client{Transport: loginauth.NewTransport(src, nil)}, srv.URL+"/me")
	// Output:
	// X-Api-Key: Bearer tok-1
}
