package crux_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux"
	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"golang.org/x/oauth2"
)

func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Provider{
		Name:  "crux",
		Start: func() sourcetest.Fake { return cruxtest.NewServer() },
		Source: func(f sourcetest.Fake, opts loginauth.Options, wrong bool) (*loginauth.Source, string) {
			pass := cruxtest.Password
			if wrong {
				pass = "wrong-Pa55word"
			}
			return crux.NewSource(crux.Config{BaseURL: f.(*cruxtest.Server).URL, Username: cruxtest.Username, Password: pass, Options: opts}), pass
		},
		Request: func(f sourcetest.Fake) *http.Request {
			req, _ := http.NewRequest("GET", f.(*cruxtest.Server).URL+cruxtest.PermissionsPath, nil)
			return req
		},
		Header: func(tok *oauth2.Token) http.Header {
			return http.Header{"Authorization": {"Token " + tok.AccessToken}}
		},
		Lifetime: cruxtest.DefaultLifetime,
		Required: []string{"BaseURL", "Username", "Password"},
		Without: func(f sourcetest.Fake, field string) *loginauth.Source {
			cfg := config(f.(*cruxtest.Server))
			reflect.ValueOf(&cfg).Elem().FieldByName(field).SetString("")
			return crux.NewSource(cfg)
		},
	})
}
