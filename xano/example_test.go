package xano_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xano/xanotest"
)

func ExampleNewSource() {
	srv := xanotest.NewServer() // a fake Xano API group
	defer srv.Close()
	base := srv.BaseURL() // https://<instance>.xano.io/api:<group>

	src := xano.NewSource(xano.Config{BaseURL: base, Email: xanotest.Email, Password: xanotest.Password})
	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
	resp, err := client.Get(base + xano.MePath)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var me struct{ Name, Email string }
	json.NewDecoder(resp.Body).Decode(&me)
	fmt.Println(resp.Status, me.Name, me.Email)
	// Output: 200 OK Alice alice@example.test
}

func ExampleSignup() {
	srv := xanotest.NewServer()
	defer srv.Close()
	cfg := xano.Config{BaseURL: srv.BaseURL(), Email: "bob@example.test", Password: "bobs-password"}

	src, err := xano.Signup(context.Background(), cfg, "Bob")
	if err != nil {
		fmt.Println(err)
		return
	}
	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
	resp, err := client.Get(cfg.BaseURL + xano.MePath)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status, "logins:", srv.Logins())

	_, err = xano.Signup(context.Background(), cfg, "Bob")
	fmt.Println(err)
	// Output:
	// 200 OK logins: 1
	// xano: signup failed: HTTP 403: ERROR_CODE_ACCESS_DENIED: "This account is already in use."
}

// A project behind a proxy that uses Authorization for itself sends the
// Xano token in X-Xano-Authorization.
func ExampleConfig_authHeader() {
	srv := xanotest.NewServer()
	defer srv.Close()

	src := xano.NewSource(xano.Config{
		BaseURL: srv.BaseURL(), Email: xanotest.Email, Password: xanotest.Password,
		AuthHeader: xano.AuthorizationHeader,
	})
	fmt.Println(src.CredentialHeaders()) // to redact in traces and logs

	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
	req, _ := http.NewRequest("GET", srv.BaseURL()+xano.MePath, nil)
	req.Header.Set("Authorization", "Basic cHJveHk6cGFzcw==") // the proxy's own
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// [X-Xano-Authorization X-Xano-Authorization-Only]
	// 200 OK
}
