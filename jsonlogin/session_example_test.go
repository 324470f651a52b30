package jsonlogin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/jsonlogin"
	"github.com/loginauth/loginauth/loginauthtest"
)

// A session that travels in a cookie, as qBittorrent's does: the cookie
// is merged with the ones the client's cookie jar holds, and a logout
// request ends the session at the API.
func ExampleParse_cookieSession() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			fmt.Fprint(w, `{"sid": "s-1"}`)
		case "/logout":
			fmt.Println("logout with", r.Header.Get("Cookie"))
		default:
			fmt.Fprint(w, r.Header.Get("Cookie"))
		}
	}))
	defer srv.Close()
	spec, err := jsonlogin.Parse([]byte(`{
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}, "username": {}, "password": {"secret": true}},
	  "login": {"path": "/login", "json": {"user": "{{username}}", "pass": "{{password}}"}},
	  "token": "/sid",
	  "cookie": {"SID": "{{token}}"},
	  "refused": {"status": [403]},
	  "logout": {"path": "/logout", "headers": {"Cookie": "SID={{token}}"}}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	src := spec.NewSource(map[string]string{"base_url": srv.URL, "username": "admin", "password": "hunter2"}, loginauth.Options{})
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "theme", Value: "dark"}, {Name: "SID", Value: "old"}})
	show(&http.Client{Transport: loginauth.NewTransport(src, nil), Jar: jar}, srv.URL+"/api/v2/app/version")
	fmt.Println()
	fmt.Println(src.CredentialHeaders(), src.CredentialCookies())
	if err := src.Logout(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// theme=dark; SID=s-1
	// [Cookie] [SID]
	// logout with SID=s-1
}

// A refresh that sends the current token, as PocketBase's auth-refresh
// does: it is tried while the token is still valid, and needs no refresh
// token. Here the token lives an hour, and the clock jumps into its last
// minute, when a refresh starts in the background.
func ExampleParse_refreshWithCurrentToken() {
	var n atomic.Int64
	auth := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/auth-refresh") {
			auth <- r.Header.Get("Authorization")
		}
		fmt.Fprintf(w, `{"token": "tok-%d"}`, n.Add(1))
	}))
	defer srv.Close()
	spec, _ := jsonlogin.Parse([]byte(`{
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}, "username": {}, "password": {"secret": true}},
	  "login": {"path": "/api/collections/users/auth-with-password", "json": {"identity": "{{username}}", "password": "{{password}}"}},
	  "refresh": {"path": "/api/collections/users/auth-refresh", "headers": {"Authorization": "{{token}}"}, "needs_valid_token": true},
	  "token": "/token",
	  "header": {"Authorization": "{{token}}"},
	  "lifetime": "1h"
	}`))
	clock := loginauthtest.NewClock(time.Now())
	refreshed := make(chan struct{})
	opts := loginauth.Options{Now: clock.Now, OnEvent: func(ev loginauth.Event) {
		if ev.Kind == loginauth.EventRefresh {
			close(refreshed)
		}
	}}
	src := spec.NewSource(map[string]string{"base_url": srv.URL, "username": "ann@example.com", "password": "hunter2"}, opts)
	tok, _ := src.Token()
	fmt.Println(tok.AccessToken)
	clock.Advance(59*time.Minute + 30*time.Second) // in the last minute: a refresh starts, the valid token is served meanwhile
	tok, _ = src.Token()
	fmt.Println(tok.AccessToken)
	<-refreshed
	fmt.Println("refreshed with Authorization:", <-auth)
	tok, _ = src.Token()
	fmt.Println(tok.AccessToken)
	// Output:
	// tok-1
	// tok-1
	// refreshed with Authorization: tok-1
	// tok-2
}
