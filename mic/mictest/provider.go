package mictest

import (
	"net/http"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/registry"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/mic"
)

// Provider is MIC's entry in the registry of built-in providers: its
// variables, its Source, this fake and a sample request. The conformance
// suite runs it; the command lists it.
var Provider = registry.Provider{
	Name: "mic",
	Vars: []registry.Var{
		{Name: "base_url", Env: "MIC_BASE_URL"},
		{Name: "api_key", Env: "MIC_API_KEY", Secret: true, Keep: true},
		{Name: "username", Env: "MIC_USERNAME"},
		{Name: "password", Env: "MIC_PASSWORD", Secret: true},
	},
	FromValues: func(v map[string]string, hc *http.Client, o loginauth.Options) *loginauth.Source {
		return mic.NewSource(mic.Config{BaseURL: v["base_url"], APIKey: v["api_key"], Username: v["username"], Password: v["password"], HTTPClient: hc, Options: o})
	},
	Demo: func(f registry.Fake) map[string]string {
		return map[string]string{"base_url": f.(*Server).BaseURL(), "api_key": APIKey, "username": Username, "password": Password}
	},
	Start:  func() registry.Fake { return NewServer() },
	Prefix: "/" + StackName,
	Config: func(base, secret string, hc *http.Client, opts loginauth.Options) any {
		return &mic.Config{BaseURL: base, APIKey: APIKey, Username: Username, Password: secret, HTTPClient: hc, Options: opts}
	},
	New:  func(cfg any) *loginauth.Source { return mic.NewSource(*cfg.(*mic.Config)) },
	User: Username, Secret: Password, Others: []string{APIKey},
	Method: http.MethodGet, Path: "/users/" + Username,
	Header: func(tok *oauth2.Token) http.Header {
		return http.Header{"Authorization": {tok.AccessToken}, "Identityid": {IdentityID}, "X-Api-Key": {APIKey}}
	},
	Lifetime: DefaultLifetime, Missing: `token at "/credentials/token"`, Refresh: true,
	Required: []string{"BaseURL", "APIKey", "Username", "Password"},

	Server:    func(f registry.Fake) *loginauthtest.Server { return f.(*Server).Server },
	UserVar:   "username",
	BaseHint:  "https://abcd1234.execute-api.eu-west-1.amazonaws.com/prod",
	Endpoints: []string{"POST /auth/login", "POST /auth/refresh", "GET /users/{userName}", "GET /metadata/manifest"},
}
