// Package xano authenticates HTTP clients against the API groups of a
// Xano backend.
//
// A Xano client logs in with an e-mail address and a password and sends
// the token it gets as "Authorization: Bearer <authToken>":
//
//	src := xano.NewSource(xano.Config{BaseURL: base, Email: email, Password: pass})
//	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
//	resp, err := client.Get(base + "/auth/me")
//
// Login endpoints are built per project: the token is read from the
// answer's authToken, auth_token or token, or the field that
// [Config.TokenField] names. Behind a proxy that uses Authorization
// itself, [Config.AuthHeader] moves the token to X-Xano-Authorization.
//
// Xano has no refresh endpoint and its tokens (JWE) cannot be read by the
// client: the Source logs in again when the token's lifetime
// ([loginauth.Options.Lifetime], by default [DefaultLifetime]) has
// passed, or when the API refuses the token: a 401, which Xano answers
// to a missing, invalid or expired token (ERROR_CODE_UNAUTHORIZED). The
// errors of an endpoint's own checks (403 ERROR_CODE_ACCESS_DENIED and
// ERROR_CODE_PERMISSION_DENIED, 400 ERROR_CODE_BAD_REQUEST and
// ERROR_CODE_INPUT_ERROR, 500 ERROR_FATAL) are handed to the caller, and
// the token stays in use. [Signup] creates an account and returns a
// Source that already holds its token.
//
// The login is data: the [jsonlogin] description xano.json, embedded and
// run by the same engine as any description; the Config fills its
// variables, and [Config.TokenField] and [Config.AuthHeader] override
// where the token is read and which header carries it. Go remains for
// what a description cannot say: [Signup], a call made once before the
// Source takes over, and [ParamError], decoded from an error answer.
//
// See https://docs.xano.com/building-backend-features/user-authentication-and-user-data
// for Xano's authentication.
package xano

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/config"
	"github.com/loginauth/loginauth/internal/embedded"
	"github.com/loginauth/loginauth/internal/redact"
	"github.com/loginauth/loginauth/jsonlogin"
)

// description is Xano's login API as a [jsonlogin] description, which
// every Source runs; the Config fills its variables and overrides.
//
//go:embed xano.json
var description []byte

var spec = embedded.Parse(description)

// Endpoints of the authentication API group, relative to
// [Config.BaseURL], as Xano's pre-built authentication endpoints define
// them.
const (
	// LoginPath logs in: {"email", "password"} → {"authToken"}.
	LoginPath = "/auth/login"
	// SignupPath creates an account: {"name", "email", "password"} →
	// {"authToken"}.
	SignupPath = "/auth/signup"
	// MePath returns the record of the logged-in user.
	MePath = "/auth/me"
)

// Header fields that carry a Xano token in place of Authorization, for a
// project behind a proxy that uses Authorization itself; see
// [Config.AuthHeader].
const (
	// AuthorizationHeader carries "Bearer <token>" in place of
	// Authorization.
	AuthorizationHeader = "X-Xano-Authorization"
	// AuthorizationOnlyHeader, set to "true", makes Xano read the token
	// from AuthorizationHeader only, and ignore Authorization.
	AuthorizationOnlyHeader = "X-Xano-Authorization-Only"
)

// DefaultLifetime is the token lifetime of Xano's default authentication
// endpoints (86400 s), used when [loginauth.Options.Lifetime] is zero.
// Set Lifetime when the login endpoint is configured otherwise.
const DefaultLifetime = 24 * time.Hour

// Config describes a Xano account. BaseURL, Email and Password are
// required.
//
// Its Format method prints it without its secrets. fmt cannot call that
// method on a Config held in an unexported field of another struct: it
// prints such a field with reflection, secrets included. Do not print
// structs that hold a Config in an unexported field.
type Config struct {
	// BaseURL is the API group's base URL, with the group (and the branch,
	// if any): "https://x1a2-b3c4.n7.xano.io/api:AbCdEfGh".
	BaseURL string

	// Email and Password are the account's credentials.
	Email    string
	Password string

	// HTTPClient sends the login and signup calls. Nil means a default
	// client. Either way, redirects to another origin are refused.
	HTTPClient *http.Client

	// TokenField names the field of the login and signup answers that
	// holds the token, for login endpoints that a project built to answer
	// otherwise: it is then the only field read. Empty means the first
	// non-empty string among "authToken" (Xano's templates), "auth_token"
	// and "token", read in that order. Names match exactly.
	TokenField string

	// AuthHeader names the header field that carries "Bearer <token>".
	// Empty means Authorization. With [AuthorizationHeader], requests also
	// carry "X-Xano-Authorization-Only: true", so that Xano reads the token
	// there and leaves Authorization to a proxy in front of it;
	// [AuthorizationOnlyHeader] is taken to mean the same, as that field
	// is a flag and carries no token. Any other name carries the token
	// alone, for a proxy that moves it to Authorization.
	AuthHeader string

	// Options holds the settings shared by every provider. A zero
	// Lifetime means [DefaultLifetime].
	loginauth.Options
}

// Format prints c without its password, whatever the verb.
func (c Config) Format(f fmt.State, verb rune) {
	redact.Format(f, c, secretFields...)
}

