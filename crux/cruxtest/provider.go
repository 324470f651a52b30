package cruxtest

import (
	"net/http"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux"
	"github.com/loginauth/loginauth/internal/registry"
	"github.com/loginauth/loginauth/loginauthtest"
)

// Provider is CruxConnect's entry in the registry of built-in providers:
// its variables, its Source, this fake and a sample request. The
// conformance suite runs it; the command lists it.
var Provider = registry.Provider{
	Name: "crux",
	Vars: []registry.Var{
		{Name: "base_url", Env: "CRUX_BASE_URL", Default: crux.ProductionURL},
		{Name: "username", Env: "CRUX_USERNAME"},
		{Name: "password", Env: "CRUX_PASSWORD", Secret: true},
	},
	FromValues: func(v map[string]string, hc *http.Client, o loginauth.Options) *loginauth.Source {
		return crux.NewSource(crux.Config{BaseURL: v["base_url"], Username: v["username"], Password: v["password"], HTTPClient: hc, Options: o})
	},
	Demo: func(f registry.Fake) map[string]string {
		return map[string]string{"base_url": f.(*Server).URL, "username": Username, "password": Password}
	},
	Start: func() registry.Fake { return NewServer() },
	Config: func(base, secret string, hc *http.Client, opts loginauth.Options) any {
		return &crux.Config{BaseURL: base, Username: Username, Password: secret, HTTPClient: hc, Options: opts}
	},
	New:  func(cfg any) *loginauth.Source { return crux.NewSource(*cfg.(*crux.Config)) },
	User: Username, Secret: Password,
	Method: http.MethodGet, Path: PermissionsPath,
	Header: func(tok *oauth2.Token) http.Header {
		return http.Header{"Authorization": {"Token " + tok.AccessToken}}
	},
	Lifetime: DefaultLifetime, Missing: `token at "/auth_token"`, OAuth2: true,
	Required: []string{"BaseURL", "Username", "Password"},

	Server:      func(f registry.Fake) *loginauthtest.Server { return f.(*Server).Server },
	UserVar:     "username",
	BaseHint:    crux.ProductionURL + ", without the path of an endpoint",
	ContentType: crux.ContentType,
	TokenType:   "Token",
	Endpoints:   []string{"POST " + LoginPath, "POST " + LoginPathV1, "GET or POST " + PermissionsPath},
}
