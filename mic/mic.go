// Package mic authenticates HTTP clients against the REST API of Telenor
// Connexion Managed IoT Cloud (MIC).
//
// A MIC client logs in with a user name and password, and sends the token
// it gets raw in the Authorization header, together with the identityId of
// the login and the stack's API key, on every call:
//
//	src := mic.NewSource(mic.Config{BaseURL: base, APIKey: key, Username: user, Password: pass})
//	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
//	resp, err := client.Get(base + "/users/" + user)
//
// MIC needs three header fields on every authenticated call:
// Authorization with the raw token (no "Bearer" or other type),
// identityId, and x-api-key. Only a [loginauth.Transport] serves MIC.
// [oauth2.NewClient] and [oauth2.Transport] cannot: they send one
// Authorization header with a token type ("Bearer <token>") and neither
// identityId nor the API key, and MIC refuses the request. The Source is
// still an [oauth2.TokenSource], for code that needs the token itself.
//
// The token is a Cognito ID token (a JWT). The Source renews it with the
// refresh token shortly before its exp claim says it expires, keeps the
// new refresh token that a refresh answer carries, and logs in again when
// the refresh fails. A 401 from the API's Cognito authorizer (a missing,
// invalid or expired token) makes the Transport renew the token and
// re-send the request once; see [DefaultRefused]. [Discover] finds the
// base URL and API key of a stack from the host name of its web
// application.
//
// See https://docs.telenorconnexion.com/mic/rest-api/ for the API.
package mic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/redact"
	"github.com/loginauth/loginauth/internal/wire"
)

// Endpoints of a stack, relative to [Config.BaseURL]. See
// https://docs.telenorconnexion.com/mic/rest-api/api-workshop-1/authenticate-api-call/.
const (
	// LoginPath logs in: {"userName", "password"} → credentials.
	LoginPath = "/auth/login"
	// RefreshPath renews a token: {"refreshToken"} → credentials.
	RefreshPath = "/auth/refresh"
	// ManifestPath returns the stack's manifest, API key included; it
	// needs no credentials.
	ManifestPath = "/metadata/manifest"
)

// DiscoveryURL is MIC's global manifest endpoint, which [Discover] asks,
// with ?hostname=, for the stack behind a web application's host name.
const DiscoveryURL = "https://1u31fuekv5.execute-api.eu-west-1.amazonaws.com/prod/manifest/"

// DefaultLifetime is the documented lifetime of a MIC access token, used
// when [loginauth.Options.Lifetime] is zero and a token has no readable
// exp claim.
const DefaultLifetime = 60 * time.Minute

// peekLimit bounds the body that [DefaultRefused] reads.
const peekLimit = 16 << 10

// Config describes a MIC account. BaseURL, APIKey, Username and Password
// are required.
//
// Its Format method prints it without its secrets. fmt cannot call that
// method on a Config held in an unexported field of another struct: it
// prints such a field with reflection, secrets included. Do not print
// structs that hold a Config in an unexported field.
type Config struct {
	// BaseURL is the stack's API root: ApiGatewayRootUrl + "/" + StackName,
	// such as "https://abc123.execute-api.eu-west-1.amazonaws.com/prod".
	BaseURL string

	// APIKey is the stack's API key, sent as x-api-key on every call.
	APIKey string

	// Username and Password are the account's credentials.
	Username string
	Password string

	// HTTPClient sends the login and refresh calls. Nil means a default
	// client. Either way, redirects to another origin are refused.
	HTTPClient *http.Client

	// Refused reports whether a response refuses the credentials, so that
	// the Transport logs in again and re-sends the request. Nil means
	// [DefaultRefused].
	Refused loginauth.RefusalFunc

	// Options holds the settings shared by every provider. A zero
	// Lifetime means [DefaultLifetime].
	loginauth.Options
}

// Format prints c without its API key and password, whatever the verb.
func (c Config) Format(f fmt.State, verb rune) {
	redact.Format(f, c, secretFields...)
}

// secretFields names the fields of [Config] that hold secrets: they are
// redacted when a Config is printed, and scrubbed out of every error.
var secretFields = []string{"APIKey", "Password"}

// check returns an error naming the first required field that is empty.
func (c *Config) check() error {
	if err := wire.Required("mic", "BaseURL", c.BaseURL, "APIKey", c.APIKey, "Username", c.Username); err != nil {
		return err
	}
	return wire.RequiredSecret("mic", "Password", c.Password)
}

