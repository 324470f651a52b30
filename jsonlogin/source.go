package jsonlogin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/config"
	"github.com/loginauth/loginauth/internal/hostname"
	"github.com/loginauth/loginauth/internal/redact"
	"github.com/loginauth/loginauth/internal/wire"
)

// NewSource returns a Source for the API that s describes, with the given
// values of its variables. A variable missing from vars, or given as "",
// takes its default. A variable that no template names is optional.
//
// It never fails: when a required variable has no value, vars holds a
// variable that s does not declare, or a URL is not allowed (plain http
// to a host that is not loopback, without allow_http), every call of the
// Source fails with an error that names it.
//
// A non-zero field of opts wins over the description: opts.Lifetime over
// lifetime, and opts.AllowHTTP set allows plain http as allow_http does.
func (s *Spec) NewSource(vars map[string]string, opts loginauth.Options) *loginauth.Source {
	if s == nil || !s.parsed {
		return loginauth.New(loginauth.Config{
			Provider: "jsonlogin",
			Login:    func(context.Context) (*oauth2.Token, error) { return nil, errNotParsed },
			Err:      errNotParsed,
		})
	}
	if opts.Lifetime == 0 {
		opts.Lifetime = s.lifetime
	}
	opts.AllowHTTP = opts.AllowHTTP || s.allowHTTP
	c, err := s.client(vars, opts)
	cfg := loginauth.Config{
		Provider:  s.name,
		Login:     c.login,
		Scheme:    c.scheme(),
		Origins:   append([]string{c.base}, s.origins...),
		KeepExtra: s.common().keepExtra,
		Secrets:   c.secrets(),
		Users:     c.vals[:len(s.common().names)], // the account's name is among them
		Options:   opts,
		Err:       err,
	}
	if s.hooks.wrapLogin != nil {
		cfg.Login = s.hooks.wrapLogin(c.login)
	}
	if opts.Store != nil {
		cfg.StoreKey = c.storeKey()
	}
	if s.refresh != nil {
		cfg.Refresh, cfg.RefreshWhileValid = c.refresh, s.refreshWhileValid
	}
	if s.logout != nil {
		cfg.Logout = c.logout
	}
	return loginauth.New(cfg)
}

var errNotParsed = errors.New("jsonlogin: Spec not made by Parse")

// client returns the client of a Source with the values vars, and the
// error of its configuration.
func (s *Spec) client(vars map[string]string, opts loginauth.Options) (*client, error) {
	c := &client{spec: s, http: wire.Client(s.HTTPClient), now: opts.Now, allowHTTP: opts.AllowHTTP || s.allowHTTP}
	if c.lastHop = s.readsOutside(); c.lastHop {
		c.http = lastHop(c.http)
	}
	err := c.resolve(vars)
	if s.hooks.check != nil {
		err = s.hooks.check()
	}
	return c, err
}

// client makes the login and refresh calls of one Source.
type client struct {
	spec      *Spec
	vals      []string // the variables' values, in the order of common().names; then the secrets
	base      string   // base_url expanded, without a trailing slash
	http      *http.Client
	now       func() time.Time
	allowHTTP bool
	lastHop   bool // redirects are not followed: see Spec.readsOutside
}

// common is what every Source of a Spec shares, built by the first
// NewSource, so that each Source keeps only its own values.
type common struct {
	once      sync.Once
	names     []string // the variables' names, sorted
	keepExtra []string // the names of extra, sorted; nil when none
	scheme    sync.Once
	header    loginauth.Scheme // the HeaderScheme of a header that uses no variable
}

// common returns what the Sources of s share.
func (s *Spec) common() *common {
	c := s.shared
	c.once.Do(func() {
		c.names = sortedKeys(s.vars)
		if len(s.extra) > 0 {
			c.keepExtra = sortedKeys(s.extra)
		}
	})
	return c
}

// scrub returns the scrubber of the secret variables' values. It is
// built when needed: a Source keeps only the values.
func (c *client) scrub() *redact.Secrets { return redact.NewSecrets(c.secrets()...) }

// secretCount is how many secrets a client of s keeps at most: see
// client.secrets.
func (s *Spec) secretCount() int {
	n := 0
	for _, v := range s.vars {
		if v.secret {
			n++
		}
	}
	return n
}

// secrets returns the values never shown: those of the secret variables.
// They follow the variables' values
// in vals, so that a Source keeps one slice.
func (c *client) secrets() []string {
	if n := len(c.spec.common().names); len(c.vals) > n {
		return c.vals[n:]
	}
	return nil
}

