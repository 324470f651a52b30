package jsonlogin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Version is the version of the description format that [Parse] reads.
const Version = 1

// Spec is a parsed description of a login-style API. Make it with
// [Parse]; its fields other than HTTPClient come from the description
// and cannot be changed.
type Spec struct {
	// HTTPClient sends the login, refresh and logout calls. Nil means a default
	// client. Either way, redirects to another origin are refused.
	HTTPClient *http.Client

	parsed         bool
	name           string
	baseURL        string // template
	vars           map[string]variable
	login, refresh *request
	token          values
	refreshToken   values // nil: none
	expiresIn      values // nil: none
	expiresInUnit  time.Duration
	expiresAt      values // nil: none
	expiresAtUnit  string // "s", "ms" or "rfc3339"
	extra          map[string]values
	header         map[string]string // canonical field name → template
	origins        []string
	refused        rules
	errCode        *pointer
	errMessage     *pointer
	errWhen        rules
	badCredentials rules
	lifetime       time.Duration
	allowHTTP      bool
	session                // cookie, query, logout and refresh.needs_valid_token
	hooks                  // set from Go: see Spec.With
	shared         *common // what its Sources share: see Spec.common
	raw            []byte  // the description as given, for Fingerprint
}

// variable is a declared variable.
type variable struct {
	env    string
	secret bool
	def    *string
	used   bool // a template names it; else it is optional
}

// request is a login or refresh request.
type request struct {
	op      string // "login" or "refresh"
	method  string
	path    string            // template; joins base_url
	url     string            // template; in place of path
	headers map[string]string // canonical field name → template
	json    any               // template values; nil: no JSON body
	hasJSON bool
	form    map[string]string // templates; nil: no form body
	// needsValidToken: refresh.needs_valid_token
	needsValidToken bool
	basic           *basic // nil: no HTTP Basic credentials
}

// Var describes a variable of a description, so that a command can fill
// the vars of [Spec.NewSource] from the environment.
type Var struct {
	// Name is the variable's name, as in {{name}}.
	Name string
	// Env names the environment variable that holds its value; it may be
	// empty. The package itself never reads the environment.
	Env string
	// Secret reports that the value is a secret: it never appears in an
	// error, log record or event, and is never stored.
	Secret bool
	// Default is the value when none is given; see HasDefault.
	Default string
	// HasDefault reports that the description gives a default. A variable
	// without one is required, unless it is Unused.
	HasDefault bool
	// Unused reports that no template of the description names the
	// variable: it is optional, as if its default were "".
	Unused bool
}

// Name returns the description's name, which starts every error of its
// Sources; "jsonlogin" when the description gives none.
func (s *Spec) Name() string { return s.name }

// BaseURL returns the description's base_url expanded with vars, or with
// a variable's default where vars has no value, without a trailing slash:
// the URL that API paths join. A variable that has neither expands to "".
// Values are escaped for where they stand, as in requests, but inserted
// as they are when one cannot stand where it is, such as a base URL
// without a scheme, so that an error can show what was given.
// base_url names no secret variable (Parse refuses one), so the result
// holds none.
func (s *Spec) BaseURL(vars map[string]string) string {
	value := func(name string) string {
		if v := vars[name]; v != "" {
			return v
		}
		if d := s.vars[name].def; d != nil {
			return *d
		}
		return ""
	}
	out, _ := s.expandBase(value)
	return out
}

// expandBase expands base_url with value, without a trailing slash. When
// a value cannot stand where it is, it returns the error, and base_url
// expanded with the values as they are, for the error that shows it.
func (s *Spec) expandBase(value func(string) string) (string, error) {
	out, err := expandURL(s.baseURL, inScheme, value)
	if err != nil {
		out, _ = expand(s.baseURL, value)
	}
	return strings.TrimSuffix(out, "/"), err
}

