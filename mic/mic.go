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
// [golang.org/x/oauth2.NewClient] and [golang.org/x/oauth2.Transport] cannot: they send one
// Authorization header with a token type ("Bearer <token>") and neither
// identityId nor the API key, and MIC refuses the request. The Source is
// still an [golang.org/x/oauth2.TokenSource], for code that needs the token itself.
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
// # A description with Go hooks
//
// The login, the refresh and the three header fields are data: an
// embedded [jsonlogin] description (mic.json) that the one engine runs,
// as it runs xano's, crux's and xpay's. Three things stay Go, as hooks
// the engine calls, because a rule cannot say them:
//
//   - the error object of the older direct-Lambda route, JSON encoded
//     inside a JSON string ({"errorMessage": "{\"messageKey\": ...}"}):
//     a rule's pointers reach into objects, not into text that holds
//     one, so an error hook ([jsonlogin.Overrides] Error) decodes it;
//   - [DefaultRefused], which reads that same error object, in either
//     form, out of a 403; the description's refused rule reads the plain
//     form only, for the description run on its own;
//   - [Discover], which is no login at all: two GETs before there is an
//     account to log in with.
//
// See https://docs.telenorconnexion.com/mic/rest-api/ for the API.
package mic

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/config"
	"github.com/loginauth/loginauth/internal/embedded"
	"github.com/loginauth/loginauth/internal/redact"
	"github.com/loginauth/loginauth/internal/wire"
	"github.com/loginauth/loginauth/jsonlogin"
)

// description is MIC's login, refresh and credential header as a
// [jsonlogin] description, which every Source runs; the Config fills its
// variables and overrides. Go hooks decode what data cannot: see the
// package documentation.
//
//go:embed mic.json
var description []byte

var spec = embedded.Parse(description)

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
	if err := config.Required("mic", "BaseURL", c.BaseURL, "APIKey", c.APIKey, "Username", c.Username); err != nil {
		return err
	}
	return config.RequiredSecret("mic", "Password", c.Password)
}

// NewSource returns a Source that logs in to the MIC stack at
// cfg.BaseURL, renews its token through [RefreshPath], and puts the
// token, the identityId and the API key on requests. It never fails: when
// cfg lacks a required field, every call of the Source fails with an
// error that names it.
//
// The token's Extra field "identityId" holds the identityId of the login.
func NewSource(cfg Config) *loginauth.Source {
	refused := cfg.Refused
	if refused == nil {
		refused = DefaultRefused
	}
	o := jsonlogin.Overrides{
		StoreKey: config.StoreKey("mic", config.Base(cfg.BaseURL), cfg.Username),
		Check:    cfg.check,
		Refused:  refused,
		Error:    decodeError,
	}
	vars := map[string]string{"base_url": cfg.BaseURL, "api_key": cfg.APIKey, "username": cfg.Username, "password": cfg.Password}
	return embedded.Source(spec, o, vars, cfg.HTTPClient, cfg.Options)
}

// apiError turns a MIC error answer of a discovery call into a
// LoginError; see decodeError.
func apiError(r *wire.Response) error {
	le := r.Unexpected()
	decodeError(le, r.Body)
	return le
}

// decodeError gives a LoginError the messageKey and message of a MIC
// error answer, which may be an error object inside a JSON string (see
// errorMessage); an answer that holds neither stays an unexpected one.
// At login, INVALID_LOGIN (a wrong user name or password), a 401, and a
// 403 (the API gateway's answer to a wrong API key) refuse the
// credentials: retrying will not change them.
func decodeError(le *loginauth.LoginError, body []byte) {
	code, msg := errorMessage(body)
	if code == "" && msg == "" {
		le.BadCredentials = false
		return
	}
	le.Code, le.Message, le.Err = code, msg, nil
	le.BadCredentials = le.Op == "login" &&
		(code == "INVALID_LOGIN" || le.Status == http.StatusUnauthorized || le.Status == http.StatusForbidden)
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
	base := config.Base(stack.Root) + "/" + strings.Trim(stack.StackName, "/")

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