// val returns the value of the variable name; "" when it has none.
func (c *client) val(name string) string {
	if i, ok := slices.BinarySearch(c.spec.common().names, name); ok && c.vals != nil {
		return c.vals[i]
	}
	return ""
}

// resolve takes the variables' values from vars and their defaults, and
// checks the URLs they make.
func (c *client) resolve(vars map[string]string) error {
	s := c.spec
	names := s.common().names
	c.vals = make([]string, len(names), len(names)+s.secretCount())
	var missing, missingSecret []string
	for i, n := range names {
		v := s.vars[n]
		val, ok := vars[n]
		if (!ok || val == "") && v.def != nil {
			val, ok = *v.def, true
		}
		if (!ok || (val == "" && v.def == nil)) && v.used { // an unused variable is optional
			m := strconv.Quote(n)
			if v.env != "" {
				m += " (" + v.env + ")"
			}
			if v.secret {
				missingSecret = append(missingSecret, m)
			} else {
				missing = append(missing, m)
			}
			continue
		}
		c.vals[i] = val
	}
	for i, n := range names {
		if s.vars[n].secret && c.vals[i] != "" {
			c.vals = append(c.vals, c.vals[i]) // see secrets
		}
	}
	basicErr := c.checkBasic()
	base, baseErr := s.expandBase(c.val)
	c.base = base
	for _, n := range sortedKeys(vars) {
		if _, ok := s.vars[n]; !ok {
			return fmt.Errorf("%s: variable %q is not declared in the description's vars", s.name, n)
		}
	}
	if len(missing) > 0 {
		all := append(missing, missingSecret...)
		slices.Sort(all)
		return required(s.name, all, false)
	}
	if baseErr != nil {
		return fmt.Errorf("%s: base_url: %w", s.name, baseErr)
	}
	if err := errors.Join(basicErr, c.checkHeaderVars()); err != nil {
		return err
	}
	if err := c.checkURL("base_url", c.base); err != nil {
		return err
	}
	for _, rq := range []*request{s.login, s.refresh} {
		if rq == nil {
			continue
		}
		u, err := c.url(rq, &oauth2.Token{})
		if err == nil {
			err = c.checkURL(rq.op, u)
		}
		if err != nil {
			return err
		}
	}
	// Only secrets missing: the Source may still use a stored token.
	return required(s.name, missingSecret, true)
}

// required returns the error that names the missing variables; nil when
// none is missing. With secrets, only secrets are missing: the error
// wraps [loginauth.ErrNoCredentials].
func required(name string, missing []string, secrets bool) error {
	var msg string
	switch len(missing) {
	case 0:
		return nil
	case 1:
		msg = fmt.Sprintf("%s: variable %s is required", name, missing[0])
	default:
		msg = fmt.Sprintf("%s: variables %s are required", name, strings.Join(missing, ", "))
	}
	if secrets {
		return config.NoCredentials(msg)
	}
	return errors.New(msg)
}

// checkURL checks that raw, the URL of what, is an absolute http or https
// URL, and is not plain http to a host that is not loopback unless that
// is allowed: a login URL carries the password, and need not be at one of
// the origins that the core checks.
func (c *client) checkURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%s: the %s URL %q is not an absolute http or https URL", c.spec.name, what, c.scrub().String(raw))
	}
	if u.User != nil {
		return fmt.Errorf("%s: the %s URL holds user info (\"user:password@\"), which is not sent as credentials; use login.basic", c.spec.name, what)
	}
	if u.Scheme == "http" && !c.allowHTTP && !hostname.IsLoopback(u.Hostname()) {
		return fmt.Errorf("%s: the %s URL is plain http to %s, a host that is not loopback; credentials would travel in clear text (allow it with allow_http)", c.spec.name, what, c.scrub().String(u.Host))
	}
	return nil
}

// storeKey names the description, the base URL and the values of the
// variables that are not secret, such as the user name.
func (c *client) storeKey() string {
	if c.spec.hooks.storeKey != "" {
		return c.spec.hooks.storeKey
	}
	var account []string
	for i, n := range c.spec.common().names {
		if !c.spec.vars[n].secret {
			account = append(account, n+"="+c.vals[i])
		}
	}
	return config.StoreKey("jsonlogin "+c.spec.name, c.base, strings.Join(account, " "))
}

