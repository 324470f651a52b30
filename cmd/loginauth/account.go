package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux"
	"github.com/loginauth/loginauth/mic"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xpay"
)

// provider describes one provider package to the command.
type provider struct {
	name string
	// Environment variables: base URL, user, secret and (mic) API key.
	envBase, envUser, envSecret, envAPIKey string
	defaultBase                            string // "" means required
	user, secret                           string // what the user and the secret are called
	// prefix of the Authorization value ("" means the token raw).
	prefix string
	// contentType is the Content-Type of a request body.
	contentType string
	newSource   func(a account, opts loginauth.Options) *loginauth.Source
}

// account is a provider account as the flags and the environment give it.
type account struct {
	base, user, secret, apiKey string
	// client sends the login calls; nil means the provider's default.
	client *http.Client
}

func trim(base string) string { return strings.TrimSuffix(base, "/") }

var providers = []*provider{
	{
		name:    "mic",
		envBase: "MIC_BASE_URL", envUser: "MIC_USERNAME", envSecret: "MIC_PASSWORD", envAPIKey: "MIC_API_KEY",
		user: "user name", secret: "password",
		contentType: "application/json",
		newSource: func(a account, opts loginauth.Options) *loginauth.Source {
			return mic.NewSource(mic.Config{BaseURL: a.base, APIKey: a.apiKey, Username: a.user, Password: a.secret, HTTPClient: a.client, Options: opts})
		},
	},
	{
		name:    "xano",
		envBase: "XANO_BASE_URL", envUser: "XANO_EMAIL", envSecret: "XANO_PASSWORD",
		user: "e-mail address", secret: "password",
		prefix: "Bearer", contentType: "application/json",
		newSource: func(a account, opts loginauth.Options) *loginauth.Source {
			return xano.NewSource(xano.Config{BaseURL: a.base, Email: a.user, Password: a.secret, HTTPClient: a.client, Options: opts})
		},
	},
	{
		name:    "crux",
		envBase: "CRUX_BASE_URL", envUser: "CRUX_USERNAME", envSecret: "CRUX_PASSWORD",
		defaultBase: crux.ProductionURL,
		user:        "user name", secret: "password",
		prefix: "Token", contentType: crux.ContentType,
		newSource: func(a account, opts loginauth.Options) *loginauth.Source {
			return crux.NewSource(crux.Config{BaseURL: a.base, Username: a.user, Password: a.secret, HTTPClient: a.client, Options: opts})
		},
	},
	{
		name:    "xpay",
		envBase: "XPAY_BASE_URL", envUser: "XPAY_USERNAME", envSecret: "XPAY_SECRET_KEY",
		defaultBase: xpay.ProductionURL,
		user:        "user name (e-mail address)", secret: "secret key",
		prefix: "Bearer", contentType: "application/json",
		newSource: func(a account, opts loginauth.Options) *loginauth.Source {
			return xpay.NewSource(xpay.Config{BaseURL: a.base, Username: a.user, SecretKey: a.secret, HTTPClient: a.client, Options: opts})
		},
	},
}

// lookupProvider returns the provider called name, or a usage error.
func lookupProvider(name string) (*provider, error) {
	for _, p := range providers {
		if p.name == name {
			return p, nil
		}
	}
	if name == "" {
		return nil, usagef("missing provider: want mic, xano, crux or xpay")
	}
	return nil, usagef("unknown provider %q: want mic, xano, crux or xpay", name)
}

// accountFlags are the flags that name an account and its token cache.
type accountFlags struct {
	base, user, secret, apiKey string
	secretStdin                bool
	cacheDir                   string
	timeout                    time.Duration
}

func (f *accountFlags) register(fs *flag.FlagSet, secret bool) {
	fs.StringVar(&f.base, "base-url", "", "")
	fs.StringVar(&f.user, "username", "", "")
	fs.StringVar(&f.user, "email", "", "")
	fs.StringVar(&f.apiKey, "api-key", "", "")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "")
	if secret {
		fs.StringVar(&f.secret, "password", "", "")
		fs.StringVar(&f.secret, "secret-key", "", "")
		fs.BoolVar(&f.secretStdin, "password-stdin", false, "")
	}
}

// accountHelp documents accountFlags and the environment.
const accountHelp = `Account flags (each one overrides its environment variable):
      --base-url URL       the API's base URL
      --username NAME      the account's user name (--email is the same; xano
                           and xpay want an e-mail address)
      --api-key KEY        the stack's API key (mic only)
      --password-stdin     read the password (xpay: the secret key) from the
                           first line of stdin
      --password SECRET    the password (--secret-key is the same); avoid it:
                           other users of the machine can read a command line
      --cache-dir DIR      the token cache (default $LOGINAUTH_CACHE_DIR, else
                           loginauth in the user cache directory, such as
                           ~/.cache/loginauth)
      --timeout DURATION   give up after this long (default 30s)

Environment:
  mic    MIC_BASE_URL (required), MIC_API_KEY, MIC_USERNAME, MIC_PASSWORD
  xano   XANO_BASE_URL (required, with the API group: .../api:AbCd),
         XANO_EMAIL, XANO_PASSWORD
  crux   CRUX_BASE_URL (default https://api.cruxconnect.com), CRUX_USERNAME,
         CRUX_PASSWORD
  xpay   XPAY_BASE_URL (default https://apis.xpay.stream), XPAY_USERNAME,
         XPAY_SECRET_KEY
  LOGINAUTH_CACHE_DIR   the token cache directory

A password or secret key that neither a flag nor the environment gives is
asked for, without echo, when stdin is a terminal.
`

