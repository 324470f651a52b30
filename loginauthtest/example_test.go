package loginauthtest_test

import (
	"fmt"
	"net/http"

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