// expand expands t with the variables and, when tok is not nil, its
// values.
func (c *client) expand(t string, tok *oauth2.Token) string {
	s, _ := expand(t, func(name string) string { return c.value(name, tok) })
	return s
}

func (c *client) value(name string, tok *oauth2.Token) string {
	if tok != nil {
		switch {
		case name == nameToken:
			return tok.AccessToken
		case name == nameRefreshToken:
			return tok.RefreshToken
		case strings.HasPrefix(name, prefixExtra):
			return text(tok.Extra(strings.TrimPrefix(name, prefixExtra)))
		}
	}
	return c.val(name)
}

// text is an extra value in a header: a string as it is, a number or a
// boolean as JSON writes it; "" for anything else.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64, bool:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return ""
}

// url returns the URL of rq, each value escaped for where it lands.
func (c *client) url(rq *request, tok *oauth2.Token) (string, error) {
	value := func(name string) string { return c.value(name, tok) }
	if rq.url != "" {
		u, err := expandURL(rq.url, inScheme, value)
		return u, c.urlError(rq.op+".url", err)
	}
	p, err := expandURL(rq.path, inPath, value)
	return c.base + p, c.urlError(rq.op+".path", err)
}

// urlError names the spec and the field of err, an error of expandURL.
func (c *client) urlError(field string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %s: %w", c.spec.name, field, err)
	}
	return nil
}

// clock returns the time now.
func (c *client) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// success reports whether r is an answer to read a token from: a 2xx
// answer, or a redirect when answers are read at their first hop.
func (c *client) success(r *wire.Response) bool {
	return r.OK() || (c.lastHop && r.Status >= 300 && r.Status < 400)
}

func (c *client) login(ctx context.Context) (*oauth2.Token, error) {
	return c.call(ctx, c.spec.login.op, c.spec.login, nil)
}

func (c *client) refresh(ctx context.Context, old *oauth2.Token) (*oauth2.Token, error) {
	return c.call(ctx, "refresh", c.spec.refresh, old)
}

// call makes the login request, or the refresh or logout request with
// old's values, and reads the token from the answer (but for a logout).
func (c *client) call(ctx context.Context, op string, rq *request, old *oauth2.Token) (*oauth2.Token, error) {
	s := c.spec
	tok := old // checkTemplate limits what each request may use of it
	u, err := c.url(rq, tok)
	if err == nil {
		err = c.checkURL(op, u)
	}
	if err != nil {
		return nil, &loginauth.LoginError{Provider: s.name, Op: op, Err: err}
	}
	call := wire.Call{Method: rq.method, Provider: s.name, Op: op, Client: c.http, URL: u, Header: http.Header{}, Now: c.now}
	for k, t := range rq.headers {
		if v := c.expand(t, tok); v != "" {
			call.Header.Set(k, v)
		}
	}
	if rq.basic != nil {
		v, _ := c.basicAuth(rq.basic) // checked by resolve
		call.Header.Set("Authorization", v)
	}
	if rq.hasJSON {
		call.Body = c.body(rq.json, tok)
	}
	if rq.form != nil {
		call.Form = url.Values{}
		for k, t := range rq.form {
			call.Form.Set(k, c.expand(t, tok))
		}
	}
	if ct := call.Header.Get("Content-Type"); ct != "" && (rq.hasJSON || rq.form != nil) {
		call.ContentType = ct
		call.Header.Del("Content-Type")
	}
	r, err := wire.Do(ctx, call)
	if err != nil {
		return nil, err
	}
	doc, parsed := decodeDoc(r.Body)
	if !c.success(r) || s.errWhen.matchLogin(r, doc, parsed) {
		return nil, c.apiError(r, doc, parsed)
	}
	if op == "logout" {
		return nil, nil
	}
	if _, _, found := s.token.find(r, nil, c.clock()); !parsed && !found && s.token.inBody() {
		if err := r.Decode(new(json.RawMessage)); err != nil {
			return nil, err // empty, an HTML page, not JSON
		}
	}
	return c.token(r, doc, old)
}

// body returns the JSON body v with its strings expanded.
func (c *client) body(v any, tok *oauth2.Token) any {
	switch x := v.(type) {
	case asIs:
		return x.v
	case string:
		return c.expand(x, tok)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = c.body(e, tok)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = c.body(e, tok)
		}
		return out
	}
	return v
}

