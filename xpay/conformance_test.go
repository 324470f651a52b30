package xpay_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/xpay"
	"github.com/loginauth/loginauth/xpay/xpaytest"
	"golang.org/x/oauth2"
)

func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Provider{
		Name:  "xpay",
		Start: func() sourcetest.Fake { return xpaytest.NewServer() },
		Source: func(f sourcetest.Fake, opts loginauth.Options, wrong bool) (*loginauth.Source, string) {
			key := xpaytest.SecretKey
			if wrong {
				key = "wrong-Secr3t-key"
			}
			return xpay.NewSource(xpay.Config{BaseURL: f.(*xpaytest.Server).URL, Username: xpaytest.Username, SecretKey: key, Options: opts}), key
		},
		Request: func(f sourcetest.Fake) *http.Request {
			// Every xPay call is a POST with a JSON body, which a refused
			// request must carry again.
			req, _ := http.NewRequest("POST", f.(*xpaytest.Server).URL+xpaytest.BalancePath, strings.NewReader(`{"currency":"EUR"}`))
			req.Header.Set("Content-Type", "application/json")
			return req
		},
		Header: func(tok *oauth2.Token) http.Header {
			return http.Header{"Authorization": {"Bearer " + tok.AccessToken}}
		},
		Lifetime: xpaytest.DefaultLifetime,
		Required: []string{"BaseURL", "Username", "SecretKey"},
		Without: func(f sourcetest.Fake, field string) *loginauth.Source {
			cfg := config(f.(*xpaytest.Server))
			reflect.ValueOf(&cfg).Elem().FieldByName(field).SetString("")
			return xpay.NewSource(cfg)
		},
	})
}
