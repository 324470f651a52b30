package mictest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/loginauth/loginauth/mic/mictest"
)

func ExampleNewServer() {
	srv := mictest.NewServer()
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.BaseURL()+"/auth/login",
		strings.NewReader(`{"userName":"alice","password":"s3cret-pass"}`))
	req.Header.Set("x-api-key", mictest.APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	var body struct {
		Credentials struct{ IdentityID, Token string }
	}
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	fmt.Println("login:", resp.Status)

	req, _ = http.NewRequest("GET", srv.BaseURL()+"/users/alice", nil)
	req.Header.Set("x-api-key", mictest.APIKey)
	req.Header.Set("Authorization", body.Credentials.Token)
	req.Header.Set("identityId", body.Credentials.IdentityID)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("user:", resp.Status)

	srv.Advance(mictest.DefaultLifetime) // the token expires
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("user:", resp.Status)
	fmt.Println("logins:", srv.Logins(), "requests:", srv.Requests(), "refused:", srv.Refused())
	// Output:
	// login: 200 OK
	// user: 200 OK
	// user: 401 Unauthorized
	// logins: 1 requests: 1 refused: 1
}