// apiError turns a failed answer into a LoginError with the code and the
// message that error.code and error.message point at.
func (c *client) apiError(r *wire.Response, doc any, parsed bool) *loginauth.LoginError {
	s := c.spec
	code, msg := "", ""
	if s.errCode != nil {
		v, _ := s.errCode.get(doc)
		code = text(v)
	}
	if s.errMessage != nil {
		v, _ := s.errMessage.get(doc)
		msg = text(v)
	}
	var le *loginauth.LoginError
	switch {
	case code != "" || msg != "":
		le = r.Fail(nil)
		le.Code, le.Message = code, msg
	case c.success(r):
		le = r.Fail(fmt.Errorf("the answer matches error.when (read %d bytes)", len(r.Body)))
	default:
		le = r.Unexpected()
	}
	le.BadCredentials = r.Op == "login" && s.badCredentials.matchLogin(r, doc, parsed)
	if s.hooks.onError != nil {
		s.hooks.onError(le, r.Body)
	}
	return le
}

// token reads the token and its values from a successful answer. A
// refresh answer that lacks an extra value keeps old's.
func (c *client) token(r *wire.Response, doc any, old *oauth2.Token) (*oauth2.Token, error) {
	s := c.spec
	access, err := c.str(r, "token", s.token, doc)
	if err != nil {
		return nil, err
	}
	if access == "" {
		if _, object := doc.(map[string]any); doc != nil && !object && s.token.inBody() {
			return nil, r.Fail(fmt.Errorf("response is a JSON %s, not an object (read %d bytes)", kind(doc), len(r.Body)))
		}
		return nil, r.Missing("token " + s.token.String())
	}
	tok := &oauth2.Token{AccessToken: access}
	if tok.RefreshToken, err = c.str(r, "refresh_token", s.refreshToken, doc); err != nil {
		return nil, err
	}
	if tok.Expiry, err = c.expiry(r, doc); err != nil {
		return nil, err
	}
	extra := map[string]any{}
	var sc *redact.Secrets
	if len(s.extra) > 0 {
		sc = c.scrub()
	}
	for _, n := range sortedKeys(s.extra) {
		v, w, ok := s.extra[n].find(r, doc, c.clock())
		if !ok {
			if old != nil && old.Extra(n) != nil {
				extra[n] = old.Extra(n)
			}
			continue
		}
		// Extra values are kept in a Store: a server that echoes a
		// secret into one must not make the Store keep it.
		t := text(v)
		if t == "" {
			b, _ := json.Marshal(v)
			t = string(b)
		}
		if sc.Contains(t) {
			return nil, r.Fail(fmt.Errorf("response value extra.%s (%s) holds the value of a secret variable, which must never be stored (read %d bytes)", n, w, len(r.Body)))
		}
		extra[n] = v
	}
	if len(extra) > 0 {
		tok = tok.WithExtra(extra)
	}
	return tok, nil
}

// str returns the first string that a place of vs holds in the answer;
// "" when there is none. When no place holds a string, a place that holds
// a value of another type is an error, and so is a token that no header
// could carry.
func (c *client) str(r *wire.Response, field string, vs values, doc any) (string, error) {
	var other error
	for _, w := range vs {
		v, _, ok := values{w}.find(r, doc, c.clock())
		s, isString := v.(string)
		switch {
		case !ok:
			continue
		case !isString:
			if other == nil {
				other = r.Fail(fmt.Errorf("response value %s %s has JSON type %s, want string (read %d bytes)", field, w, kind(v), len(r.Body)))
			}
			continue
		case strings.ContainsAny(s, "\r\n\x00"):
			return "", r.Fail(fmt.Errorf("response value %s %s holds a line break or NUL, which no header can carry (read %d bytes)", field, w, len(r.Body)))
		}
		return s, nil
	}
	return "", other
}

