package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/registry"
	"github.com/loginauth/loginauth/internal/registry/builtin"
	"github.com/loginauth/loginauth/jsonlogin"
	"github.com/loginauth/loginauth/jsonlogin/catalog"
	"github.com/loginauth/loginauth/loginauthtest"
)

// provider is what every command knows of a provider: a built-in one, or
// one that a jsonlogin description declares. The commands, the fakes and
// the demo all work from it.
type provider struct {
	name string
	vars []variable
	// user names the variable that --username fills; "" means none.
	user string
	// baseHint says what a base URL of the provider looks like.
	baseHint string
	// base returns the base URL of the account vals; nil means the value
	// of the variable base_url.
	base        func(vals map[string]string) string
	contentType string // of a request body; "" means application/json
	// source returns a Source for the account vals; hc sends the login
	// calls (nil: the provider's default).
	source func(vals map[string]string, hc *http.Client, opts loginauth.Options) *loginauth.Source
	// failed reports an answer that failed although its status is below
	// 400, such as xPay's error envelope; nil means none does.
	failed func(status int, body []byte) bool

	// fake starts the provider's fake server, for the fake command and
	// the demo, and returns it with the function that gives the values
	// of the variables of its demo account once its URL is final. Nil
	// for a description.
	fake func() (*loginauthtest.Server, func() map[string]string)
	// sample is a protected call of the fake's demo account: method,
	// path and body.
	sample [3]string
	// endpoints are the fake's API endpoints, under the base URL, for
	// the banner of the fake command.
	endpoints []string
	// refresh reports that the provider renews a token with a refresh
	// call rather than a login.
	refresh bool
	// tokenType is the oauth2.Token TokenType that makes an oauth2
	// Transport send the provider's Authorization prefix ("" means
	// Bearer); raw reports that no prefix does (MIC), so that the demo
	// must adapt oauth2's requests as a user of it would.
	tokenType string
	raw       bool

	// specPath is the --spec FILE the provider came from; "" for a
	// built-in one or a description of the providers directory, which
	// its name gives.
	specPath string
	// fingerprint is the description's [jsonlogin.Spec.Fingerprint]:
	// the label that binds its stored tokens to where it sends
	// credentials. "" for a built-in provider.
	fingerprint string
}

// arg is how a command line names p: its name, or --spec FILE.
func (p *provider) arg() string {
	if p.specPath != "" {
		return "--spec " + argQuote(p.specPath)
	}
	return p.name
}

// argQuote quotes s for a shell when it needs it.
func argQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return shellQuote(s)
}

// variable is a value an account needs: its name, the environment
// variable and flag that give it, and how it is kept.
type variable struct {
	name   string
	env    string
	secret bool   // never printed nor stored: the password, the secret key
	stored bool   // saved with the token, so that later runs need not give it
	def    string // the default value
	// optional reports that the variable may be empty: a description's
	// variable with a default, be it "".
	optional bool
	// keep reports that login stores this secret with the token, as
	// MIC's API key, which every request carries.
	keep bool
}

// Names of the variables of the built-in providers.
const (
	varBase   = "base_url"
	varUser   = "username"
	varEmail  = "email"
	varPass   = "password"
	varSecret = "secret_key"
	varAPIKey = "api_key"
)

// builtins are the built-in providers, from [builtin.Providers], in its
// order: the command's one list of them.
var builtins = fromRegistry(builtin.Providers)

// fromRegistry returns what the command knows of the registry's entries.
func fromRegistry(entries []registry.Provider) []*provider {
	var ps []*provider
	for _, e := range entries {
		p := &provider{
			name:        e.Name,
			user:        e.UserVar,
			baseHint:    e.BaseHint,
			contentType: e.ContentType,
			source:      e.FromValues,
			failed:      e.Failed,
			sample:      [3]string{e.Method, e.Path, e.Body},
			endpoints:   e.Endpoints,
			refresh:     e.Refresh,
			tokenType:   e.TokenType,
			raw:         !e.OAuth2,
		}
		for _, v := range e.Vars {
			p.vars = append(p.vars, variable{name: v.Name, env: v.Env, secret: v.Secret, stored: !v.Secret, def: v.Default, keep: v.Keep})
		}
		p.fake = func() (*loginauthtest.Server, func() map[string]string) {
			f := e.Start()
			return e.Server(f), func() map[string]string { return e.Demo(f) }
		}
		ps = append(ps, p)
	}
	return ps
}

// secretVar returns the first secret variable that login does not keep:
// the one --password-stdin and the prompt fill.
func (p *provider) secretVar() *variable {
	for i := range p.vars {
		if p.vars[i].secret && !p.vars[i].keep {
			return &p.vars[i]
		}
	}
	return nil
}

// variable returns the variable called name, or nil.
func (p *provider) variable(name string) *variable {
	for i := range p.vars {
		if p.vars[i].name == name {
			return &p.vars[i]
		}
	}
	return nil
}

