package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/loginauth/loginauth"
)

// accountFlags are the flags that name an account, its secret and its
// token store. Every command but demo and fake has them.
type accountFlags struct {
	spec        string
	base, user  string
	apiKey      string
	secret      string
	secretStdin bool
	vars        stringList
	cacheDir    string
	store       string
	allowHTTP   bool
	timeout     time.Duration
}

// secretMode is what a command does about the account's secret.
type secretMode int

const (
	secretNone   secretMode = iota // logout, status: never reads it
	secretAtHand                   // token, call: uses one at hand, asks for none
	secretAsk                      // login: asks for it on a terminal
)

// register defines the account flags on fs; with mode secretNone, not the
// secret's.
func (f *accountFlags) register(fs *flagSet, mode secretMode) {
	fs.account = true
	fs.stringFlag(&f.spec, "spec", "", "", "use the jsonlogin description in `FILE` in place of a provider name")
	fs.stringFlag(&f.base, "base-url", "", "", "the API's base `URL`")
	fs.stringFlag(&f.user, "username", "", "", "the account's user `NAME` (xano: the e-mail address)")
	fs.alias("username", "email")
	fs.stringFlag(&f.apiKey, "api-key", "", "", "the stack's API `KEY` (mic only)")
	fs.varFlag(&f.vars, "var", "", "set a description's variable: `NAME=VALUE` (repeatable)")
	if mode != secretNone {
		fs.boolFlag(&f.secretStdin, "password-stdin", "", "read the password (xpay: the secret key; a description: its first secret variable) from the first line of stdin; the rest of stdin stays for -d @-")
		fs.stringFlag(&f.secret, "password", "", "", "the `SECRET`; avoid it: other users of the machine can read a command line")
		fs.alias("password", "secret-key")
	}
	fs.stringFlag(&f.cacheDir, "cache-dir", "", "", "the token cache `DIR` (default $LOGINAUTH_CACHE_DIR, else loginauth in the user cache directory, such as ~/.cache/loginauth)")
	fs.stringFlag(&f.store, "store", "", "", "keep tokens in the store at `URL` in place of the token cache, such as redis://HOST:PORT/DB (with the loginauth command of the redisstore module)")
	fs.boolFlag(&f.allowHTTP, "allow-http", "", "allow a plain http base URL on a host that is not loopback: the password and tokens then cross the network in clear text")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up after this `DURATION`")
	fs.def("timeout", "")
}

// accountOptions are the command line of a command on one account and
// its token: login, logout and token.
type accountOptions struct {
	accountFlags
	mode     secretMode
	output   string   // -o: text or json
	provider []string // the provider name; none with --spec
}

// define defines -o, whose json format is jsonUsage, and the account
// flags of mode.
func (o *accountOptions) define(fs *flagSet, mode secretMode, jsonUsage string) {
	o.mode = mode
	outputFlags(fs, &o.output, jsonUsage, "text", "json")
	o.register(fs, mode)
}

// parsed checks -o and takes the provider name.
func (o *accountOptions) parsed(_ *flagSet, pos []string) error {
	if err := checkOutput(o.output, "text", "json"); err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("want one provider, got %d arguments", len(pos))
	}
	o.provider = pos
	return nil
}