// expiry reads expires_in or expires_at. An absent value, or one that is
// not in the future or is absurdly far, gives the zero time, so that the
// JWT exp claim or the lifetime applies.
func (c *client) expiry(r *wire.Response, doc any) (time.Time, error) {
	s := c.spec
	vs, field := s.expiresIn, "expires_in"
	if vs == nil {
		vs, field = s.expiresAt, "expires_at"
	}
	v, w, ok := vs.find(r, doc, c.clock())
	if !ok {
		return time.Time{}, nil
	}
	if at, ok := v.(time.Time); ok { // a cookie's expiry
		return at, nil
	}
	bad := func(want string) error {
		return r.Fail(fmt.Errorf("response value %s %s has JSON type %s, want %s (read %d bytes)", field, w, kind(v), want, len(r.Body)))
	}
	if field == "expires_at" && s.expiresAtUnit == "rfc3339" {
		t, ok := v.(string)
		if !ok {
			return time.Time{}, bad("an RFC 3339 time string")
		}
		at, err := time.Parse(time.RFC3339, strings.TrimSpace(t))
		if err != nil {
			return time.Time{}, r.Fail(fmt.Errorf("response value %s %s is not an RFC 3339 time (read %d bytes)", field, w, len(r.Body)))
		}
		return at, nil
	}
	var n float64
	var err error
	switch x := v.(type) {
	case json.Number:
		n, err = x.Float64()
	case string:
		n, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
	default:
		return time.Time{}, bad("a number")
	}
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return time.Time{}, bad("a number")
	}
	if math.IsNaN(n) || n <= 0 || n >= 1e15 { // 1e15 s is 31 million years; 1e15 ms 31 thousand
		return time.Time{}, nil
	}
	switch {
	case field == "expires_in":
		return c.clock().Add(time.Duration(n * float64(s.expiresInUnit))), nil
	case s.expiresAtUnit == "ms" && n >= 1e11: // below: too small for milliseconds since 1973, taken as seconds
		return time.UnixMilli(int64(n)), nil
	}
	sec, frac := math.Modf(n)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// kind names the JSON type of a decoded value.
func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "bool"
	}
	return "null"
}

// scheme returns how requests carry the credentials: a
// [loginauth.HeaderScheme] when the header is one field "PREFIX
// {{token}}" (or "{{token}}") and fields of variables only, so that an
// oauth2.Transport sends the same prefix; otherwise a scheme that
// expands every field for each token.
func (c *client) scheme() loginauth.Scheme {
	s := c.spec
	if len(s.cookie) > 0 || len(s.query) > 0 {
		return &scheme{c: c, refused: s.isRefused()}
	}
	h := loginauth.HeaderScheme{IsRefused: s.isRefused()}
	simple, tokenField := true, ""
	for _, k := range sortedKeys(s.header) {
		parts, _ := parseTemplate(s.header[k])
		vars := true
		for _, p := range parts {
			vars = vars && (p.name == "" || !reserved(p.name))
		}
		switch n := len(parts); {
		case vars:
			if v := c.expand(s.header[k], nil); v != "" {
				if h.Header == nil {
					h.Header = http.Header{}
				}
				h.Header.Set(k, v)
			}
		case tokenField == "" && n == 1 && parts[0].name == nameToken:
			tokenField = k
		case tokenField == "" && n == 2 && parts[1].name == nameToken && parts[0].name == "" &&
			strings.HasSuffix(parts[0].lit, " ") && !strings.ContainsAny(strings.TrimSuffix(parts[0].lit, " "), " \t"):
			tokenField, h.Prefix = k, strings.TrimSuffix(parts[0].lit, " ")
		default:
			simple = false
		}
	}
	if simple && tokenField != "" {
		if tokenField != "Authorization" {
			h.TokenHeader = tokenField
		}
		if h.Header == nil { // the same for every Source of s: share it
			sh := s.common()
			sh.scheme.Do(func() { sh.header = h })
			return sh.header
		}
		return h
	}
	return &scheme{c: c, refused: s.isRefused()}
}

func reserved(name string) bool {
	return name == nameToken || name == nameRefreshToken || strings.HasPrefix(name, prefixExtra)
}

// scheme is the [loginauth.Scheme] of a header that a HeaderScheme cannot
// express, such as "Session {{token}}" with {{extra.tenant}} in another
// field.
type scheme struct {
	c       *client
	refused loginauth.RefusalFunc
}

// Credentials expands every field of the description's header for tok;
// a field that expands to "" is left off.
func (s *scheme) Credentials(tok *oauth2.Token) http.Header {
	h := http.Header{}
	for k, t := range s.c.spec.header {
		if v := s.c.expand(t, tok); v != "" {
			h.Set(k, v)
		}
	}
	return h
}

// Refused reports whether resp matches the description's refused rules.
func (s *scheme) Refused(resp *http.Response) bool { return s.refused(resp) }

// CredentialHeaders returns the names of the header's fields, sorted.
func (s *scheme) CredentialHeaders() []string {
	names := sortedKeys(s.c.spec.header)
	slices.Sort(names)
	return names
}

// Format prints the names of the fields only.
func (s *scheme) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "jsonlogin.scheme{Fields:%q}", s.CredentialHeaders())
}