// NewSource returns a Source that logs in to the MIC stack at
// cfg.BaseURL, renews its token through [RefreshPath], and puts the
// token, the identityId and the API key on requests. It never fails: when
// cfg lacks a required field, every call of the Source fails with an
// error that names it.
//
// The token's Extra field "identityId" holds the identityId of the login.
func NewSource(cfg Config) *loginauth.Source {
	c := &client{cfg: cfg, base: wire.Base(cfg.BaseURL), http: wire.Client(cfg.HTTPClient)}
	refused := cfg.Refused
	if refused == nil {
		refused = DefaultRefused
	}
	var key string // needed only with a Store
	if cfg.Store != nil {
		key = wire.StoreKey("mic", c.base, cfg.Username)
	}
	return loginauth.New(loginauth.Config{
		Provider: "mic",
		Login:    c.login,
		Refresh:  c.refresh,
		Scheme: loginauth.HeaderScheme{
			Header:    http.Header{"X-Api-Key": {cfg.APIKey}},
			FromExtra: fromExtra,
			IsRefused: refused,
		},
		Origins:         []string{cfg.BaseURL},
		StoreKey:        key,
		DefaultLifetime: DefaultLifetime,
		KeepExtra:       keepExtra,
		Secrets:         redact.Values(cfg, secretFields...),
		Users:           []string{cfg.Username},
		Options:         cfg.Options,
		Err:             cfg.check(),
	})
}

// The Extra field of a token that its Scheme sends, and that a Store
// keeps: the same for every Source, so shared. Never modified.
var (
	fromExtra = map[string]string{"identityId": "identityId"}
	keepExtra = []string{"identityId"}
)

// client makes the login and refresh calls of one Config.
type client struct {
	cfg  Config
	base string // BaseURL without a trailing slash
	http *http.Client
}

// credentials is the answer to a login or a refresh.
type credentials struct {
	Credentials struct {
		IdentityID   string `json:"identityId"`
		Token        string `json:"token"`
		RefreshToken string `json:"refreshToken"`
	} `json:"credentials"`
}

func (c *client) login(ctx context.Context) (*oauth2.Token, error) {
	body := struct {
		UserName string `json:"userName"`
		Password string `json:"password"`
	}{c.cfg.Username, c.cfg.Password}
	return c.call(ctx, "login", LoginPath, body, "")
}

// refresh renews old, keeping its identityId when the answer has none.
// The answer's refreshToken, when it has one, replaces old's: Telenor's
// own clients store it. When it has none, the Source keeps old's.
func (c *client) refresh(ctx context.Context, old *oauth2.Token) (*oauth2.Token, error) {
	body := struct {
		RefreshToken string `json:"refreshToken"`
	}{old.RefreshToken}
	id, _ := old.Extra("identityId").(string)
	return c.call(ctx, "refresh", RefreshPath, body, id)
}