// Vars returns the description's variables, sorted by name.
func (s *Spec) Vars() []Var {
	out := make([]Var, 0, len(s.vars))
	for _, n := range slices.Sorted(maps.Keys(s.vars)) {
		v := s.vars[n]
		d := Var{Name: n, Env: v.env, Secret: v.secret, HasDefault: v.def != nil, Unused: !v.used}
		if v.def != nil {
			d.Default = *v.def
		}
		out = append(out, d)
	}
	return out
}

// Format prints the description's name and the names of its variables;
// never a default value.
func (s *Spec) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "jsonlogin.Spec{Name:%q Vars:%q}", s.name, slices.Sorted(maps.Keys(s.vars)))
}

// The JSON forms of a description's objects.
type (
	specJSON struct {
		Version        json.RawMessage            `json:"version"`
		Name           *string                    `json:"name"`
		BaseURL        *string                    `json:"base_url"`
		Vars           map[string]json.RawMessage `json:"vars"`
		Login          json.RawMessage            `json:"login"`
		Refresh        json.RawMessage            `json:"refresh"`
		Token          json.RawMessage            `json:"token"`
		RefreshToken   json.RawMessage            `json:"refresh_token"`
		ExpiresIn      json.RawMessage            `json:"expires_in"`
		ExpiresInUnit  *string                    `json:"expires_in_unit"`
		ExpiresAt      json.RawMessage            `json:"expires_at"`
		ExpiresAtUnit  *string                    `json:"expires_at_unit"`
		Extra          map[string]json.RawMessage `json:"extra"`
		Header         map[string]string          `json:"header"`
		Origins        []string                   `json:"origins"`
		Refused        json.RawMessage            `json:"refused"`
		Error          json.RawMessage            `json:"error"`
		BadCredentials json.RawMessage            `json:"bad_credentials"`
		Lifetime       *string                    `json:"lifetime"`
		AllowHTTP      bool                       `json:"allow_http"`
		sessionJSON
	}
	varJSON struct {
		Env     string  `json:"env"`
		Secret  bool    `json:"secret"`
		Default *string `json:"default"`
	}
	requestJSON struct {
		Method  *string           `json:"method"`
		Path    *string           `json:"path"`
		URL     *string           `json:"url"`
		Headers map[string]string `json:"headers"`
		JSON    json.RawMessage   `json:"json"`
		Form    map[string]string `json:"form"`
		// NeedsValidToken: only in refresh; see Spec.parseSession.
		NeedsValidToken bool            `json:"needs_valid_token"`
		Basic           json.RawMessage `json:"basic"`
	}
	errorJSON struct {
		Code    *string         `json:"code"`
		Message *string         `json:"message"`
		When    json.RawMessage `json:"when"`
	}
)

// Defaults of a description.
var (
	defaultHeader  = map[string]string{"Authorization": "Bearer {{token}}"}
	defaultRefused = rules{{status: []int{http.StatusUnauthorized}}}
	defaultBad     = rules{{status: []int{http.StatusUnauthorized, http.StatusForbidden}}}
)

// Parse reads a description. It is strict: an unknown field, a value of
// the wrong type, a pointer that is not a JSON Pointer, a missing token
// or base_url, or a template that names an undeclared variable is an
// error that names the field by its path, such as
//
//	jsonlogin: login.json.pass: template names undeclared variable "pasword"
//
// Mistakes in separate sections (the requests, the rules, lifetime...)
// are each an error, one a line, joined with [errors.Join].
func Parse(data []byte) (*Spec, error) {
	data, cerr := clean(data) // comments, duplicate keys, syntax errors by line
	if cerr != nil {
		return nil, cerr
	}
	var sj specJSON
	if err := strictDecode("", data, &sj); err != nil {
		return nil, err
	}
	s := &Spec{parsed: true, name: "jsonlogin", vars: map[string]variable{}, shared: &common{}, raw: bytes.Clone(data)}
	// Each section that fails adds its error, and the sections after it
	// that it would mislead are skipped: without vars, every template
	// would name an undeclared variable.
	var errs []error
	failed := map[string]bool{}
	for _, section := range []struct {
		name, after string
		parse       func(*specJSON) error
	}{
		{"name", "", s.parseName},
		{"vars", "", s.parseVars},
		{"origins", "vars", s.parseOrigins},
		{"requests", "vars", s.parseRequests},
		{"values", "vars", s.parseValues},
		{"carriers", "values", s.parseCarriers},
		{"rules", "", s.parseRuleSections},
		{"lifetime", "", s.parseLifetime},
	} {
		if failed[section.after] {
			failed[section.name] = true
			continue
		}
		if err := section.parse(&sj); err != nil {
			errs = append(errs, err)
			failed[section.name] = true
		}
	}
	switch len(errs) {
	case 0:
		return s, nil
	case 1:
		return nil, errs[0]
	}
	return nil, errors.Join(errs...)
}

