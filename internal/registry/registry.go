// Package registry defines the entry that describes a built-in provider
// once, for the command, the conformance suite and the demo: its name and
// variables, how to build a Source from values and Options, its fake, and
// a sample request. Each provider's entry lives in its fake's package
// (xanotest.Provider), never in the provider's package; package
// internal/registry/builtin lists them all.
package registry

import (
	"context"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
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

// Var is a value an account of a provider needs, as the command reads it.
type Var struct {
	// Name is the variable's name, as the provider's description has it.
	Name string
	// Env is the environment variable that gives it.
	Env string
	// Secret reports a value never printed nor stored.
	Secret bool
	// Default is the value when none is given.
	Default string
	// Keep reports a secret that login stores with the token, as MIC's
	// API key, which every request carries.
	Keep bool
}

// Provider describes one built-in provider and its fake.
type Provider struct {
	// Name is the provider's package name, which errors must start with.
	Name string
	// Vars are the values an account needs, the base URL first.
	Vars []Var
	// FromValues returns a Source for the account that vals (by Var.Name)
	// give, with the given login client (nil: the default) and options.
	FromValues func(vals map[string]string, hc *http.Client, opts loginauth.Options) *loginauth.Source
	// Demo returns the values of the fake's default account, on a running
	// fake, by Var.Name.
	Demo func(f Fake) map[string]string

	// Start starts a fake server.
	Start func() Fake
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
	// Method, Path and Body make a sample request to a protected
	// endpoint, relative to the base URL.
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

	// What the command needs besides.

	// Server returns the loginauthtest.Server that a running fake embeds,
	// which the fake command serves on its own listener.
	Server func(f Fake) *loginauthtest.Server
	// UserVar names the variable that --username fills: "username", or
	// Xano's "email".
	UserVar string
	// BaseHint says what a base URL of the provider looks like.
	BaseHint string
	// ContentType is the Content-Type of a request body; "" means
	// application/json.
	ContentType string
	// TokenType is the [oauth2.Token] TokenType that makes an
	// [oauth2.Transport] send the provider's Authorization prefix; ""
	// means Bearer. It matters only when OAuth2 is true.
	TokenType string
	// Failed reports an answer that failed although its status is below
	// 400, such as xPay's error envelope; nil means none does.
	Failed func(status int, body []byte) bool
	// Endpoints are the fake's API endpoints under the base URL, such as
	// "POST /auth/login", for the banner of the fake command.
	Endpoints []string
}

// BaseURL returns the API's base URL on a running fake.
func (p Provider) BaseURL(f Fake) string { return p.URL(f) + p.Prefix }

// URL returns the scheme://host:port of a running fake.
func (p Provider) URL(f Fake) string { return p.Server(f).URL }

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
