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
//
// The login and the refusal rule are data: the [jsonlogin] description
// xpay.json, embedded and run by the same engine as any description, of
// which [DefaultRefused] is the refused rule; the Config fills its
// variables.
package xpay

import (
	_ "embed"
	"fmt"
	"net/http"
	"time"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/config"
	"github.com/loginauth/loginauth/internal/embedded"
	"github.com/loginauth/loginauth/internal/redact"
	"github.com/loginauth/loginauth/jsonlogin"
)

// description is xPay's login API as a [jsonlogin] description, which
// every Source runs, its refusal rule included; the Config fills its
// variables and overrides.
//
//go:embed xpay.json
var description []byte

var spec = embedded.Parse(description)

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
	if err := config.Required("xpay", "BaseURL", c.BaseURL, "Username", c.Username); err != nil {
		return err
	}
	return config.RequiredSecret("xpay", "SecretKey", c.SecretKey)
}

// NewSource returns a Source that authenticates with xPay at cfg.BaseURL
// and sends its access token as a bearer token. The token expires at the
// answer's expiresAt. It never fails: when cfg lacks a required field,
// every call of the Source fails with an error that names it.
func NewSource(cfg Config) *loginauth.Source {
	o := jsonlogin.Overrides{
		StoreKey: config.StoreKey("xpay", config.Base(cfg.BaseURL), cfg.Username),
		Check:    cfg.check,
		Refused:  cfg.Refused,
	}
	vars := map[string]string{"base_url": cfg.BaseURL, "username": cfg.Username, "secret_key": cfg.SecretKey}
	return embedded.Source(spec, o, vars, cfg.HTTPClient, cfg.Options)
}

// DefaultRefused reports whether resp refuses xPay credentials: a 401 or
// a 403, or a 200 whose body is an error envelope that refuses the token
// (see the package documentation). Of a 200 whose Content-Type is JSON or
// absent, and whose declared length is at most 16 KiB, it reads only as
// far as it must: up to the first of the top-level keys "success" and
// "error", and, for a refusal, to the end of the envelope; never more than
// 16 KiB and one byte. It then puts back what it read, so that the caller
// reads the whole body, byte for byte, as the server sent it. It is the
// refused rule of the embedded description.
func DefaultRefused(resp *http.Response) bool { return spec.Refused(resp) }
