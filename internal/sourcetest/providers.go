package sourcetest

import (
	"context"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux"
	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/mic"
	"github.com/loginauth/loginauth/mic/mictest"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xano/xanotest"
	"github.com/loginauth/loginauth/xpay"
	"github.com/loginauth/loginauth/xpay/xpaytest"
	"golang.org/x/oauth2"
)

// Fake is what the shared suites need of a provider's fake server; the
// embedded loginauthtest.Server of every fake provides it.
type Fake interface {
	Close()
	Logins() int64
	Refreshes() int64
	Refused() int64
	Requests() int64
	RevokeAll()
	Now() time.Time
	Advance(time.Duration)
	SetNow(func() time.Time)
	SetFault(loginauthtest.Fault)
	SetLoginDelay(time.Duration)
	SetHugeSize(int64)
	// Transport serves the fake in memory, for a synctest bubble.
	Transport() http.RoundTripper
}

// Provider describes one provider and its fake to the shared suites: this
// package's conformance suite, and the fault, fuzz and security tests of
// the root package.
type Provider struct {
	// Name is the provider's package name, which errors must start with.
	Name string
	// Start starts a fake server.
	Start func() Fake
	// URL returns the scheme://host:port of a running fake.
	URL func(f Fake) string
	// Prefix is the path of the API's base URL on the fake's host.
	Prefix string
	// Config returns a pointer to the provider's Config for the fake's
	// default account at base, with the given password (or secret key),
	// login client (nil: the default) and options; New makes its Source.
	Config func(base, secret string, hc *http.Client, opts loginauth.Options) any
	New    func(cfg any) *loginauth.Source
	// User is the account's user name or e-mail address.
	User string
	// Secret is the account's password or secret key; Others are the other
	// credentials that must never be printed (MIC's API key).
	Secret string
	Others []string
	// Method, Path and Body make a request to a protected endpoint,
	// relative to the base URL.
	Method, Path, Body string
	// Header returns the header fields that must carry tok, with their
	// exact values.
	Header func(tok *oauth2.Token) http.Header
	// Lifetime is how long the fake's tokens live.
	Lifetime time.Duration
	// Missing is the field that a login answer without a token lacks.
	Missing string
	// Refresh is true when the provider renews a token with a refresh call.
	Refresh bool
	// OAuth2 is true when an [oauth2.Transport] can carry the provider's
	// credentials: one Authorization field, "<TokenType> <token>". It is
	// false for MIC, whose three fields only a [loginauth.Transport] sends.
	OAuth2 bool
	// Required lists the Config's required fields.
	Required []string
	// AllowHTTP is how the Source's errors name the setting that allows
	// plain http; empty means "AllowHTTP".
	AllowHTTP string
}

// BaseURL returns the API's base URL on a running fake.
func (p Provider) BaseURL(f Fake) string { return p.URL(f) + p.Prefix }

// Source returns a Source for the default account at base; see Config.
func (p Provider) Source(base, secret string, hc *http.Client, opts loginauth.Options) *loginauth.Source {
	return p.New(p.Config(base, secret, hc, opts))
}

// Without returns a Source for the default account at base whose Config
// lacks the named field.
func (p Provider) Without(base, field string) *loginauth.Source {
	cfg := p.Config(base, p.Secret, nil, loginauth.Options{})
	reflect.ValueOf(cfg).Elem().FieldByName(field).SetString("")
	return p.New(cfg)
}

