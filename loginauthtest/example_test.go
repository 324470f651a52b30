package loginauthtest_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
)

// A provider fake calls BeginLogin first in its login handler, registers the
// tokens it mints with Issue and checks them with Authorize.
func ExampleServer() {
	var s *loginauthtest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if _, handled := s.BeginLogin(w, r); handled {
			return
		}
		s.Issue("token-1", "alice", s.Now().Add(s.Lifetime()))
		loginauthtest.WriteJSON(w, http.StatusOK, map[string]string{"token": "token-1"})
	})
	s = loginauthtest.NewServer(mux)
	defer s.Close()

	resp, err := http.Post(s.URL+"/login", "application/json", nil)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status, s.Valid("token-1"))

	s.SetFault(loginauthtest.FaultHTML502)
	resp, err = http.Post(s.URL+"/login", "application/json", nil)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status, resp.Header.Get("Content-Type"))

	s.Advance(s.Lifetime())
	fmt.Println("logins:", s.Logins(), "valid after expiry:", s.Valid("token-1"))
	// Output:
	// 200 OK true
	// 502 Bad Gateway text/html; charset=utf-8
	// logins: 2 valid after expiry: false
}

// HandlerTransport serves a handler in memory: no listener, so a client
// and the handler can run together inside a testing/synctest bubble.
func ExampleHandlerTransport() {
	client := &http.Client{Transport: loginauthtest.HandlerTransport{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		loginauthtest.WriteJSON(w, http.StatusOK, map[string]string{"path": r.URL.Path, "host": r.Host})
	})}}
	resp, err := client.Get("https://api.example.test/v1/me")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.Status, " ", resp.Header.Get("Content-Type"), " ", string(b))
	// Output:
	// 200 OK application/json {"host":"api.example.test","path":"/v1/me"}
}

// A Clock is what a client under test takes as its time source.
func ExampleClock() {
	clock := loginauthtest.NewClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	now := clock.Now // hand this to Options.Now
	clock.Advance(90 * time.Minute)
	fmt.Println(now().Format(time.Kitchen))
	// Output:
	// 1:30PM
}

// RoundTripperFunc answers requests with a function, for a test that
// needs a transport but no server.
func ExampleRoundTripperFunc() {
	var rt http.RoundTripper = loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		return nil, errors.New("offline: " + r.URL.Host)
	})
	_, err := (&http.Client{Transport: rt}).Get("https://api.example.test/")
	fmt.Println(err)
	// Output:
	// Get "https://api.example.test/": offline: api.example.test
}