// parseName reads the version and the name.
func (s *Spec) parseName(sj *specJSON) error {
	if present(sj.Version) {
		var v json.Number
		if json.Unmarshal(sj.Version, &v) != nil || v != "1" {
			return fmt.Errorf("jsonlogin: version: %s is not a version this package reads; want %d", bytes.TrimSpace(sj.Version), Version)
		}
	}
	if sj.Name != nil {
		if !extraName(strings.ReplaceAll(*sj.Name, ".", "_")) {
			return fmt.Errorf("jsonlogin: name: %q must be letters, digits, \"_\", \"-\" and \".\"", *sj.Name)
		}
		s.name = *sj.Name
	}
	return nil
}

// parseVars reads the variables and the names of the extra values.
func (s *Spec) parseVars(sj *specJSON) error {
	for _, n := range sortedKeys(sj.Vars) {
		path := "vars." + n
		switch {
		case !varName(n):
			return fmt.Errorf("jsonlogin: %s: %q is not a variable name: letters, digits and \"_\", not starting with a digit", path, n)
		case n == nameToken || n == nameRefreshToken || n == "extra":
			return fmt.Errorf("jsonlogin: %s: %q is reserved for the token's values and cannot be a variable", path, n)
		}
		var vj varJSON
		if err := strictDecode(path, sj.Vars[n], &vj); err != nil {
			return err
		}
		if vj.Secret && vj.Default != nil {
			return fmt.Errorf("jsonlogin: %s.default: a secret variable has no default: the secret would sit in the description; give it through env or vars", path)
		}
		s.vars[n] = variable{env: vj.Env, secret: vj.Secret, def: vj.Default}
	}
	for _, n := range sortedKeys(sj.Extra) {
		if !extraName(n) {
			return fmt.Errorf("jsonlogin: extra.%s: %q is not a name: letters, digits, \"_\" and \"-\"", n, n)
		}
	}
	var err error
	s.extra, err = parseExtra(sj.Extra)
	return err
}

// parseOrigins reads base_url and origins.
func (s *Spec) parseOrigins(sj *specJSON) error {
	if sj.BaseURL == nil {
		return errors.New("jsonlogin: base_url: required")
	}
	if err := s.checkTemplate("base_url", *sj.BaseURL, "base_url"); err != nil {
		return err
	}
	if err := checkURLTemplate("base_url", *sj.BaseURL, inScheme); err != nil {
		return err
	}
	if !strings.Contains(*sj.BaseURL, "{{") {
		if err := absolute(*sj.BaseURL); err != nil {
			return fmt.Errorf("jsonlogin: base_url: %w", err)
		}
	}
	s.baseURL = *sj.BaseURL
	for i, o := range sj.Origins {
		if err := absolute(o); err != nil {
			return fmt.Errorf("jsonlogin: origins[%d]: %w", i, err)
		}
		if err := checkOrigin(fmt.Sprintf("origins[%d]", i), o); err != nil {
			return err
		}
	}
	s.origins = sj.Origins
	return nil
}

// parseRequests reads the login and refresh requests.
func (s *Spec) parseRequests(sj *specJSON) error {
	if !present(sj.Login) {
		return errors.New("jsonlogin: login: required")
	}
	var err error
	if s.login, err = s.parseRequest("login", sj.Login); err != nil {
		return err
	}
	if present(sj.Refresh) {
		if s.refresh, err = s.parseRequest("refresh", sj.Refresh); err != nil {
			return err
		}
	}
	return nil
}

