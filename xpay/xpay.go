// Package xpay authenticates HTTP clients against the xPay API.
//
// An xPay client authenticates with a user name (an e-mail address) and a
// secret key, and sends the access token it gets as a bearer token:
//
//	src := xpay.NewSource(xpay.Config{BaseURL: xpay.ProductionURL, Username: email, SecretKey: key})
//	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
//
// xPay answers business errors, a refused login among them, with HTTP 200
// and an "error" envelope:
//
//	{"error": {"message": "invalid credentials", "data": {"invalid": true}, "tag": "..."}, "uuid": "..."}
//
// A refused login becomes a *loginauth.LoginError whose Message is the
// envelope's message and whose Code is its tag (a reference to the error
// in xPay's logs, not an error code).
//
// # Refused tokens
//
// How xPay refuses a missing, expired or revoked token is undocumented.
// Its access token is a JWT and its samples are Node code, so its server
// is likely a Node one, whose JWT middleware refuses a token with a fixed
// message. [DefaultRefused] takes as a refusal a 401 or a 403, or a 200
// error envelope whose whole message, trimmed and ignoring case, is one
// of these:
//
//   - jsonwebtoken: "jwt must be provided", "jwt must be a string",
//     "jwt malformed", "jwt signature is required", "invalid token",
//     "invalid algorithm", "invalid signature", "invalid nbf value",
//     "jwt not active", "invalid exp value", "jwt expired",
//     "maxAge exceeded", "iat required when maxAge is specified"; and
//     "jwt audience invalid", "jwt issuer invalid", "jwt subject invalid",
//     "jwt jwtid invalid", "jwt nonce invalid", alone or followed by
//     jsonwebtoken's ". expected: <value>";
//   - express-jwt: "No authorization token was found",
//     "Format is Authorization: Bearer [token]", "The token has been revoked.";
//   - passport-jwt: "No auth token".
//
// It never matches part of a message. The business errors of a payments
// API speak of tokens ("destination token account is closed"), and taking
// one for a refusal would throw the token away, log in again and send the
// payment a second time. jsonwebtoken's errors about the server's own
// configuration ("secret or public key must be provided") are left out,
// as a new token would not cure them. [Config.Refused] replaces the rule.
//
// [DefaultRefused] reads a 200 body only as far as it must, so that it
// does not hold up an answer that the server streams: a success is known
// from its first key, and only an error envelope is read to its end,
// never past 16 KiB and one byte (which tells that the body goes on). The
// caller reads the whole body all the same.
package xpay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/peek"
	"github.com/loginauth/loginauth/internal/redact"
	"github.com/loginauth/loginauth/internal/wire"
)

// ProductionURL is the documented API host, for [Config.BaseURL].
const ProductionURL = "https://apis.xpay.stream"

// AuthenticatePath is the login endpoint, relative to [Config.BaseURL]:
// {"username", "secretKey", "isAPI": true} → success.data.access_token
// (https://docs.xpay.stream/authentication-api).
const AuthenticatePath = "/client/authenticate"

// xPay's documented API endpoints, relative to [Config.BaseURL]. Each is
// a POST with a JSON body and the bearer token.
const (
	// WalletsSavePath creates a wallet, or updates the tag of one:
	// https://docs.xpay.stream/wallets/create-wallet
	WalletsSavePath = "/client/wallets/save"
	// BillsSavePath creates a bill: https://docs.xpay.stream/billing/create-bill
	BillsSavePath = "/client/bills/save"
	// BillsViewPath returns a bill by its reference:
	// https://docs.xpay.stream/billing/get-bill-info
	BillsViewPath = "/client/bills/view"
	// BillsFindPath searches bills: https://docs.xpay.stream/billing/search-bills
	BillsFindPath = "/client/bills/find"
)

// DefaultLifetime is the lifetime of a token whose answer states no
// expiresAt and which has no readable exp claim, used when
// [loginauth.Options.Lifetime] is zero.
const DefaultLifetime = time.Hour

// peekLimit bounds the body that [DefaultRefused] reads, and the body
// declared long that it does not read at all: a refusal is short.
const peekLimit = peek.Limit

