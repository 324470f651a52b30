package jsonlogin_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/jsonlogin"
	"github.com/loginauth/loginauth/loginauthtest"
)

// A login whose session is a cookie, as qBittorrent's: the answer is the
// text "Ok." with Set-Cookie, maybe on a redirect, which the login call
// does not follow. The token is the cookie's value and its expiry the
// cookie's Max-Age; here the header field Cookie carries it back.
func Example_cookie() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v2/auth/login" {
			http.SetCookie(w, &http.Cookie{Name: "SID", Value: "sid-1", MaxAge: 3600, HttpOnly: true})
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		fmt.Fprintln(w, "Cookie:", r.Header.Get("Cookie"))
	}))
	defer srv.Close()
	spec, err := jsonlogin.Parse([]byte(`{
	  "$comment": "qBittorrent WebUI API: POST /api/v2/auth/login answers Ok. and sets SID",
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}, "username": {}, "password": {"secret": true}},
	  "login": {"path": "/api/v2/auth/login", "form": {"username": "{{username}}", "password": "{{password}}"}},
	  "token": {"cookie": "SID"},
	  "expires_at": {"cookie_expires": "SID"},
	  "header": {"Cookie": "SID={{token}}"}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	clock := loginauthtest.NewClock(loginauthtest.Epoch)
	src := spec.NewSource(map[string]string{"base_url": srv.URL, "username": "admin", "password": "pw"}, loginauth.Options{Now: clock.Now})
	show(&http.Client{Transport: loginauth.NewTransport(src, nil)}, srv.URL+"/api/v2/app/version")
	tok, _ := src.Token()
	fmt.Println("expires:", tok.Expiry.UTC())
	// Output:
	// Cookie: SID=sid-1
	// expires: 2026-01-02 04:04:05 +0000 UTC
}

// HTTP Basic credentials on the login, as Verdaccio's, and a lifetime in
// milliseconds, as Directus's expires. The encoded credentials are a
// secret: they never appear in an error.
func Example_basic() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		if pass != "hunter2" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error": "no user with %s"}`, r.Header.Get("Authorization"))
			return
		}
		fmt.Fprintf(w, `{"token": "tok-%s", "expires": 900000}`, user)
	}))
	defer srv.Close()
	spec, _ := jsonlogin.Parse([]byte(`{
	  "name": "registry",
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}, "username": {}, "password": {"secret": true}},
	  "login": {"method": "GET", "path": "/-/whoami", "basic": {"username": "{{username}}", "password": "{{password}}"}},
	  "token": "/token",
	  "expires_in": "/expires",
	  "expires_in_unit": "ms",
	  "error": {"message": "/error"}
	}`))
	clock := loginauthtest.NewClock(loginauthtest.Epoch)
	for _, pass := range []string{"hunter2", "wrong"} {
		src := spec.NewSource(map[string]string{"base_url": srv.URL, "username": "wile", "password": pass}, loginauth.Options{Now: clock.Now})
		tok, err := src.Token()
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(tok.AccessToken, tok.Expiry.UTC())
	}
	// Output:
	// tok-wile 2026-01-02 03:19:05 +0000 UTC
	// registry: login failed (credentials refused): HTTP 401: "no user with Basic [redacted]"
}

// A value is escaped for the part of the URL where the description puts
// it, so that no user name or password can add a query parameter or cut
// the URL at "#". A variable that is the whole base_url holds a URL, and
// is inserted as it is. The token is the first of the places listed that
// holds one: here the header field X-Session, as the body has none.
func Example_escaping() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.URL.EscapedPath(), r.URL.Query())
		w.Header().Set("X-Session", "sid-1")
		fmt.Fprint(w, `{"data": {}}`)
	}))
	defer srv.Close()
	spec, _ := jsonlogin.Parse([]byte(`{
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}, "username": {}, "password": {"secret": true}},
	  "login": {"method": "GET", "path": "/webapi/{{username}}/auth.cgi?account={{username}}&passwd={{password}}"},
	  "token": ["/data/sid", {"header": "X-Session"}]
	}`))
	src := spec.NewSource(map[string]string{"base_url": srv.URL, "username": "a&b/c", "password": "p+w&x=1#y"}, loginauth.Options{})
	tok, err := src.Token()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.AccessToken)
	// Output:
	// /webapi/a&b%2Fc/auth.cgi map[account:[a&b/c] passwd:[p+w&x=1#y]]
	// sid-1
}
