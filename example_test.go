package loginauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"expvar"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"

	"github.com/loginauth/loginauth"
	"golang.org/x/oauth2"
)

// An API that hands out a token from POST /login and wants it back as
// "Authorization: Token <t>".
func Example() {
	var logins atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			logins.Add(1)
			json.NewEncoder(w).Encode(map[string]string{"token": "t1"})
		case "/hello":
			if r.Header.Get("Authorization") != "Token t1" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, "hello, authenticated caller")
		}
	}))
	defer api.Close()

	src := loginauth.New(loginauth.Config{
		Provider: "example",
		Origins:  []string{api.URL},
		Scheme:   loginauth.TokenScheme,
		Login: func(ctx context.Context) (*oauth2.Token, error) {
			req, _ := http.NewRequestWithContext(ctx, "POST", api.URL+"/login", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			var body struct{ Token string }
			if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
				return nil, err
			}
			return &oauth2.Token{AccessToken: body.Token}, nil
		},
	})
	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}

	// Ten requests at once share one login.
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get(api.URL + "/hello")
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()

	resp, err := client.Get(api.URL + "/hello")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(string(b))
	fmt.Println("logins:", logins.Load())
	// Output:
	// hello, authenticated caller
	// logins: 1
}

// loginEvents counts a Source's events by kind; expvar serves it on
// /debug/vars.
var loginEvents = expvar.NewMap("loginauth_events")

// Counting events with a hook, as expvar metrics.
func ExampleEventFunc() {
	src := loginauth.New(loginauth.Config{
		Origins: []string{"https://api.example.com"},
		Login: func(context.Context) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "t"}, nil
		},
		Options: loginauth.Options{
			OnEvent: func(ev loginauth.Event) { loginEvents.Add(ev.Kind.String(), 1) },
		},
	})
	loginEvents.Init()
	tok, _ := src.Token()
	src.Invalidate(tok)
	src.Token()
	fmt.Println(loginEvents.String())
	fmt.Printf("%+v\n", src.Stats())
	// Output:
	// {"invalidate": 1, "login": 2, "start": 2}
	// {Logins:2 Refreshes:0 Failures:0 Invalidations:1 Retries:0 Withheld:0}
}

// A Source prints without its token.
func ExampleSource_Format() {
	src := loginauth.New(loginauth.Config{
		Provider: "example",
		Origins:  []string{"https://api.example.com"},
		Login: func(context.Context) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "secret-token"}, nil
		},
	})
	src.Token()
	fmt.Printf("%v\n", src)
	// Output:
	// loginauth.Source{Provider:"example" Origins:["https://api.example.com:443"] Token:cached}
}

// A server that echoes, in its error, the password it was sent and the
// Basic credential it built from the user name and the password: Secrets
// and Users scrub both out of the error, whatever their encoding.
func ExampleConfig_users() {
	src := loginauth.New(loginauth.Config{
		Provider: "example",
		Origins:  []string{"https://api.example.com"},
		Secrets:  []string{"pw&1"},
		Users:    []string{"alice"},
		Login: func(context.Context) (*oauth2.Token, error) {
			basic := base64.StdEncoding.EncodeToString([]byte("alice:pw&1"))
			return nil, &loginauth.LoginError{Provider: "example", Status: 401, Message: "alice sent Basic " + basic + " for pw&amp;1"}
		},
	})
	_, err := src.Token()
	fmt.Println(err)
	// Output:
	// example: login failed: HTTP 401: "alice sent Basic [redacted] for [redacted]"
}
