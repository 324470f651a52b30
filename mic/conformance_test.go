package mic_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/mic"
	"github.com/loginauth/loginauth/mic/mictest"
	"golang.org/x/oauth2"
)

func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Provider{
		Name:  "mic",
		Start: func() sourcetest.Fake { return mictest.NewServer() },
		Source: func(f sourcetest.Fake, opts loginauth.Options, wrong bool) (*loginauth.Source, string) {
			pass := mictest.Password
			if wrong {
				pass = "wrong-Pa55word"
			}
			return mic.NewSource(mic.Config{BaseURL: f.(*mictest.Server).BaseURL(), APIKey: mictest.APIKey, Username: mictest.Username, Password: pass, Options: opts}), pass
		},
		Request: func(f sourcetest.Fake) *http.Request {
			req, _ := http.NewRequest("GET", f.(*mictest.Server).BaseURL()+"/users/"+mictest.Username, nil)
			return req
		},
		Header: func(tok *oauth2.Token) http.Header {
			return http.Header{"Authorization": {tok.AccessToken}, "Identityid": {mictest.IdentityID}, "X-Api-Key": {mictest.APIKey}}
		},
		Lifetime: mictest.DefaultLifetime,
		Required: []string{"BaseURL", "APIKey", "Username", "Password"},
		Without: func(f sourcetest.Fake, field string) *loginauth.Source {
			cfg := config(f.(*mictest.Server))
			reflect.ValueOf(&cfg).Elem().FieldByName(field).SetString("")
			return mic.NewSource(cfg)
		},
		RefreshEndpoint: true,
	})
}