func (c *client) call(ctx context.Context, op, path string, body any, identityID string) (*oauth2.Token, error) {
	r, err := wire.Do(ctx, wire.Call{
		Provider: "mic",
		Op:       op,
		Client:   c.http,
		URL:      c.base + path,
		Header:   http.Header{"X-Api-Key": {c.cfg.APIKey}},
		Body:     body,
		Now:      c.cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	if !r.OK() {
		return nil, apiError(r)
	}
	var v credentials
	if err := r.Decode(&v); err != nil {
		return nil, err
	}
	cr := v.Credentials
	if cr.Token == "" {
		if code, msg := errorMessage(r.Body); code != "" || msg != "" {
			return nil, apiError(r)
		}
		return nil, r.Missing("credentials.token")
	}
	if cr.IdentityID != "" {
		identityID = cr.IdentityID
	}
	tok := &oauth2.Token{AccessToken: cr.Token, RefreshToken: cr.RefreshToken}
	if identityID != "" {
		tok = tok.WithExtra(map[string]any{"identityId": identityID})
	}
	return tok, nil
}

// apiError turns a MIC error answer into a LoginError. At login,
// INVALID_LOGIN (a wrong user name or password), a 401, and a 403 (the API
// gateway's answer to a wrong API key) refuse the credentials: retrying
// will not change them.
func apiError(r *wire.Response) error {
	code, msg := errorMessage(r.Body)
	if code == "" && msg == "" {
		return r.Unexpected()
	}
	return r.ProviderError(code, msg, r.Op == "login" &&
		(code == "INVALID_LOGIN" || r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden))
}

// errorMessage returns the messageKey and message of a MIC error body,
// which has one of the shapes
//
//	{"errorMessage": {"message": "...", "messageKey": "..."}}
//	{"errorMessage": "{\"message\": \"...\", \"messageKey\": \"...\"}"}
//	{"message": {"message": "...", "messageKey": "..."}}
//	{"message": "...", "messageKey": "..."}
//	{"message": "..."}
//
// The second is the older direct-Lambda route's: the error object encoded
// as JSON inside a JSON string. It returns empty strings for a body that
// is none of them.
func errorMessage(body []byte) (code, msg string) {
	return decodeMessage(body, 0)
}

func decodeMessage(body []byte, depth int) (code, msg string) {
	var e struct {
		Message      json.RawMessage `json:"message"`
		MessageKey   json.RawMessage `json:"messageKey"`
		ErrorMessage json.RawMessage `json:"errorMessage"`
	}
	if depth > 1 || json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	json.Unmarshal(e.MessageKey, &code)
	for _, raw := range []json.RawMessage{e.ErrorMessage, e.Message} {
		if msg != "" {
			break
		}
		var c, m string
		if json.Unmarshal(raw, &m) == nil {
			// A string that holds an error object is read as that object.
			if s := strings.TrimSpace(m); strings.HasPrefix(s, "{") {
				if c2, m2 := decodeMessage([]byte(s), depth+1); c2 != "" || m2 != "" {
					c, m = c2, m2
				}
			}
		} else {
			c, m = decodeMessage(raw, depth+1)
		}
		if code == "" {
			code = c
		}
		msg = m
	}
	return code, msg
}

// DefaultRefused reports whether resp refuses MIC credentials: a 401, or
// a 403 whose JSON message is about the token (such as "Missing
// Authentication Token" or "The incoming token has expired"). MIC's API
// Gateway checks the token with a Cognito authorizer, which answers 401
// {"message":"Unauthorized"} for a missing or invalid token and 401
// {"message":"The incoming token has expired"} for an expired one. A 403
// that denies a permission (messageKey NOT_AUTHORIZED) or refuses the API
// key ({"message":"Forbidden"}) is not a refusal: logging in again would
// not change it. It reads at most 16 KiB of a 403 body, and leaves the
// body for the caller to read in full.
func DefaultRefused(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return true
	case http.StatusForbidden:
		b, ok := wire.PeekJSON(resp, peekLimit)
		return ok && tokenRefusal(b)
	}
	return false
}

// tokenRefusal reports whether a 403 body is about the token.
func tokenRefusal(body []byte) bool {
	code, msg := errorMessage(body)
	return code != "NOT_AUTHORIZED" && strings.Contains(strings.ToLower(msg), "token")
}

// ErrUnknownHostname is wrapped by the error [Discover] returns when the
// discovery manifest knows no stack for the host name.
var ErrUnknownHostname = errors.New("no MIC stack is registered for hostname")

// Discoverer finds the Config of a MIC stack from the host name of its
// web application. The zero value asks [DiscoveryURL] with a default
// client.
type Discoverer struct {
	// Client sends the discovery requests. Nil means a default client.
	// Either way, redirects to another origin are refused.
	Client *http.Client

	// URL is the discovery manifest endpoint. Empty means [DiscoveryURL].
	URL string
}

// Discover is Discoverer{}.Discover: it asks [DiscoveryURL] for the
// stack behind hostname.
func Discover(ctx context.Context, hostname string) (Config, error) {
	return Discoverer{}.Discover(ctx, hostname)
}

// Discover asks the discovery manifest for the stack behind hostname (the
// host name of a MIC web application, such as "app.example.com"), then
// asks the stack's own manifest for its API key. It returns a Config with
// BaseURL, APIKey and HTTPClient set, for the caller to add the
// credentials to. Failures are *loginauth.LoginError values with Op
// "discover"; an unknown host name wraps [ErrUnknownHostname].
func (d Discoverer) Discover(ctx context.Context, hostname string) (Config, error) {
	if hostname == "" {
		return Config{}, errors.New("mic: Discover: hostname is required")
	}
	raw := d.URL
	if raw == "" {
		raw = DiscoveryURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("mic: Discover: bad discovery URL: %w", err)
	}
	q := u.Query()
	q.Set("hostname", hostname)
	u.RawQuery = q.Encode()

	hc := wire.Client(d.Client)
	var stack struct {
		Root      string `json:"ApiGatewayRootUrl"`
		StackName string `json:"StackName"`
	}
	r, err := get(ctx, hc, u.String(), &stack)
	if err != nil {
		return Config{}, err
	}
	switch {
	case stack.Root == "" && stack.StackName == "":
		return Config{}, r.Fail(fmt.Errorf("%w %q", ErrUnknownHostname, hostname))
	case stack.Root == "":
		return Config{}, r.Missing("ApiGatewayRootUrl")
	case stack.StackName == "":
		return Config{}, r.Missing("StackName")
	}
	base := wire.Base(stack.Root) + "/" + strings.Trim(stack.StackName, "/")

	var meta struct {
		APIKey string `json:"ApiKey"`
	}
	if r, err = get(ctx, hc, base+ManifestPath, &meta); err != nil {
		return Config{}, err
	}
	if meta.APIKey == "" {
		return Config{}, r.Missing("ApiKey")
	}
	return Config{BaseURL: base, APIKey: meta.APIKey, HTTPClient: d.Client}, nil
}

// get GETs the JSON document at url into v.
func get(ctx context.Context, hc *http.Client, url string, v any) (*wire.Response, error) {
	r, err := wire.Do(ctx, wire.Call{Provider: "mic", Op: "discover", Method: http.MethodGet, Client: hc, URL: url})
	switch {
	case err != nil:
		return nil, err
	case !r.OK():
		return nil, apiError(r)
	}
	return r, r.Decode(v)
}