// Config describes an xPay API account. BaseURL, Username and SecretKey
// are required.
//
// Its Format method prints it without its secrets. fmt cannot call that
// method on a Config held in an unexported field of another struct: it
// prints such a field with reflection, secrets included. Do not print
// structs that hold a Config in an unexported field.
type Config struct {
	// BaseURL is the API host, normally [ProductionURL].
	BaseURL string

	// Username (the account's e-mail address) and SecretKey are the
	// account's credentials.
	Username  string
	SecretKey string

	// HTTPClient sends the login calls. Nil means a default client.
	// Either way, redirects to another origin are refused.
	HTTPClient *http.Client

	// Refused reports whether a response refuses the credentials, so that
	// the Transport logs in again and re-sends the request. Nil means
	// [DefaultRefused].
	Refused loginauth.RefusalFunc

	// Options holds the settings shared by every provider. A zero
	// Lifetime means [DefaultLifetime].
	loginauth.Options
}

// Format prints c without its secret key, whatever the verb.
func (c Config) Format(f fmt.State, verb rune) {
	redact.Format(f, c, secretFields...)
}

// secretFields names the fields of [Config] that hold secrets: they are
// redacted when a Config is printed, and scrubbed out of every error.
var secretFields = []string{"SecretKey"}

// check returns an error naming the first required field that is empty.
func (c *Config) check() error {
	if err := wire.Required("xpay", "BaseURL", c.BaseURL, "Username", c.Username); err != nil {
		return err
	}
	return wire.RequiredSecret("xpay", "SecretKey", c.SecretKey)
}

// NewSource returns a Source that authenticates with xPay at cfg.BaseURL
// and sends its access token as a bearer token. The token expires at the
// answer's expiresAt. It never fails: when cfg lacks a required field,
// every call of the Source fails with an error that names it.
func NewSource(cfg Config) *loginauth.Source {
	base := wire.Base(cfg.BaseURL)
	c := &client{cfg: cfg, url: base + AuthenticatePath, http: wire.Client(cfg.HTTPClient)}
	refused := cfg.Refused
	if refused == nil {
		refused = DefaultRefused
	}
	return loginauth.New(loginauth.Config{
		Provider:        "xpay",
		Login:           c.login,
		Scheme:          loginauth.HeaderScheme{Prefix: "Bearer", IsRefused: refused},
		Origins:         []string{cfg.BaseURL},
		StoreKey:        wire.StoreKey("xpay", base, cfg.Username),
		DefaultLifetime: DefaultLifetime,
		Secrets:         redact.Values(cfg, secretFields...),
		Options:         cfg.Options,
		Err:             cfg.check(),
	})
}

// client makes the login calls of one Config.
type client struct {
	cfg  Config
	url  string // of the login endpoint
	http *http.Client
}

// envelope is an xPay answer: a success or an error.
type envelope struct {
	Success *struct {
		Data struct {
			AccessToken string  `json:"access_token"`
			ExpiresAt   float64 `json:"expiresAt"` // Unix epoch in milliseconds
		} `json:"data"`
	} `json:"success"`
	Error *apiError `json:"error"`
}

// apiError is the error envelope's content.
type apiError struct {
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	Tag     string          `json:"tag"`
}

func (c *client) login(ctx context.Context) (*oauth2.Token, error) {
	r, err := wire.Do(ctx, wire.Call{
		Provider: "xpay",
		Op:       "login",
		Client:   c.http,
		URL:      c.url,
		Body: struct {
			Username  string `json:"username"`
			SecretKey string `json:"secretKey"`
			IsAPI     bool   `json:"isAPI"`
		}{c.cfg.Username, c.cfg.SecretKey, true},
	})
	if err != nil {
		return nil, err
	}
	var v envelope
	if !r.OK() {
		if json.Unmarshal(r.Body, &v) == nil && v.Error != nil {
			return nil, v.Error.loginError(r)
		}
		return nil, r.Unexpected()
	}
	if err := r.Decode(&v); err != nil {
		return nil, err
	}
	switch {
	case v.Error != nil:
		return nil, v.Error.loginError(r)
	case v.Success == nil || v.Success.Data.AccessToken == "":
		return nil, r.Missing("success.data.access_token")
	}
	d := v.Success.Data
	return &oauth2.Token{AccessToken: d.AccessToken, Expiry: epoch(d.ExpiresAt)}, nil
}

// maxEpochMilli is the first millisecond after year 9999.
const maxEpochMilli = 253402300800000