// onAccount runs fn on the account that o names, and closes its store
// after. fn runs within --timeout, but for login (secretAsk), which times
// each of its tries, and not the prompts between them.
func (c *cli) onAccount(ctx context.Context, o *accountOptions, fn func(ctx context.Context, a *account) error) error {
	a, err := c.resolve(ctx, &o.accountFlags, o.provider, o.mode)
	if err != nil {
		return err
	}
	defer a.closeStore()
	if o.mode != secretAsk {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	return fn(ctx, a)
}

// environmentHelp lists the environment variables of the built-in
// providers and of the catalog's.
func environmentHelp() string {
	var b strings.Builder
	b.WriteString("Environment (a flag overrides its variable):\n")
	for _, p := range append(slices.Clone(builtins), catalogProviders()...) {
		var vs []string
		for _, v := range p.vars {
			s := v.env
			if v.def != "" {
				s += " (default " + v.def + ")"
			}
			vs = append(vs, s)
		}
		writeWrapped(&b, "  "+p.name, strings.Join(vs, ", "))
	}
	writeWrapped(&b, "  LOGINAUTH_CACHE_DIR", "the token cache directory")
	writeWrapped(&b, "  XDG_CONFIG_HOME", "descriptions in loginauth/providers/NAME.json under it (or the system's config directory) are provider names, NAME")
	b.WriteString(`
After 'loginauth login', the other commands find the account's base URL,
user name and (mic) API key with its token, and need no password while the
token is usable or can be refreshed.
`)
	return b.String()
}

// account is a resolved account: its provider, the values of its
// variables, and its token store.
type account struct {
	p     *provider
	vals  map[string]string
	store loginauth.Store
	file  *loginauth.FileStore // the store, when it is the FileStore
	close func() error
	saved saveWatch // the first token its Sources failed to store
	// purge makes its Sources' Forget remove the stored account whole:
	// login and logout set it.
	purge bool
	// changed says that the stored token was stored for a description
	// that sends credentials elsewhere.
	changed func()
	// asked reports that the secret was asked for on the terminal: a
	// refused one may be asked for again.
	asked bool
	// sources are the Sources made for it, whose background deletes of
	// refused tokens closeStore waits for.
	sources []*loginauth.Source
}

// base returns the account's base URL, or "".
func (a *account) base() string {
	if a.p.base != nil {
		return a.p.base(a.vals)
	}
	return a.vals[varBase]
}

// user returns the account's user name, or "".
func (a *account) user() string { return a.vals[a.p.user] }

// who names the account in messages: provider, user and base URL.
func (a *account) who() string {
	s := a.p.name
	if u := a.user(); u != "" {
		s += " " + u
	}
	if b := a.base(); b != "" {
		s += " at " + redactURL(b)
	}
	return s
}

// labels are what the FileStore keeps beside the token, so that later
// runs need not be given the account: never the password.
func (a *account) labels() map[string]string {
	l := map[string]string{"provider": a.p.name}
	for _, v := range a.p.vars {
		if val := a.vals[v.name]; val != "" && (v.stored || v.keep) {
			l["var."+v.name] = val
		}
	}
	if u := a.user(); u != "" {
		l["account"] = u
	}
	if b := a.base(); b != "" {
		l["base_url"] = b
	}
	if a.p.fingerprint != "" {
		l[labelFingerprint] = a.p.fingerprint
	}
	return l
}

// resolve returns the account that the arguments name: the provider name
// in pos (or --spec), the flags, the environment, the values stored by
// login, then the defaults. Missing settings are usage errors that name
// their variable and flag; a missing secret is one only with secretAsk.
func (c *cli) resolve(ctx context.Context, f *accountFlags, pos []string, mode secretMode) (*account, error) {
	name := ""
	if len(pos) > 0 {
		name = pos[0]
	}
	p, err := c.findProvider(name, f.spec)
	if err != nil {
		return nil, err
	}
	a := c.newAccount(p)
	if err := a.setFlags(f, mode); err != nil {
		return nil, err
	}
	c.setEnvironment(a, mode)
	if err := c.setStdinSecret(a, f, mode); err != nil {
		return nil, err
	}
	if a.store, a.file, a.close, err = c.openStore(ctx, f); err != nil {
		return nil, err
	}
	// login too: after a refused or expired token, 'loginauth login'
	// with the password alone logs in to the stored account again.
	if err := c.fromStore(ctx, a); err != nil {
		return nil, err
	}
	for _, v := range p.vars {
		if a.vals[v.name] == "" && v.def != "" {
			a.vals[v.name] = v.def
		}
	}
	if mode == secretAsk {
		if err := c.askMissing(ctx, a); err != nil {
			return nil, err
		}
	}
	if err := a.check(mode); err != nil {
		return nil, err
	}
	if sv := p.secretVar(); mode == secretAsk && sv != nil && a.vals[sv.name] == "" {
		if err := c.ask(ctx, a, sv); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// setFlags sets the variables that the account flags give: --base-url,
// --username, --api-key, --var and, unless mode is secretNone,
// --password.
func (a *account) setFlags(f *accountFlags, mode secretMode) error {
	p := a.p
	set := func(varName, val, flagName string) error {
		if val == "" {
			return nil
		}
		if p.variable(varName) == nil {
			return usagef("%s applies to no variable of %s", flagName, p.name)
		}
		a.vals[varName] = val
		return nil
	}
	if err := set(varBase, f.base, "--base-url"); err != nil {
		return err
	}
	if p.user == "" && f.user != "" {
		return usagef("--username: %s has no user name variable; use --var", p.name)
	}
	if err := set(p.user, f.user, "--username"); err != nil {
		return err
	}
	if err := set(varAPIKey, f.apiKey, "--api-key"); err != nil {
		return err
	}
	for _, kv := range f.vars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usagef("--var: want NAME=VALUE")
		}
		if p.variable(k) == nil {
			return usagef("--var: %s has no variable %q", p.name, k)
		}
		a.vals[k] = v
	}
	if sv := p.secretVar(); mode != secretNone && sv != nil {
		if f.secret != "" {
			a.vals[sv.name] = f.secret
		}
		if f.secretStdin && f.secret != "" {
			return usagef("--password-stdin with --password: give one")
		}
	}
	return nil
}

// setEnvironment sets the variables that no flag gave from their
// environment variables: the secret ones only if mode reads the secret,
// or the provider keeps them.
func (c *cli) setEnvironment(a *account, mode secretMode) {
	for _, v := range a.p.vars {
		if a.vals[v.name] == "" && v.env != "" && (!v.secret || v.keep || mode != secretNone) {
			if e := c.getenv(v.env); e != "" {
				a.vals[v.name] = e
			}
		}
	}
}

// setStdinSecret sets the secret from the first line of stdin, with
// --password-stdin. The flag wins over the environment, as every flag
// does.
func (c *cli) setStdinSecret(a *account, f *accountFlags, mode secretMode) error {
	sv := a.p.secretVar()
	if mode == secretNone || sv == nil || !f.secretStdin {
		return nil
	}
	s, err := readLine(c.stdin)
	if err != nil {
		return fmt.Errorf("%s: reading the %s from stdin: %w", a.p.name, sv.name, err)
	}
	if s == "" {
		return usagef("%s: --password-stdin: stdin holds no %s", a.p.name, sv.name)
	}
	a.vals[sv.name] = s
	return nil
}

// needs reports whether the account misses a value of v that nothing
// else gives: no default, not optional, and not a secret that is asked
// for or read at login without being kept.
func (a *account) needs(v variable) bool {
	return a.vals[v.name] == "" && v.def == "" && !v.optional && (!v.secret || v.keep)
}

// check refuses an account that misses a variable it needs, or whose
// base URL is not an absolute http or https URL.
func (a *account) check(mode secretMode) error {
	p := a.p
	for _, v := range p.vars {
		if !a.needs(v) {
			continue
		}
		return usagef("%s: no %s: %s", p.name, v.name, howToSet(p, v, mode))
	}
	if b := a.base(); b != "" {
		if u, err := url.Parse(b); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			check := "the description's base_url"
			if v := p.variable(varBase); v != nil {
				check = varWays(p, *v)
			}
			return usagef("%s: base URL %q is not an absolute http or https URL%s (check %s)", p.name, typedURL(b), baseURLFix(b), check)
		}
	}
	return nil
}