// Request returns p's protected request under base, with GetBody when it
// has a body.
func (p Provider) Request(ctx context.Context, base string) *http.Request {
	var body io.Reader
	if p.Body != "" {
		body = strings.NewReader(p.Body)
	}
	req, err := http.NewRequestWithContext(ctx, p.Method, base+p.Path, body)
	if err != nil {
		panic(err)
	}
	if p.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// Providers describes the four providers.
var Providers = []Provider{
	{
		Name:   "mic",
		Start:  func() Fake { return mictest.NewServer() },
		URL:    func(f Fake) string { return f.(*mictest.Server).URL },
		Prefix: "/" + mictest.StackName,
		Config: func(base, secret string, hc *http.Client, opts loginauth.Options) any {
			cfg := micConfig(base, secret, hc, opts)
			return &cfg
		},
		New:  func(cfg any) *loginauth.Source { return mic.NewSource(*cfg.(*mic.Config)) },
		User: mictest.Username, Secret: mictest.Password, Others: []string{mictest.APIKey},
		Method: http.MethodGet, Path: "/users/" + mictest.Username,
		Header: func(tok *oauth2.Token) http.Header {
			return http.Header{"Authorization": {tok.AccessToken}, "Identityid": {mictest.IdentityID}, "X-Api-Key": {mictest.APIKey}}
		},
		Lifetime: mictest.DefaultLifetime, Missing: "credentials.token", Refresh: true,
		Required: []string{"BaseURL", "APIKey", "Username", "Password"},
	},
	{
		Name:   "xano",
		Start:  func() Fake { return xanotest.NewServer() },
		URL:    func(f Fake) string { return f.(*xanotest.Server).URL },
		Prefix: "/api:" + xanotest.Group,
		Config: func(base, secret string, hc *http.Client, opts loginauth.Options) any {
			cfg := xanoConfig(base, secret, hc, opts)
			return &cfg
		},
		New:  func(cfg any) *loginauth.Source { return xano.NewSource(*cfg.(*xano.Config)) },
		User: xanotest.Email, Secret: xanotest.Password,
		Method: http.MethodGet, Path: xano.MePath,
		Header: func(tok *oauth2.Token) http.Header {
			return http.Header{"Authorization": {"Bearer " + tok.AccessToken}}
		},
		Lifetime: xanotest.DefaultLifetime, Missing: "authToken", OAuth2: true,
		Required: []string{"BaseURL", "Email", "Password"},
	},
	{
		Name:  "crux",
		Start: func() Fake { return cruxtest.NewServer() },
		URL:   func(f Fake) string { return f.(*cruxtest.Server).URL },
		Config: func(base, secret string, hc *http.Client, opts loginauth.Options) any {
			cfg := cruxConfig(base, secret, hc, opts)
			return &cfg
		},
		New:  func(cfg any) *loginauth.Source { return crux.NewSource(*cfg.(*crux.Config)) },
		User: cruxtest.Username, Secret: cruxtest.Password,
		Method: http.MethodGet, Path: cruxtest.PermissionsPath,
		Header: func(tok *oauth2.Token) http.Header {
			return http.Header{"Authorization": {"Token " + tok.AccessToken}}
		},
		Lifetime: cruxtest.DefaultLifetime, Missing: "auth_token", OAuth2: true,
		Required: []string{"BaseURL", "Username", "Password"},
	},
	{
		Name:  "xpay",
		Start: func() Fake { return xpaytest.NewServer() },
		URL:   func(f Fake) string { return f.(*xpaytest.Server).URL },
		Config: func(base, secret string, hc *http.Client, opts loginauth.Options) any {
			cfg := xpayConfig(base, secret, hc, opts)
			return &cfg
		},
		New:  func(cfg any) *loginauth.Source { return xpay.NewSource(*cfg.(*xpay.Config)) },
		User: xpaytest.Username, Secret: xpaytest.SecretKey,
		// Every xPay call is a POST with a JSON body, which a refused
		// request must carry again.
		Method: http.MethodPost, Path: xpaytest.BillsSavePath, Body: `{"amount":"1000000","tag":"conformance"}`,
		Header: func(tok *oauth2.Token) http.Header {
			return http.Header{"Authorization": {"Bearer " + tok.AccessToken}}
		},
		Lifetime: xpaytest.DefaultLifetime, Missing: "success.data.access_token", OAuth2: true,
		Required: []string{"BaseURL", "Username", "SecretKey"},
	},
}

// The Configs of each fake's default account at base, with the given
// password (or secret key), login client and options.

func micConfig(base, secret string, hc *http.Client, opts loginauth.Options) mic.Config {
	return mic.Config{BaseURL: base, APIKey: mictest.APIKey, Username: mictest.Username, Password: secret, HTTPClient: hc, Options: opts}
}

func xanoConfig(base, secret string, hc *http.Client, opts loginauth.Options) xano.Config {
	return xano.Config{BaseURL: base, Email: xanotest.Email, Password: secret, HTTPClient: hc, Options: opts}
}

func cruxConfig(base, secret string, hc *http.Client, opts loginauth.Options) crux.Config {
	return crux.Config{BaseURL: base, Username: cruxtest.Username, Password: secret, HTTPClient: hc, Options: opts}
}

func xpayConfig(base, secret string, hc *http.Client, opts loginauth.Options) xpay.Config {
	return xpay.Config{BaseURL: base, Username: xpaytest.Username, SecretKey: secret, HTTPClient: hc, Options: opts}
}

// MICConfig returns a Config for the default account of srv, on its
// clock, as the conformance suite makes it.
func MICConfig(srv *mictest.Server) mic.Config {
	return micConfig(srv.BaseURL(), mictest.Password, nil, loginauth.Options{Now: srv.Now})
}

// XanoConfig returns a Config for the default account of srv, on its
// clock, as the conformance suite makes it.
func XanoConfig(srv *xanotest.Server) xano.Config {
	return xanoConfig(srv.BaseURL(), xanotest.Password, nil, loginauth.Options{Now: srv.Now})
}

// CruxConfig returns a Config for the default account of srv, on its
// clock, as the conformance suite makes it.
func CruxConfig(srv *cruxtest.Server) crux.Config {
	return cruxConfig(srv.URL, cruxtest.Password, nil, loginauth.Options{Now: srv.Now})
}

// XPayConfig returns a Config for the default account of srv, on its
// clock, as the conformance suite makes it.
func XPayConfig(srv *xpaytest.Server) xpay.Config {
	return xpayConfig(srv.URL, xpaytest.SecretKey, nil, loginauth.Options{Now: srv.Now})
}

// Lookup returns the Provider called name.
func Lookup(name string) Provider {
	for _, p := range Providers {
		if p.Name == name {
			return p
		}
	}
	panic("sourcetest: no provider " + name)
}
