package xanotest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/xano/xanotest"
)

func ExampleNewServer() {
	srv := xanotest.NewServer()
	defer srv.Close()

	resp, err := http.Post(srv.BaseURL()+"/auth/login", "application/json",
		strings.NewReader(`{"email":"alice@example.test","password":"s3cret-pass"}`))
	if err != nil {
		panic(err)
	}
	var body struct{ AuthToken string }
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	fmt.Println("login:", resp.Status)

	req, _ := http.NewRequest("GET", srv.BaseURL()+"/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+body.AuthToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	var me struct{ Name, Email string }
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	fmt.Println("me:", resp.Status, me.Name, me.Email)

	srv.SetFault(loginauthtest.Fault500)
	resp, err = http.Post(srv.BaseURL()+"/auth/login", "application/json",
		strings.NewReader(`{"email":"alice@example.test","password":"s3cret-pass"}`))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("login:", resp.Status)
	fmt.Println("logins:", srv.Logins(), "requests:", srv.Requests())
	// Output:
	// login: 200 OK
	// me: 200 OK Alice alice@example.test
	// login: 500 Internal Server Error
	// logins: 2 requests: 1
}