// newAccount is an account of p with no values yet, that reports on
// stderr a token it could not store (once, without -v) and a stored token
// it does not use because its description changed.
func (c *cli) newAccount(p *provider) *account {
	a := &account{p: p, vals: map[string]string{}}
	a.saved.report = func(err error) {
		fmt.Fprintf(c.stderr, "loginauth: the token could not be stored: %v\n(%s)\n", err, a.storeFix(err))
	}
	a.changed = sync.OnceFunc(func() {
		c.warnf("the stored token of %s was stored for a description that sends credentials elsewhere (another login, refresh or logout URL, origins, header, cookie or query): it is not used, and a login is needed", a.who())
	})
	return a
}

// howToSet says how to give the variable v.
func howToSet(p *provider, v variable, mode secretMode) string {
	var ways []string
	if v.env != "" {
		ways = append(ways, "set "+v.env)
	}
	switch v.name {
	case varBase:
		ways = append(ways, "--base-url")
	case p.user:
		ways = append(ways, "--username")
	case varAPIKey:
		ways = append(ways, "--api-key")
	default:
		ways = append(ways, "--var "+v.name+"=VALUE")
	}
	s := strings.Join(ways, " or ")
	if mode != secretAsk {
		s += ", or run 'loginauth login " + p.arg() + "' once"
	}
	return s
}

