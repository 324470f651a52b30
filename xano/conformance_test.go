package xano_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xano/xanotest"
	"golang.org/x/oauth2"
)

func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Provider{
		Name:  "xano",
		Start: func() sourcetest.Fake { return xanotest.NewServer() },
		Source: func(f sourcetest.Fake, opts loginauth.Options, wrong bool) (*loginauth.Source, string) {
			pass := xanotest.Password
			if wrong {
				pass = "wrong-Pa55word"
			}
			return xano.NewSource(xano.Config{BaseURL: f.(*xanotest.Server).BaseURL(), Email: xanotest.Email, Password: pass, Options: opts}), pass
		},
		Request: func(f sourcetest.Fake) *http.Request {
			req, _ := http.NewRequest("GET", f.(*xanotest.Server).BaseURL()+"/auth/me", nil)
			return req
		},
		Header: func(tok *oauth2.Token) http.Header {
			return http.Header{"Authorization": {"Bearer " + tok.AccessToken}}
		},
		Lifetime: xanotest.DefaultLifetime,
		Required: []string{"BaseURL", "Email", "Password"},
		Without: func(f sourcetest.Fake, field string) *loginauth.Source {
			cfg := config(f.(*xanotest.Server))
			reflect.ValueOf(&cfg).Elem().FieldByName(field).SetString("")
			return xano.NewSource(cfg)
		},
	})
}
