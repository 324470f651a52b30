// Package crux authenticates HTTP clients against the CruxConnect API.
//
// A CruxConnect client logs in with a user name and password and sends the
// token it gets as "Authorization: Token <auth_token>":
//
//	src := crux.NewSource(crux.Config{BaseURL: crux.ProductionURL, Username: user, Password: pass})
//	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
//
// Tokens expire two hours after the login and there is no refresh
// endpoint: the Source logs in again when the token's lifetime
// ([loginauth.Options.Lifetime], by default [DefaultLifetime]) has
// passed, or when the API refuses the token. Requests with a body should carry
// "Content-Type: application/json; charset=utf-8", which the API wants
// on every call: it answers 415 to a body of another type. The Transport
// leaves the caller's Content-Type alone.
//
// The Source's tokens have the TokenType "Token", so that
// oauth2.NewClient(ctx, src) sends them as Crux wants too (oauth2's
// default, "Bearer", is refused); only a [loginauth.Transport] logs in
// again and re-sends a request that the API refused.
//
// CruxConnect's documentation (https://github.com/CruxConnect/crux-docs)
// is old: its pages predate a change of February 2018 that removed "api"
// from the URLs, and it was last updated in 2019. The paths here are the
// documented ones, and the service may have moved them since. If the
// login answers 404, the error says so: set [Config.LoginPath] to the
// path the API serves now.
//
// The login is data: the [jsonlogin] description crux.json, embedded and
// run by the same engine as any description; the Config fills its
// variables and overrides its login path. Go remains for what a
// description cannot say: the 404 hint, and the message made of Django
// REST Framework's field errors.
package crux

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/config"
	"github.com/loginauth/loginauth/internal/embedded"
	"github.com/loginauth/loginauth/internal/redact"
	"github.com/loginauth/loginauth/jsonlogin"
)

// description is CruxConnect's login API as a [jsonlogin] description,
// which every Source runs; the Config fills its variables and overrides.
//
//go:embed crux.json
var description []byte

var spec = embedded.Parse(description)

// The documented hosts, for [Config.BaseURL].
const (
	ProductionURL = "https://api.cruxconnect.com"
	SandboxURL    = "https://api-sandbox.cruxconnect.com"
	DevURL        = "https://api-dev.cruxconnect.com"
)

// Login endpoints, relative to [Config.BaseURL]. Every CruxConnect path
// ends with a slash.
const (
	// LoginPath logs in: {"username", "password"} → {"auth_token", "org_uuid", ...}.
	LoginPath = "/timp/organizations/user-login/"
	// LoginPathV1 is the login endpoint of the v1 API.
	LoginPathV1 = "/organizations/user-login/"
)

// ContentType is the request Content-Type the API documents for every call.
const ContentType = "application/json; charset=utf-8"

// DefaultLifetime is the documented lifetime of a token, used when
// [loginauth.Options.Lifetime] is zero.
const DefaultLifetime = 2 * time.Hour

// Config describes a CruxConnect account. BaseURL, Username and Password
// are required.
//
// Its Format method prints it without its secrets. fmt cannot call that
// method on a Config held in an unexported field of another struct: it
// prints such a field with reflection, secrets included. Do not print
// structs that hold a Config in an unexported field.
type Config struct {
	// BaseURL is the API host, such as [ProductionURL] or [SandboxURL].
	BaseURL string

	// Username and Password are the account's credentials.
	Username string
	Password string

	// LoginPath is the login endpoint. Empty means [LoginPath]; set
	// [LoginPathV1] for the v1 API, or the path the API serves if it has
	// moved since its documentation was written.
	LoginPath string

	// HTTPClient sends the login calls. Nil means a default client.
	// Either way, redirects to another origin are refused.
	HTTPClient *http.Client

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

// check returns an error naming the first required field that is empty.
func (c *Config) check() error {
	if err := config.Required("crux", "BaseURL", c.BaseURL, "Username", c.Username); err != nil {
		return err
	}
	return config.RequiredSecret("crux", "Password", c.Password)
}

// NewSource returns a Source that logs in to CruxConnect at cfg.BaseURL
// and sends its token as "Authorization: Token <auth_token>". It never
// fails: when cfg lacks a required field, every call of the Source fails
// with an error that names it.
//
// The token's Extra fields hold values of the login answer: "org_uuid",
// "user_uuid", "retailer_uuid", "supplier_uuid", "org_type" and
// "permission_assignments".
func NewSource(cfg Config) *loginauth.Source {
	path := cfg.LoginPath
	if path == "" {
		path = LoginPath
	}
	o := jsonlogin.Overrides{
		LoginPath: cfg.LoginPath,
		StoreKey:  config.StoreKey("crux", config.Base(cfg.BaseURL)+path, cfg.Username),
		Check:     cfg.check,
		Error: func(le *loginauth.LoginError, body []byte) {
			fieldErrors(le, body)
			if le.Status == http.StatusNotFound {
				le.Err = moved(le.Err, path)
			}
		},
	}
	vars := map[string]string{"base_url": cfg.BaseURL, "username": cfg.Username, "password": cfg.Password}
	return embedded.Source(spec, o, vars, cfg.HTTPClient, cfg.Options)
}

// moved adds to the cause of a 404 at login that the path may have moved,
// since the documentation is old.
func moved(cause error, path string) error {
	const hint = "no login endpoint at %s: the API's documentation dates from 2019 and the path may have moved; set Config.LoginPath"
	if cause == nil {
		return fmt.Errorf(hint, path)
	}
	return fmt.Errorf("%w; "+hint, cause, path)
}

// fieldErrors gives an error answer without a "detail" the Message of
// Django REST Framework's field errors, {"field": ["message", ...]}:
// "field: message; ...", sorted by field; "non_field_errors" are given
// without a field name.
func fieldErrors(le *loginauth.LoginError, body []byte) {
	var fields map[string]json.RawMessage
	if le.Message != "" || json.Unmarshal(body, &fields) != nil {
		return
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		var msgs []string
		if json.Unmarshal(fields[k], &msgs) != nil || len(msgs) == 0 {
			continue
		}
		m := strings.Join(msgs, " ")
		if k != "non_field_errors" {
			m = k + ": " + m
		}
		parts = append(parts, m)
	}
	if len(parts) > 0 {
		le.Message, le.Err = strings.Join(parts, "; "), nil
	}
}
