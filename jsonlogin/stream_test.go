package jsonlogin_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
)

// TestXPayDescriptionStreams sends requests through the shipped xPay
// description to an API that answers 200 with the start of its body at
// once and the rest, from before the closing brace, 3 s later. RoundTrip
// returns at once, as its first_of rule decides from the first member;
// the caller then reads the whole body, byte for byte, 3 s later.
func TestXPayDescriptionStreams(t *testing.T) {
	for _, start := range []string{
		`{"success":{"data":[`,
		`{"uuid":"38e27ab0-d331-4c63-8f24-e1603739511d","success":{"message":"Done","data":[`,
	} {
		t.Run(start[:8], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				is := is.New(t)
				rest := strings.Repeat(`{"txID":"b0c7264802344f60a7dc5103b5e3ee8d"},`, 100) + `{}]}}`
				handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					if r.URL.Path == "/client/authenticate" {
						fmt.Fprint(w, `{"success":{"data":{"access_token":"tok-1"}}}`)
						return
					}
					io.WriteString(w, start)
					w.(http.Flusher).Flush()
					time.Sleep(3 * time.Second) // in the bubble: no real wait
					io.WriteString(w, rest)
				})
				api := loginauthtest.HandlerTransport{Handler: handler}
				spec := load(t, "xpay")
				spec.HTTPClient = &http.Client{Transport: api}
				src := spec.NewSource(map[string]string{"base_url": "https://xpay.example", "username": "u", "secret_key": "s"}, loginauth.Options{})
				client := &http.Client{Transport: loginauth.NewTransport(src, api)}

				begin := time.Now()
				resp, err := client.Post("https://xpay.example/client/bills/find", "application/json", strings.NewReader(`{}`))
				is.NoErr(err)
				is.Equal(time.Since(begin), time.Duration(0)) // RoundTrip returned before the rest was sent
				b, err := io.ReadAll(resp.Body)
				is.NoErr(err)
				is.NoErr(resp.Body.Close())
				is.Equal(string(b), start+rest)            // byte for byte
				is.Equal(time.Since(begin), 3*time.Second) // the rest came 3 s later
				is.Equal(src.Stats().Logins, int64(1))     // not taken for a refusal
			})
		})
	}
}

// textLoginSpec describes a login that answers its failures as text, as
// qBittorrent answers "Fails.", and a wrong password with a header field.
const textLoginSpec = `{
  "name": "texty",
  "base_url": "https://texty.example",
  "vars": {"password": {"secret": true}},
  "login": {"path": "/login", "form": {"password": "{{password}}"}},
  "token": "/token",
  "error": {"when": {"text": ["Fails."]}},
  "bad_credentials": [{"text": ["Fails."]}, {"status": [400], "header": {"X-Error": [{"prefix": "bad-password"}]}}]
}`

// TestLoginRuleParts checks that error.when and bad_credentials rules
// take the text and header parts: a login answered 200 "Fails." is a
// failure, and bad credentials; so is a 400 with the header field, and a
// 400 without it is an ordinary failure.
func TestLoginRuleParts(t *testing.T) {
	for _, tc := range []struct {
		name, password string
		bad            bool
	}{
		{"text", "fails", true},
		{"header", "header", true},
		{"neither", "other", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			spec := parse(t, textLoginSpec)
			spec.HTTPClient = &http.Client{Transport: loginauthtest.HandlerTransport{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.FormValue("password") {
				case "fails":
					io.WriteString(w, "Fails.\n")
				case "header":
					w.Header().Set("X-Error", "bad-password; see the log")
					w.WriteHeader(http.StatusBadRequest)
				default:
					w.WriteHeader(http.StatusBadRequest)
				}
			})}}
			_, err := spec.NewSource(map[string]string{"password": tc.password}, loginauth.Options{}).Token()
			var le *loginauth.LoginError
			is.True(errors.As(err, &le)) // the login failed
			is.Equal(le.BadCredentials, tc.bad)
		})
	}
}
