package cruxtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/loginauth/loginauth/crux/cruxtest"
)

func ExampleNewServer() {
	srv := cruxtest.NewServer()
	defer srv.Close()

	resp, err := http.Post(srv.URL+cruxtest.LoginPath, "application/json; charset=utf-8",
		strings.NewReader(`{"username":"alice","password":"s3cret-pass"}`))
	if err != nil {
		panic(err)
	}
	var body struct {
		AuthToken string `json:"auth_token"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	fmt.Println("login:", resp.Status, len(body.AuthToken))

	req, _ := http.NewRequest("GET", srv.URL+cruxtest.PermissionsPath, nil)
	req.Header.Set("Authorization", "Token "+body.AuthToken)
	for range 2 {
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println("permissions:", resp.Status)
		srv.Advance(cruxtest.DefaultLifetime) // the token expires
	}
	fmt.Println("logins:", srv.Logins(), "requests:", srv.Requests(), "refused:", srv.Refused())
	// Output:
	// login: 200 OK 40
	// permissions: 200 OK
	// permissions: 401 Unauthorized
	// logins: 1 requests: 1 refused: 1
}