// secretFields names the fields of [Config] that hold secrets: they are
// redacted when a Config is printed, and scrubbed out of every error.
var secretFields = []string{"Password"}

// check returns an error naming the first required field that is empty,
// or a field that is set wrong.
func (c *Config) check() error {
	if err := config.Required("xano", "BaseURL", c.BaseURL, "Email", c.Email); err != nil {
		return err
	}
	if c.AuthHeader != "" && !fieldName(c.AuthHeader) {
		return fmt.Errorf("xano: Config.AuthHeader %q is not a header field name", c.AuthHeader)
	}
	return config.RequiredSecret("xano", "Password", c.Password)
}

// fieldName reports whether s is a header field name: a token of RFC 9110.
func fieldName(s string) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return s != ""
}

// NewSource returns a Source that logs in to the Xano API group at
// cfg.BaseURL and sends its token as a bearer token. It never fails: when
// cfg lacks a required field, every call of the Source fails with an
// error that names it.
func NewSource(cfg Config) *loginauth.Source {
	return embedded.Source(spec, cfg.overrides(), cfg.vars(), cfg.HTTPClient, cfg.Options)
}

// vars returns the description's variables.
func (c *Config) vars() map[string]string {
	return map[string]string{"base_url": c.BaseURL, "email": c.Email, "password": c.Password}
}

// overrides returns what c sets of the description: where the token is,
// the header that carries it, the store key of today's tokens and the
// check of c; and the decoding of an error's param.
func (c *Config) overrides() jsonlogin.Overrides {
	o := jsonlogin.Overrides{
		StoreKey: config.StoreKey("xano", config.Base(c.BaseURL), c.Email),
		Check:    c.check,
		Error:    paramError,
	}
	if c.TokenField != "" {
		o.Token = []string{"/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(c.TokenField)}
	}
	switch h := http.CanonicalHeaderKey(c.AuthHeader); h {
	case "", "Authorization":
	case AuthorizationHeader, AuthorizationOnlyHeader:
		o.Header = map[string]string{AuthorizationHeader: "Bearer {{token}}", AuthorizationOnlyHeader: "true"}
	default:
		o.Header = map[string]string{h: "Bearer {{token}}"}
	}
	return o
}

// Signup creates the account cfg.Email with cfg.Password and the given
// name through [SignupPath], and returns a Source that holds the new
// account's token; it logs in with cfg's credentials when that token
// expires or is refused. A refused signup (an address already in use,
// say) returns a *loginauth.LoginError with Op "signup".
func Signup(ctx context.Context, cfg Config, name string) (*loginauth.Source, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	o := cfg.overrides()
	o.LoginPath, o.LoginOp, o.LoginJSON = SignupPath, "signup", map[string]any{"name": name}
	signup, err := embedded.Spec(spec, o, cfg.HTTPClient)
	if err != nil {
		return nil, err
	}
	tok, err := signup.Login(ctx, cfg.vars(), cfg.Options)
	if err != nil {
		return nil, err
	}
	// The Source's first login hands out the signup token; later ones log in.
	var first atomic.Pointer[oauth2.Token]
	first.Store(tok)
	o = cfg.overrides()
	o.WrapLogin = func(login loginauth.LoginFunc) loginauth.LoginFunc {
		return func(ctx context.Context) (*oauth2.Token, error) {
			if t := first.Swap(nil); t != nil {
				return t, nil
			}
			return login(ctx)
		}
	}
	src := embedded.Source(spec, o, cfg.vars(), cfg.HTTPClient, cfg.Options)
	_, err = src.TokenContext(ctx)
	first.Store(nil) // unused when a Store held a token: never hand it out later
	if err != nil {
		return nil, err
	}
	return src, nil
}

// paramError makes a param of a Xano error answer, under payload or at
// the top level, the LoginError's Err: a *[ParamError]. An answer
// without a code or a message is an unexpected one, whatever its param.
func paramError(le *loginauth.LoginError, body []byte) {
	var e struct {
		Param   json.RawMessage `json:"param"`
		Payload json.RawMessage `json:"payload"`
	}
	if (le.Code != "" || le.Message != "") && json.Unmarshal(body, &e) == nil {
		if p := param(e.Payload, e.Param); p != "" {
			le.Err = &ParamError{Param: p}
		}
	}
}

// param returns the string payload.param, or else the string top-level
// param, of an error answer; "" when neither is one.
func param(payload, top json.RawMessage) string {
	var in struct {
		Param json.RawMessage `json:"param"`
	}
	var p string
	if json.Unmarshal(payload, &in) == nil && json.Unmarshal(in.Param, &p) == nil && p != "" {
		return p
	}
	if json.Unmarshal(top, &p) == nil {
		return p
	}
	return ""
}

// ParamError names the input that a Xano error answer refers to, such as
// the param of an ERROR_CODE_INPUT_ERROR. It is the Err of the
// [loginauth.LoginError]: find it with [errors.As].
type ParamError struct {
	// Param is the name of the input, such as "email"; never its value.
	Param string
}

// Error returns `param "<name>"`.
func (e *ParamError) Error() string { return fmt.Sprintf("param %q", e.Param) }