// parseValues reads where the login answer holds the token, the refresh
// token, the expiry and the extra values, and the session.
func (s *Spec) parseValues(sj *specJSON) error {
	if !present(sj.Token) {
		return errors.New("jsonlogin: token: required: the JSON Pointer to the token in the login answer")
	}
	if err := s.parseAnswerValues(sj); err != nil {
		return err
	}
	if err := s.parseSession(*sj); err != nil {
		return err
	}
	if s.refresh != nil && s.refreshToken == nil && !s.refreshWhileValid {
		return errors.New("jsonlogin: refresh: needs refresh_token, the JSON Pointer to the refresh token in the login answer")
	}
	if s.expiresIn != nil && s.expiresAt != nil {
		return errors.New("jsonlogin: expires_at: give expires_in or expires_at, not both")
	}
	if sj.ExpiresAtUnit != nil {
		if s.expiresAt == nil {
			return errors.New("jsonlogin: expires_at_unit: given without expires_at")
		}
		switch u := *sj.ExpiresAtUnit; u {
		case "s", "ms", "rfc3339":
			s.expiresAtUnit = u
		default:
			return fmt.Errorf("jsonlogin: expires_at_unit: %q is not one of \"s\", \"ms\" and \"rfc3339\"", u)
		}
	} else if s.expiresAt != nil {
		s.expiresAtUnit = "s"
	}
	return nil
}

// parseCarriers reads the header fields that carry the token, and checks
// that a header field, a cookie or a query parameter carries it.
func (s *Spec) parseCarriers(sj *specJSON) error {
	header := sj.Header
	if header == nil && sj.Cookie == nil && sj.Query == nil {
		header = defaultHeader
	}
	var err error
	if s.header, err = s.parseHeaders("header", header, "header"); err != nil {
		return err
	}
	if !carriesToken(s.header) && !carriesToken(s.cookie) && !carriesToken(s.query) {
		return errors.New("jsonlogin: header: no field carries {{token}}, nor does a cookie or a query parameter, so no request would carry the credentials")
	}
	return nil
}

// parseRuleSections reads refused, bad_credentials and error.
func (s *Spec) parseRuleSections(sj *specJSON) error {
	var err error
	s.refused = defaultRefused
	if present(sj.Refused) {
		if s.refused, err = parseRules("refused", sj.Refused); err != nil {
			return err
		}
		if err := checkRefused(s.refused); err != nil {
			return err
		}
	}
	s.badCredentials = defaultBad
	if present(sj.BadCredentials) {
		if s.badCredentials, err = parseRules("bad_credentials", sj.BadCredentials); err != nil {
			return err
		}
	}
	if !present(sj.Error) {
		return nil
	}
	var ej errorJSON
	if err := strictDecode("error", sj.Error, &ej); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		raw  *string
		dst  **pointer
	}{{"error.code", ej.Code, &s.errCode}, {"error.message", ej.Message, &s.errMessage}} {
		if f.raw == nil {
			continue
		}
		p, err := parsePointer(*f.raw)
		if err != nil {
			return fmt.Errorf("jsonlogin: %s: %w", f.name, err)
		}
		*f.dst = &p
	}
	if present(ej.When) {
		if s.errWhen, err = parseRules("error.when", ej.When); err != nil {
			return err
		}
	}
	return nil
}

// parseLifetime reads lifetime and allow_http.
func (s *Spec) parseLifetime(sj *specJSON) error {
	if sj.Lifetime != nil {
		d, err := time.ParseDuration(*sj.Lifetime)
		if err != nil || d <= 0 {
			return fmt.Errorf("jsonlogin: lifetime: %q is not a positive Go duration such as \"1h30m\"", *sj.Lifetime)
		}
		s.lifetime = d
	}
	s.allowHTTP = sj.AllowHTTP
	return nil
}

