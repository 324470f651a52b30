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
