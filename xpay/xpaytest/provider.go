package xpaytest

import (
	"encoding/json"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/registry"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/xpay"
)

// Provider is xPay's entry in the registry of built-in providers: its
// variables, its Source, this fake and a sample request. The conformance
// suite runs it; the command lists it.
var Provider = registry.Provider{
	Name: "xpay",
	Vars: []registry.Var{
		{Name: "base_url", Env: "XPAY_BASE_URL", Default: xpay.ProductionURL},
		{Name: "username", Env: "XPAY_USERNAME"},
		{Name: "secret_key", Env: "XPAY_SECRET_KEY", Secret: true},
	},
	FromValues: func(v map[string]string, hc *http.Client, o loginauth.Options) *loginauth.Source {
		return xpay.NewSource(xpay.Config{BaseURL: v["base_url"], Username: v["username"], SecretKey: v["secret_key"], HTTPClient: hc, Options: o})
	},
	Demo: func(f registry.Fake) map[string]string {
		return map[string]string{"base_url": f.(*Server).URL, "username": Username, "secret_key": SecretKey}
	},
	Start: func() registry.Fake { return NewServer() },
	Config: func(base, secret string, hc *http.Client, opts loginauth.Options) any {
		return &xpay.Config{BaseURL: base, Username: Username, SecretKey: secret, HTTPClient: hc, Options: opts}
	},
	New:  func(cfg any) *loginauth.Source { return xpay.NewSource(*cfg.(*xpay.Config)) },
	User: Username, Secret: SecretKey,
	// Every xPay call is a POST with a JSON body, which a refused
	// request must carry again.
	Method: http.MethodPost, Path: BillsSavePath, Body: `{"amount":"1000000","tag":"conformance"}`,
	Header: func(tok *oauth2.Token) http.Header {
		return http.Header{"Authorization": {"Bearer " + tok.AccessToken}}
	},
	Lifetime: DefaultLifetime, Missing: `token at "/success/data/access_token"`, OAuth2: true,
	Required: []string{"BaseURL", "Username", "SecretKey"},

	Server:    func(f registry.Fake) *loginauthtest.Server { return f.(*Server).Server },
	UserVar:   "username",
	BaseHint:  xpay.ProductionURL,
	Failed:    failed,
	Endpoints: []string{"POST " + AuthenticatePath, "POST " + BillsSavePath, "POST " + BillsViewPath},
}

// failed reports xPay's error envelope, {"error": {...}}, which the API
// may send with HTTP 200: an answer is a success only with a "success"
// member.
func failed(status int, body []byte) bool {
	var v struct {
		Success json.RawMessage `json:"success"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil {
		return false // not an envelope: the status decides
	}
	return v.Success == nil || (v.Error != nil && string(v.Error) != "null")
}