// parseRequest parses the login or refresh request at path.
func (s *Spec) parseRequest(path string, raw json.RawMessage) (*request, error) {
	var rj requestJSON
	if err := strictDecode(path, raw, &rj); err != nil {
		return nil, err
	}
	rq := &request{op: path, method: http.MethodPost, needsValidToken: rj.NeedsValidToken}
	if rj.Method != nil {
		if !extraName(*rj.Method) || strings.Contains(*rj.Method, "_") {
			return nil, fmt.Errorf("jsonlogin: %s.method: %q is not an HTTP method", path, *rj.Method)
		}
		if err := checkMethod(path, *rj.Method); err != nil {
			return nil, err
		}
		rq.method = *rj.Method
	}
	switch {
	case rj.Path != nil && rj.URL != nil:
		return nil, fmt.Errorf("jsonlogin: %s.url: give path or url, not both", path)
	case rj.Path != nil:
		if !strings.HasPrefix(*rj.Path, "/") {
			return nil, fmt.Errorf("jsonlogin: %s.path: %q must start with \"/\": it joins base_url", path, *rj.Path)
		}
		if err := s.checkTemplate(path+".path", *rj.Path, path); err != nil {
			return nil, err
		}
		if err := checkURLTemplate(path+".path", *rj.Path, inPath); err != nil {
			return nil, err
		}
		rq.path = *rj.Path
	case rj.URL != nil:
		if err := s.checkTemplate(path+".url", *rj.URL, path); err != nil {
			return nil, err
		}
		if err := checkURLTemplate(path+".url", *rj.URL, inScheme); err != nil {
			return nil, err
		}
		if !strings.Contains(*rj.URL, "{{") {
			if err := absolute(*rj.URL); err != nil {
				return nil, fmt.Errorf("jsonlogin: %s.url: %w", path, err)
			}
		}
		rq.url = *rj.URL
	default:
		return nil, fmt.Errorf("jsonlogin: %s.path: required (or url)", path)
	}
	var err error
	if rq.headers, err = s.parseHeaders(path+".headers", rj.Headers, path); err != nil {
		return nil, err
	}
	if present(rj.Basic) {
		if rq.basic, err = s.parseBasic(path, rj.Basic, rq.headers); err != nil {
			return nil, err
		}
	}
	if present(rj.JSON) && rj.Form != nil {
		return nil, fmt.Errorf("jsonlogin: %s.form: give json or form, not both", path)
	}
	if present(rj.JSON) {
		v, err := decodeValue(rj.JSON)
		if err != nil {
			return nil, fmt.Errorf("jsonlogin: %s.json: %w", path, err)
		}
		if err := s.walkTemplates(path+".json", v, path); err != nil {
			return nil, err
		}
		rq.json, rq.hasJSON = v, true
	}
	for _, k := range sortedKeys(rj.Form) {
		if err := s.checkTemplate(path+".form."+k, rj.Form[k], path); err != nil {
			return nil, err
		}
	}
	rq.form = rj.Form
	return rq, nil
}

// parseHeaders checks the header fields at path, whose values are
// templates of section, and returns them by canonical name.
func (s *Spec) parseHeaders(path string, h map[string]string, section string) (map[string]string, error) {
	out := make(map[string]string, len(h))
	for _, k := range sortedKeys(h) {
		fp := path + "." + k
		if !fieldName(k) {
			return nil, fmt.Errorf("jsonlogin: %s: %q is not a header field name", fp, k)
		}
		ck := http.CanonicalHeaderKey(k)
		if _, dup := out[ck]; dup {
			return nil, fmt.Errorf("jsonlogin: %s: field %s is given twice", fp, ck)
		}
		if strings.ContainsAny(h[k], "\r\n\x00") {
			return nil, fmt.Errorf("jsonlogin: %s: a header value cannot hold a line break or NUL", fp)
		}
		if err := s.checkTemplate(fp, h[k], section); err != nil {
			return nil, err
		}
		out[ck] = h[k]
	}
	return out, nil
}

