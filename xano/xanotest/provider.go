package xanotest

import (
	"net/http"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/registry"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/xano"
)

// Provider is Xano's entry in the registry of built-in providers: its
// variables, its Source, this fake and a sample request. The conformance
// suite runs it; the command lists it.
var Provider = registry.Provider{
	Name: "xano",
	Vars: []registry.Var{
		{Name: "base_url", Env: "XANO_BASE_URL"},
		{Name: "email", Env: "XANO_EMAIL"},
		{Name: "password", Env: "XANO_PASSWORD", Secret: true},
	},
	FromValues: func(v map[string]string, hc *http.Client, o loginauth.Options) *loginauth.Source {
		return xano.NewSource(xano.Config{BaseURL: v["base_url"], Email: v["email"], Password: v["password"], HTTPClient: hc, Options: o})
	},
	Demo: func(f registry.Fake) map[string]string {
		return map[string]string{"base_url": f.(*Server).BaseURL(), "email": Email, "password": Password}
	},
	Start:  func() registry.Fake { return NewServer() },
	Prefix: "/api:" + Group,
	Config: func(base, secret string, hc *http.Client, opts loginauth.Options) any {
		return &xano.Config{BaseURL: base, Email: Email, Password: secret, HTTPClient: hc, Options: opts}
	},
	New:  func(cfg any) *loginauth.Source { return xano.NewSource(*cfg.(*xano.Config)) },
	User: Email, Secret: Password,
	Method: http.MethodGet, Path: xano.MePath,
	Header: func(tok *oauth2.Token) http.Header {
		return http.Header{"Authorization": {"Bearer " + tok.AccessToken}}
	},
	Lifetime: DefaultLifetime, Missing: `token at "/authToken" or at "/auth_token" or at "/token"`, OAuth2: true,
	Required: []string{"BaseURL", "Email", "Password"},

	Server:    func(f registry.Fake) *loginauthtest.Server { return f.(*Server).Server },
	UserVar:   "email",
	BaseHint:  "https://x1a2-b3c4.n7.xano.io/api:AbCdEfGh, with the API group",
	Endpoints: []string{"POST /auth/login", "POST /auth/signup", "GET " + xano.MePath},
}