// account resolves the account of p from the flags, then the environment,
// then the defaults. With needSecret, a missing secret is read from stdin
// or asked for on the terminal. Missing settings are usage errors that
// name the environment variable.
func (c *cli) account(ctx context.Context, p *provider, f *accountFlags, needSecret bool) (account, error) {
	pick := func(flagVal, envName, def string) string {
		if flagVal != "" {
			return flagVal
		}
		if v := c.getenv(envName); v != "" {
			return v
		}
		return def
	}
	a := account{
		base: pick(f.base, p.envBase, p.defaultBase),
		user: pick(f.user, p.envUser, ""),
	}
	if a.base == "" {
		return a, usagef("%s: no base URL: set %s or --base-url", p.name, p.envBase)
	}
	if u, err := url.Parse(a.base); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return a, usagef("%s: base URL %q is not an absolute http or https URL (check %s or --base-url)", p.name, redactURL(a.base), p.envBase)
	}
	if p.envAPIKey != "" {
		if a.apiKey = pick(f.apiKey, p.envAPIKey, ""); a.apiKey == "" && needSecret {
			return a, usagef("%s: no API key: set %s or --api-key", p.name, p.envAPIKey)
		}
	} else if f.apiKey != "" {
		return a, usagef("--api-key applies to mic only")
	}
	if a.user == "" {
		return a, usagef("%s: no %s: set %s or --username", p.name, p.user, p.envUser)
	}
	if !needSecret {
		return a, nil
	}
	a.secret = pick(f.secret, p.envSecret, "")
	if a.secret != "" {
		if f.secretStdin {
			return a, usagef("--password-stdin with a password from --password or %s", p.envSecret)
		}
		return a, nil
	}
	var err error
	if f.secretStdin {
		a.secret, err = readLine(c.stdin)
		if err != nil {
			return a, fmt.Errorf("%s: reading the %s from stdin: %w", p.name, p.secret, err)
		}
		if a.secret == "" {
			return a, usagef("%s: --password-stdin: stdin holds no %s", p.name, p.secret)
		}
		return a, nil
	}
	tty, ok := c.stdin.(*os.File)
	if !ok || !isTerminal(tty.Fd()) {
		return a, usagef("%s: no %s: set %s (or use --password-stdin; stdin is not a terminal to ask on)", p.name, p.secret, p.envSecret)
	}
	a.secret, err = askSecret(ctx, tty, c.stderr, fmt.Sprintf("%s %s for %s: ", p.name, p.secret, a.user))
	if err != nil {
		return a, fmt.Errorf("%s: reading the %s: %w", p.name, p.secret, err)
	}
	if a.secret == "" {
		return a, usagef("%s: no %s given", p.name, p.secret)
	}
	return a, nil
}

// readLine reads the first line of r, without its line ending.
func readLine(r io.Reader) (string, error) {
	s, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// cacheStore returns the token cache: the FileStore in --cache-dir, else
// in $LOGINAUTH_CACHE_DIR, else in the FileStore's default directory.
func (c *cli) cacheStore(f *accountFlags) *loginauth.FileStore {
	dir := f.cacheDir
	if dir == "" {
		dir = c.getenv("LOGINAUTH_CACHE_DIR")
	}
	return &loginauth.FileStore{Dir: dir}
}

// explain adds to err what the user can do about it: check the
// credentials after a refusal, the base URL when the host cannot be
// reached.
func explain(p *provider, err error) error {
	var le *loginauth.LoginError
	if errors.As(err, &le) && le.BadCredentials {
		vars := p.envUser + " and " + p.envSecret
		if p.envAPIKey != "" {
			vars = p.envAPIKey + ", " + vars
		}
		return fmt.Errorf("%w\n(check %s, or the flags that override them)", err, vars)
	}
	var ne *net.OpError
	var de *net.DNSError
	if errors.As(err, &ne) || errors.As(err, &de) {
		return fmt.Errorf("%w\n(cannot reach the API: check %s or --base-url, and the network)", err, p.envBase)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w\n(timed out: see --timeout)", err)
	}
	return err
}

// redactURL returns raw without the password of its user info, if any,
// and nothing of a URL that does not parse.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "(unparsable)"
	case u.User == nil:
		return raw
	}
	return u.Redacted()
}

// userAgent is sent on the requests of the call command.
const userAgent = "loginauth-cli (+https://github.com/loginauth/loginauth)"

// setUserAgent sets the User-Agent of req unless the caller set one.
func setUserAgent(h http.Header) {
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", userAgent)
	}
}