// ask reads the secret on the terminal, without echo.
func (c *cli) ask(ctx context.Context, a *account, sv *variable) error {
	tty, ok := c.stdinTerminal()
	if !ok {
		return usagef("%s: no %s: set %s, or use --password-stdin (stdin is not a terminal to ask on)", a.p.name, sv.name, sv.env)
	}
	prompt := fmt.Sprintf("%s %s for %s: ", a.p.name, sv.name, a.user())
	s, err := askSecret(ctx, tty, c.stderr, prompt)
	if err != nil {
		return fmt.Errorf("%s: reading the %s: %w", a.p.name, sv.name, err)
	}
	if s == "" {
		return usagef("%s: no %s given", a.p.name, sv.name)
	}
	a.vals[sv.name] = s
	a.asked = true
	return nil
}

// fromStore fills the variables that are not given from the labels that
// login stored with the account's token: of the one stored account of
// the provider that agrees with every value given.
func (c *cli) fromStore(ctx context.Context, a *account) error {
	if a.file == nil {
		return nil
	}
	list, err := a.file.List(ctx)
	if err != nil {
		return nil // the Source reports an unusable store
	}
	var match []map[string]string
	for _, e := range list {
		if e.Labels["provider"] != a.p.name {
			continue
		}
		ok := true
		for _, v := range a.p.vars {
			if got, stored := a.vals[v.name], e.Labels["var."+v.name]; v.stored && got != "" && stored != "" && got != stored {
				ok = false
			}
		}
		if ok {
			match = append(match, e.Labels)
		}
	}
	switch len(match) {
	case 0:
		return nil
	case 1:
	default:
		missing := false
		for _, v := range a.p.vars {
			if v.stored && a.vals[v.name] == "" {
				missing = true
			}
		}
		if missing {
			return usagef("%s: %d stored accounts: choose one with --username or --base-url ('loginauth status' lists them)", a.p.name, len(match))
		}
		return nil
	}
	for _, v := range a.p.vars {
		if a.vals[v.name] == "" {
			if s := match[0]["var."+v.name]; s != "" && (v.stored || v.keep) {
				a.vals[v.name] = s
			}
		}
	}
	return nil
}

// openStore opens the token store: the store at --store, or the FileStore
// in --cache-dir, $LOGINAUTH_CACHE_DIR or its default directory, which it
// checks first (see checkCacheDir).
func (c *cli) openStore(ctx context.Context, f *accountFlags) (loginauth.Store, *loginauth.FileStore, func() error, error) {
	if f.store != "" {
		u, err := url.Parse(f.store)
		if err != nil || u.Scheme == "" {
			return nil, nil, nil, usagef("--store: want a URL such as redis://HOST:PORT/DB")
		}
		open := c.env.Stores[u.Scheme]
		if open == nil {
			return nil, nil, nil, usagef("--store: this loginauth has no %s store; the loginauth command of the redisstore module (go install github.com/loginauth/loginauth/redisstore/cmd/loginauth@latest) has redis", u.Scheme)
		}
		st, closeFn, err := open(ctx, f.store)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--store %s: %w", redactURL(f.store), err)
		}
		return st, nil, closeFn, nil
	}
	dir, err := c.cacheDir(f)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := c.checkCacheDir(dir); err != nil {
		return nil, nil, nil, err
	}
	fs := &loginauth.FileStore{Dir: dir}
	return fs, fs, nil, nil
}

// cacheDir is the token cache directory: --cache-dir,
// $LOGINAUTH_CACHE_DIR, or loginauth in the user cache directory.
func (c *cli) cacheDir(f *accountFlags) (string, error) {
	dir := f.cacheDir
	if dir == "" {
		dir = c.getenv("LOGINAUTH_CACHE_DIR")
	}
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no token cache directory: %w; set --cache-dir or LOGINAUTH_CACHE_DIR", err)
		}
		dir = filepath.Join(cache, "loginauth")
	}
	return dir, nil
}

