package mic_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/mic"
	"github.com/loginauth/loginauth/mic/mictest"
)

func ExampleNewSource() {
	srv := mictest.NewServer() // a fake MIC stack
	defer srv.Close()
	base := srv.BaseURL()

	src := mic.NewSource(mic.Config{
		BaseURL:  base,
		APIKey:   mictest.APIKey,
		Username: mictest.Username,
		Password: mictest.Password,
	})
	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
	resp, err := client.Get(base + "/users/" + mictest.Username)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var user struct {
		UserName string `json:"userName"`
	}
	json.NewDecoder(resp.Body).Decode(&user)
	fmt.Println(resp.Status, user.UserName)
	// Output: 200 OK alice
}

func ExampleDiscoverer() {
	srv := mictest.NewServer()
	defer srv.Close()

	// mic.Discover(ctx, hostname) asks MIC's own discovery endpoint; a
	// Discoverer can ask another one.
	d := mic.Discoverer{URL: srv.ManifestURL()}
	cfg, err := d.Discover(context.Background(), mictest.AppHostname)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.BaseURL == srv.BaseURL(), cfg.APIKey)

	_, err = d.Discover(context.Background(), "unknown.example.test")
	fmt.Println(err)
	// Output:
	// true test-api-key
	// mic: discover failed: HTTP 200: no MIC stack is registered for hostname "unknown.example.test"
}
