package jsonlogin_test

import (
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