// names lists the built-in providers as "mic, xano, crux or xpay", with
// conj ("or", "and") before the last.
func names(conj string) string {
	n := builtinNames()
	if len(n) < 2 {
		return strings.Join(n, "")
	}
	return strings.Join(n[:len(n)-1], ", ") + " " + conj + " " + n[len(n)-1]
}

// builtinNames lists the names of the built-in providers, in order.
func builtinNames() []string {
	var n []string
	for _, p := range builtins {
		n = append(n, p.name)
	}
	return n
}

// builtinNamed returns the built-in provider called name, or nil.
func builtinNamed(name string) *provider {
	for _, p := range builtins {
		if p.name == name {
			return p
		}
	}
	return nil
}

// providersDir is where descriptions are provider names:
// $XDG_CONFIG_HOME/loginauth/providers, or the system's equivalent.
func (c *cli) providersDir() (string, error) {
	dir := c.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		var err error
		if dir, err = os.UserConfigDir(); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, "loginauth", "providers"), nil
}

// findProvider returns the provider that name or the --spec file gives:
// a built-in provider, else a description in the providers directory,
// else an entry of the catalog. A description in the directory with the
// name of a catalog entry shadows the entry, with a warning.
func (c *cli) findProvider(name, spec string) (*provider, error) {
	if spec != "" {
		if name != "" {
			return nil, usagef("give a provider name or --spec, not both")
		}
		p, err := loadSpec(spec)
		if p != nil {
			p.specPath = spec
		}
		return p, err
	}
	if name == "" {
		return nil, usagef("missing provider: want %s, a description's name, or --spec FILE", names("or"))
	}
	if p := builtinNamed(strings.ToLower(name)); p != nil {
		return p, nil
	}
	inCatalog := catalogName(name)
	if path := c.configuredFile(name); path != "" {
		if inCatalog != "" {
			c.warnf("%s shadows the catalog's description of %s (jsonlogin/catalog/%s)", path, inCatalog, catalog.File(inCatalog))
		}
		return loadSpec(path)
	}
	if inCatalog != "" {
		return catalogProvider(inCatalog)
	}
	dir, _ := c.providersDir()
	return nil, usagef("unknown provider %q%s\n(want %s, a description in %s, one of the catalog (%s), or --spec FILE)",
		name, didYouMean(name, c.providerNames(), plain), names("or"), dir, strings.Join(catalog.Names(), ", "))
}

// catalogProvider returns the catalog's entry name as a provider.
func catalogProvider(name string) (*provider, error) {
	b, err := catalog.Description(name)
	if err != nil {
		return nil, err
	}
	return parseSpec("jsonlogin/catalog/"+catalog.File(name), b)
}

// catalogProviders returns the catalog's entries as providers, in its
// order; an entry that does not parse is left out, which the catalog's
// tests catch.
func catalogProviders() []*provider {
	var ps []*provider
	for _, n := range catalog.Names() {
		if p, err := catalogProvider(n); err == nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// validName reports whether name can name a description file.
func validName(name string) bool {
	return name != "" && !strings.ContainsAny(name, `/\.`) && !strings.HasPrefix(name, "-")
}

// loadSpec reads the jsonlogin description at path as a provider.
func loadSpec(path string) (*provider, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usagef("--spec: %v", err)
		}
		return nil, fmt.Errorf("reading the description: %w", err)
	}
	return parseSpec(path, b)
}

// parseSpec parses the jsonlogin description b, read from path, as a
// provider.
func parseSpec(path string, b []byte) (*provider, error) {
	spec, err := jsonlogin.Parse(b)
	if err != nil {
		return nil, usagef("%s: %v", path, err)
	}
	name := spec.Name()
	if p := builtinNamed(name); p != nil {
		return nil, usagef("%s: the name %q is taken by a built-in provider; give the description another name", path, name)
	}
	p := &provider{
		name:        name,
		fingerprint: spec.Fingerprint(),
		baseHint:    "the base_url of the description",
		base:        spec.BaseURL,
		source: func(v map[string]string, hc *http.Client, o loginauth.Options) *loginauth.Source {
			spec.HTTPClient = hc
			return spec.NewSource(v, o)
		},
	}
	for _, v := range spec.Vars() {
		p.vars = append(p.vars, variable{name: v.Name, env: v.Env, secret: v.Secret, stored: !v.Secret, def: v.Default, optional: v.HasDefault || v.Unused})
		if v.Name == varUser || (p.user == "" && v.Name == varEmail) {
			p.user = v.Name
		}
	}
	slices.SortStableFunc(p.vars, func(a, b variable) int {
		return strings.Compare(fmt.Sprint(a.name != varBase), fmt.Sprint(b.name != varBase))
	})
	return p, nil
}