// walkTemplates checks every string of the JSON body v at path.
func (s *Spec) walkTemplates(path string, v any, section string) error {
	switch x := v.(type) {
	case string:
		return s.checkTemplate(path, x, section)
	case []any:
		for i, e := range x {
			if err := s.walkTemplates(fmt.Sprintf("%s[%d]", path, i), e, section); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if err := s.walkTemplates(path+"."+k, x[k], section); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkTemplate checks the template t at path, in section: "base_url",
// "login", "refresh", "logout" or "header" (which cookie and query use
// too). Variables are allowed everywhere but secret ones in base_url,
// which errors name; {{refresh_token}} only in refresh, logout and header;
// {{token}} only in refresh, logout and header; {{extra.NAME}} only in
// logout and header.
func (s *Spec) checkTemplate(path, t, section string) error {
	ns, err := names(t)
	if err != nil {
		return fmt.Errorf("jsonlogin: %s: %w", path, err)
	}
	if err := s.checkShellVars(path, t); err != nil {
		return err
	}
	for _, n := range ns {
		switch {
		case n == nameToken:
			if section != "header" && section != "refresh" && section != "logout" {
				return fmt.Errorf("jsonlogin: %s: template names {{token}}, which only header, cookie, query, refresh and logout may use", path)
			}
		case n == nameRefreshToken:
			if section != "header" && section != "refresh" && section != "logout" {
				return fmt.Errorf("jsonlogin: %s: template names {{refresh_token}}, which only refresh, logout, header, cookie and query may use", path)
			}
		case strings.HasPrefix(n, prefixExtra):
			if section != "header" && section != "logout" {
				return fmt.Errorf("jsonlogin: %s: template names {{%s}}, which only header, cookie, query and logout may use", path, n)
			}
			if _, ok := s.extra[strings.TrimPrefix(n, prefixExtra)]; !ok {
				return fmt.Errorf("jsonlogin: %s: template names {{%s}}, but extra declares no %q", path, n, strings.TrimPrefix(n, prefixExtra))
			}
		default:
			v, ok := s.vars[n]
			if !ok {
				return fmt.Errorf("jsonlogin: %s: template names undeclared variable %q", path, n)
			}
			if v.secret && section == "base_url" {
				return fmt.Errorf("jsonlogin: %s: template names secret variable %q; the base URL is not secret, it shows in errors and store keys", path, n)
			}
			v.used = true
			s.vars[n] = v
		}
	}
	return nil
}

// absolute checks that a URL without templates is an absolute http or
// https URL.
func absolute(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%q is not an absolute http or https URL", raw)
	}
	return nil
}

// present reports whether a raw field was given, and not as null.
func present(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
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

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// strictDecode decodes the JSON object raw, found at path, into v,
// refusing unknown fields and trailing data, with errors that name the
// field by its path.
func strictDecode(path string, raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr == nil {
			err = errors.New("trailing data")
		}
	}
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case strings.HasPrefix(err.Error(), `json: unknown field "`):
		name := strings.TrimSuffix(strings.TrimPrefix(err.Error(), `json: unknown field "`), `"`)
		return fmt.Errorf("jsonlogin: %s: unknown field", join(path, name))
	case errors.As(err, &syn):
		return fmt.Errorf("jsonlogin: %s: invalid JSON at byte %d: %w", orTop(path), syn.Offset, err)
	case errors.As(err, &typ):
		return fmt.Errorf("jsonlogin: %s: is a JSON %s, want %s", join(path, typ.Field), typ.Value, want(typ.Type))
	case errors.Is(err, io.EOF):
		return fmt.Errorf("jsonlogin: %s: empty", orTop(path))
	}
	return fmt.Errorf("jsonlogin: %s: %w", orTop(path), err)
}

// want names what a Go type holds, as a description's author knows it.
func want(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Float64:
		return "a number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // json.RawMessage
			return "a JSON value"
		}
		return "a list"
	case reflect.Pointer:
		return want(t.Elem())
	}
	return "an object"
}

func join(path, field string) string {
	switch {
	case field == "":
		return orTop(path)
	case path == "":
		return field
	}
	return path + "." + field
}

func orTop(path string) string {
	if path == "" {
		return "the description"
	}
	return path
}