// checkCacheDir makes dir a token cache the FileStore accepts: it creates
// it with mode 0700, and repairs the mode of one that group or others may
// read or write (a plain mkdir makes 0755), saying so. A directory it
// cannot use is an error that names it, its mode and the fix.
func (c *cli) checkCacheDir(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("token cache directory %s cannot be created: %w\n(choose another with --cache-dir or LOGINAUTH_CACHE_DIR)", dir, errors.Unwrap(err))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("token cache directory %s: %w\n(choose another with --cache-dir or LOGINAUTH_CACHE_DIR)", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("token cache directory %s is not a directory\n(choose another with --cache-dir or LOGINAUTH_CACHE_DIR)", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && unixModes() {
		if err := os.Chmod(dir, perm&^0o077); err != nil {
			fix := "fix it with: chmod 700 " + argQuote(dir)
			if errors.Is(err, syscall.EROFS) {
				fix = storeFix(dir, err)
			}
			return fmt.Errorf("token cache directory %s has mode %#o, which lets others read the tokens, and cannot be repaired: %w\n(%s)", dir, perm, err, fix)
		}
		c.warnf("token cache directory %s had mode %#o, which let others read the tokens; set it to %#o", dir, perm, perm&^0o077)
	}
	return nil
}

// source returns the Source of a, with the given options besides the
// store and --allow-http.
func (a *account) source(f *accountFlags, opts loginauth.Options) *loginauth.Source {
	switch {
	case a.file != nil:
		opts.Store = &labelingStore{FileStore: a.file, labels: a.labels(), purge: a.purge, changed: a.changed}
	case a.store != nil && a.p.fingerprint != "":
		opts.Store = bindStore(a.store, a.p.fingerprint, a.purge, a.changed)
	default:
		opts.Store = a.store
	}
	if prev := opts.OnEvent; prev != nil {
		opts.OnEvent = func(ev loginauth.Event) { a.saved.observe(ev); prev(ev) }
	} else {
		opts.OnEvent = a.saved.observe
	}
	opts.AllowHTTP = f.allowHTTP
	src := a.p.source(a.vals, nil, opts)
	a.sources = append(a.sources, src)
	return src
}

// storeFix says how to make the store of a save again after err.
func (a *account) storeFix(err error) string {
	if a.file == nil {
		return storeFix("", err)
	}
	return storeFix(a.file.Dir, err)
}

// explain adds to err what the user can do about it.
func explain(a *account, err error) error {
	p := a.p
	if errors.Is(err, loginauth.ErrNoCredentials) {
		sv := p.secretVar()
		return fmt.Errorf("%s: no usable stored token, and no %s to log in with\n(run 'loginauth login %s', or set %s)", p.name, sv.name, p.arg(), sv.env)
	}
	var le *loginauth.LoginError
	if errors.As(err, &le) {
		switch {
		case le.BadCredentials:
			var vars []string
			for _, v := range p.vars {
				if v.name != varBase && v.env != "" {
					vars = append(vars, v.env)
				}
			}
			return fmt.Errorf("%w\n(check %s, or the flags that override them)", err, strings.Join(vars, ", "))
		case le.Status == http.StatusNotFound:
			return fmt.Errorf("%w\n(the login URL under the base URL %s does not exist: check the base URL; one of %s looks like %s)", err, redactURL(a.base()), p.name, p.baseHint)
		}
	}
	var ne *net.OpError
	var de *net.DNSError
	if errors.As(err, &ne) || errors.As(err, &de) {
		return fmt.Errorf("%w\n(cannot reach the API: check the base URL and the network)", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w\n(timed out: see --timeout)", err)
	}
	return plainErr(p, err)
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

// readLine reads the first line of r, without its line ending. A
// *bufio.Reader keeps what follows the line for later reads.
func readLine(r io.Reader) (string, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 16) // reads past the line: for a terminal only
	}
	s, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// unixModes reports whether file modes say who may read a file.
func unixModes() bool { return filepath.Separator == '/' }