// epoch converts expiresAt, documented as milliseconds since the Unix
// epoch, to a time; a value too small to be milliseconds of this century
// is taken as seconds. Zero (absent) gives the zero time.
func epoch(v float64) time.Time {
	switch {
	case v <= 0 || v >= maxEpochMilli:
		return time.Time{} // absurd: let the Source fall back to the JWT or Lifetime
	case v < 1e11:
		return time.Unix(int64(v), 0)
	}
	return time.UnixMilli(int64(v))
}

// loginError turns an error envelope into a LoginError whose Code is the
// envelope's tag. "invalid credentials", or data.invalid, refuses the
// credentials.
func (e *apiError) loginError(r *wire.Response) *loginauth.LoginError {
	var data struct {
		Invalid bool `json:"invalid"`
	}
	json.Unmarshal(e.Data, &data)
	le := r.ProviderError(e.Tag, e.Message, data.Invalid || strings.Contains(strings.ToLower(e.Message), "invalid credentials"))
	if le.Message == "" && le.Code == "" {
		le.Err = fmt.Errorf("response is an error envelope without a message (read %d bytes)", len(r.Body))
	}
	return le
}

// DefaultRefused reports whether resp refuses xPay credentials: a 401 or
// a 403, or a 200 whose body is an error envelope that refuses the token
// (see the package documentation). Of a 200 whose Content-Type is JSON or
// absent, and whose declared length is at most 16 KiB, it reads only as
// far as it must: up to the first of the top-level keys "success" and
// "error", and, for a refusal, to the end of the envelope; never more than
// 16 KiB and one byte. It then puts back what it read, so that the caller
// reads the whole body, byte for byte, as the server sent it.
func DefaultRefused(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	case http.StatusOK:
		if !wire.JSONOrAbsent(resp.Header) {
			return false
		}
		return peek.Judge(resp, peekLimit, func(b *peek.Body) bool { return refusal(b.Reader()) })
	}
	return false
}

// refusal reads an xPay envelope from r as far as it must to tell whether
// it refuses the token: the first of its top-level members "success" and
// "error" decides, other members ("uuid") are skipped. It is a refusal
// when "error" is an object whose first "message" is a string that
// refuses the token (refusesToken), and only when the whole envelope is
// well-formed JSON: a refusal costs a login and re-sends the request, so
// a body that is cut short or too long to read is never one.
func refusal(r io.Reader) bool {
	env := peek.OpenObject(r)
	if name, ok := env.FirstOf("success", "error"); !ok || name != "error" {
		return false
	}
	e := env.Object()
	if _, ok := e.FirstOf("message"); !ok {
		return false
	}
	msg, ok := e.Value()
	var m string
	return ok && json.Unmarshal(msg, &m) == nil && refusesToken(m) && e.End() && env.End()
}

// tokenRefusals are the messages with which Node's JWT middleware refuses
// a token, lower-cased: jsonwebtoken's verify, express-jwt and
// passport-jwt.
var tokenRefusals = []string{
	"jwt must be provided", "jwt must be a string", "jwt malformed",
	"jwt signature is required", "invalid token", "invalid algorithm",
	"invalid signature", "invalid nbf value", "jwt not active",
	"invalid exp value", "jwt expired", "maxage exceeded",
	"iat required when maxage is specified",
	"no authorization token was found", "format is authorization: bearer [token]",
	"the token has been revoked.",
	"no auth token",
}

// claimRefusals are jsonwebtoken's messages for a claim that does not
// match, lower-cased, which go on with ". expected: <the value>".
var claimRefusals = []string{
	"jwt audience invalid", "jwt issuer invalid", "jwt subject invalid",
	"jwt jwtid invalid", "jwt nonce invalid",
}

// refusesToken reports whether msg, trimmed and ignoring case, is one of
// the messages of tokenRefusals or claimRefusals, whole.
func refusesToken(msg string) bool {
	m := strings.ToLower(strings.TrimSpace(msg))
	if slices.Contains(tokenRefusals, m) {
		return true
	}
	for _, c := range claimRefusals {
		if rest, ok := strings.CutPrefix(m, c); ok && (rest == "" || strings.HasPrefix(rest, ". expected: ")) {
			return true
		}
	}
	return false
}
