package loginauth_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/loginauth/loginauth"
	"golang.org/x/oauth2"
)

// Owns tells, before a request is sent, whether a Transport of the
// Source would put the credentials on it: the URL's origin decides, and a
// Host field that names another host withholds them.
func ExampleSource_Owns() {
	src := loginauth.New(loginauth.Config{
		Provider: "example",
		Origins:  []string{"https://api.example.com", "https://files.example.com:8443"},
		Login: func(context.Context) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "secret-token"}, nil
		},
	})
	for _, u := range []string{
		"https://api.example.com/v1/me",
		"https://API.example.com:443/v1/me",
		"https://files.example.com:8443/f/1",
		"http://api.example.com/v1/me",
		"https://evil.example/v1/me",
	} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		fmt.Println(src.Owns(req), u)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://api.example.com/v1/me", nil)
	req.Host = "evil.example"
	fmt.Println(src.Owns(req), "Host: evil.example")
	// Output:
	// true https://api.example.com/v1/me
	// true https://API.example.com:443/v1/me
	// true https://files.example.com:8443/f/1
	// false http://api.example.com/v1/me
	// false https://evil.example/v1/me
	// false Host: evil.example
}
