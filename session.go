package loginauth

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth/internal/redact"
)

// session is what a [RequestScheme] puts on requests besides header
// fields, built once per token.
type session struct {
	cookie      string   // "a=1; b=2"; empty: no cookie
	cookieLine  []string // {cookie}, shared by requests that have no cookie of their own
	cookieNames []string
	query       string // "a=1&b=2", encoded; empty: no parameter
	paramNames  []string
	values      *redact.Secrets // the cookies' and parameters' values, scrubbed from errors
}

// newSession returns the session of tok under scheme, or nil when the
// scheme sets neither a cookie nor a parameter.
func newSession(scheme RequestScheme, tok *oauth2.Token) *session {
	x := &session{}
	var values, cookies []string
	for _, c := range scheme.Cookies(tok) {
		if s := (&http.Cookie{Name: c.Name, Value: c.Value}).String(); s != "" {
			cookies = append(cookies, s)
			x.cookieNames = append(x.cookieNames, c.Name)
			values = append(values, c.Value)
		}
	}
	params := scheme.Params(tok)
	for k, vs := range params {
		x.paramNames = append(x.paramNames, k)
		values = append(values, vs...)
	}
	if len(cookies) == 0 && len(params) == 0 {
		return nil
	}
	x.cookie = strings.Join(cookies, "; ")
	x.cookieLine = []string{x.cookie}
	x.query = params.Encode()
	x.values = redact.NewSecrets(values...)
	return x
}

// edit puts the session's cookies in h, the header of a request's copy,
// and its parameters in u, that copy's URL.
func (x *session) edit(h http.Header, u *url.URL) {
	if x.cookie != "" {
		h["Cookie"] = x.mergeCookies(h["Cookie"])
	}
	if x.query != "" {
		u.RawQuery = x.mergeQuery(u.RawQuery)
	}
}

// mergeCookies returns the Cookie field of a request whose own Cookie
// lines are own: those of own's cookies that the session does not set,
// then the session's.
func (x *session) mergeCookies(own []string) []string {
	if len(own) == 0 {
		return x.cookieLine
	}
	var b strings.Builder
	n := len(x.cookie)
	for _, line := range own {
		n += len(line) + 2
	}
	b.Grow(n)
	for _, line := range own {
		for part := range strings.SplitSeq(line, ";") {
			part = strings.TrimSpace(part)
			name, _, _ := strings.Cut(part, "=")
			if part == "" || slices.Contains(x.cookieNames, strings.TrimSpace(name)) {
				continue
			}
			b.WriteString(part)
			b.WriteString("; ")
		}
	}
	b.WriteString(x.cookie)
	return []string{b.String()}
}

// mergeQuery returns the query raw without the parameters that the
// session sets, followed by the session's.
func (x *session) mergeQuery(raw string) string {
	if raw == "" {
		return x.query
	}
	var b strings.Builder
	b.Grow(len(raw) + 1 + len(x.query))
	for pair := range strings.SplitSeq(raw, "&") {
		key, _, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(key, "%+") {
			if k, err := url.QueryUnescape(key); err == nil {
				key = k
			}
		}
		if pair == "" || slices.Contains(x.paramNames, key) {
			continue
		}
		b.WriteString(pair)
		b.WriteByte('&')
	}
	b.WriteString(x.query)
	return b.String()
}

// scrub returns err without the session's values, which a URL in an error
// holds.
func (x *session) scrub(err error) error {
	if x == nil || err == nil {
		return err
	}
	return scrubError(x.values, err)
}

// CredentialCookies returns the names of the cookies that carry the
// credentials of s, when its Scheme is a [RequestScheme], so that a proxy
// can remove its clients' cookies of those names and the API's Set-Cookie
// of them; nil otherwise.
func (s *Source) CredentialCookies() []string {
	if r, ok := s.cfg.Scheme.(RequestScheme); ok {
		return r.CredentialCookies()
	}
	return nil
}

// CredentialParams returns the names of the query parameters that carry
// the credentials of s, when its Scheme is a [RequestScheme]; nil
// otherwise.
func (s *Source) CredentialParams() []string {
	if r, ok := s.cfg.Scheme.(RequestScheme); ok {
		return r.CredentialParams()
	}
	return nil
}

// withCookie adds "Cookie" to names, sorted, when the credentials of s
// are in cookies too.
func (s *Source) withCookie(names []string) []string {
	if len(s.CredentialCookies()) == 0 || slices.Contains(names, "Cookie") {
		return names
	}
	names = append(slices.Clip(names), "Cookie")
	slices.Sort(names)
	return names
}
