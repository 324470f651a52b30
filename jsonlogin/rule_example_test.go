package jsonlogin_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/jsonlogin"
)

// A refusal that is a redirect to the login page, as a web application
// answers a session that has ended: a 302 whose Location goes to /login.
// The Transport sees that hop before the client would follow it, logs in
// again and re-sends the request once.
func ExampleParse_redirectToLogin() {
	var logins atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/login":
			fmt.Fprintf(w, `{"token": "tok-%d"}`, logins.Add(1))
		case r.Header.Get("Authorization") != "Bearer tok-2": // the first session has ended
			http.Redirect(w, r, "/login?next="+r.URL.Path, http.StatusFound)
		default:
			fmt.Fprintln(w, "served with", r.Header.Get("Authorization"))
		}
	}))
	defer srv.Close()
	spec, err := jsonlogin.Parse([]byte(`{
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}},
	  "login": {"path": "/api/login"},
	  "token": "/token",
	  "refused": [{"status": [401]}, {"status": [302, 303], "header": {"Location": [{"contains": "/login"}]}}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	src := spec.NewSource(map[string]string{"base_url": srv.URL}, loginauth.Options{})
	show(&http.Client{Transport: loginauth.NewTransport(src, nil)}, srv.URL+"/me")
	fmt.Println("logins:", logins.Load())
	// Output:
	// served with Bearer tok-2
	// logins: 2
}

// Matchers: a 403 is a refusal when its message contains "token", unless
// its code says that the user lacks a permission, which a new login would
// not change.
func ExampleParse_matchers() {
	var logins atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/login":
			fmt.Fprintf(w, `{"token": "tok-%d"}`, logins.Add(1))
		case r.URL.Path == "/admin":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message": "Your token lacks a permission", "messageKey": "NOT_AUTHORIZED"}`)
		case r.Header.Get("Authorization") == "Bearer tok-1":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message": "The incoming token has expired"}`)
		}
	}))
	defer srv.Close()
	spec, err := jsonlogin.Parse([]byte(`{
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}},
	  "login": {"path": "/login"},
	  "token": "/token",
	  "refused": [
	    {"status": [401]},
	    {"status": [403], "json": {"/message": [{"contains": "token"}]},
	     "not": {"json": {"/messageKey": ["NOT_AUTHORIZED"]}}}
	  ]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	src := spec.NewSource(map[string]string{"base_url": srv.URL}, loginauth.Options{})
	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
	for _, path := range []string{"/report", "/admin"} {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			fmt.Println(err)
			continue
		}
		resp.Body.Close()
		fmt.Println(path, resp.StatusCode, "logins:", logins.Load())
	}
	// Output:
	// /report 200 logins: 2
	// /admin 403 logins: 2
}
