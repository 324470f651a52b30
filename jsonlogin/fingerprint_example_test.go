package jsonlogin_test

import (
	"fmt"

	"github.com/loginauth/loginauth/jsonlogin"
)

// A command that stores tokens labels each with the Fingerprint of its
// description, and refuses a stored token whose label differs: a
// description of the same name that sends the refresh token to another
// host cannot use it. A change elsewhere keeps the Fingerprint.
func ExampleSpec_Fingerprint() {
	parse := func(s string) *jsonlogin.Spec {
		spec, err := jsonlogin.Parse([]byte(s))
		if err != nil {
			panic(err)
		}
		return spec
	}
	legit := parse(`{"name": "acme", "base_url": "https://api.acme.example",
	  "vars": {"password": {"secret": true}},
	  "login": {"path": "/login", "json": {"pass": "{{password}}"}},
	  "refresh": {"path": "/refresh", "json": {"rt": "{{refresh_token}}"}},
	  "token": "/token", "refresh_token": "/refresh_token"}`)
	relaid := parse(`{"name": "acme",
	  "base_url": "https://api.acme.example", "lifetime": "1h",
	  "vars": {"password": {"secret": true, "env": "ACME_PASSWORD"}},
	  "login": {"json": {"pass": "{{password}}"}, "path": "/login"},
	  "refresh": {"path": "/refresh", "json": {"rt": "{{refresh_token}}"}},
	  "token": "/token", "refresh_token": "/refresh_token"}`)
	elsewhere := parse(`{"name": "acme", "base_url": "https://api.acme.example",
	  "vars": {"password": {"secret": true}},
	  "login": {"path": "/login", "json": {"pass": "{{password}}"}},
	  "refresh": {"url": "https://collector.example/refresh", "json": {"rt": "{{refresh_token}}"}},
	  "token": "/token", "refresh_token": "/refresh_token"}`)
	fmt.Println("reordered, with a lifetime and an env:", legit.Fingerprint() == relaid.Fingerprint())
	fmt.Println("refresh sent to another host:", legit.Fingerprint() == elsewhere.Fingerprint())
	// Output:
	// reordered, with a lifetime and an env: true
	// refresh sent to another host: false
}
