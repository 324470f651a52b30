package jsonlogin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// session holds the parts of a description for APIs whose session is not
// only a header: credentials in cookies or in the query, a refresh that
// sends the current token, and a logout.
type session struct {
	cookie            map[string]string // cookie name → template
	query             map[string]string // parameter name → template
	logout            *request
	refreshWhileValid bool // refresh.needs_valid_token
}

// sessionJSON is the JSON form of a session's fields of a description.
type sessionJSON struct {
	Cookie map[string]string `json:"cookie"`
	Query  map[string]string `json:"query"`
	Logout json.RawMessage   `json:"logout"`
}

// parseSession parses cookie, query and logout, and the needs_valid_token
// of the requests that parseRequest has parsed.
func (s *Spec) parseSession(sj specJSON) error {
	for _, k := range sortedKeys(sj.Cookie) {
		path := "cookie." + k
		if !fieldName(k) {
			return fmt.Errorf("jsonlogin: %s: %q is not a cookie name", path, k)
		}
		if strings.ContainsFunc(sj.Cookie[k], func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("\";,\\", r) }) {
			return fmt.Errorf("jsonlogin: %s: a cookie value cannot hold spaces, control characters, '\"', ';', ',' or '\\'", path)
		}
		if err := s.checkTemplate(path, sj.Cookie[k], "header"); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(sj.Query) {
		if k == "" {
			return errors.New("jsonlogin: query: a parameter name cannot be empty")
		}
		if err := s.checkTemplate("query."+k, sj.Query[k], "header"); err != nil {
			return err
		}
	}
	s.cookie, s.query = sj.Cookie, sj.Query
	if present(sj.Logout) {
		var err error
		if s.logout, err = s.parseRequest("logout", sj.Logout); err != nil {
			return err
		}
	}
	for path, rq := range map[string]*request{"login": s.login, "logout": s.logout} {
		if rq != nil && rq.needsValidToken {
			return fmt.Errorf("jsonlogin: %s.needs_valid_token: only refresh takes it", path)
		}
	}
	s.refreshWhileValid = s.refresh != nil && s.refresh.needsValidToken
	return nil
}

// logout makes the description's logout request with tok.
func (c *client) logout(ctx context.Context, tok *oauth2.Token) error {
	_, err := c.call(ctx, "logout", c.spec.logout, tok)
	return err
}

// Cookies returns the description's cookies expanded for tok; a cookie
// that expands to "" is left off.
func (s *scheme) Cookies(tok *oauth2.Token) []*http.Cookie {
	var out []*http.Cookie
	for _, k := range sortedKeys(s.c.spec.cookie) {
		if v := s.c.expand(s.c.spec.cookie[k], tok); v != "" {
			out = append(out, &http.Cookie{Name: k, Value: v})
		}
	}
	return out
}

// Params returns the description's query parameters expanded for tok; a
// parameter that expands to "" is left off.
func (s *scheme) Params(tok *oauth2.Token) url.Values {
	out := url.Values{}
	for k, t := range s.c.spec.query {
		if v := s.c.expand(t, tok); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

// CredentialCookies returns the names of the description's cookies,
// sorted.
func (s *scheme) CredentialCookies() []string { return sortedKeys(s.c.spec.cookie) }

// CredentialParams returns the names of the description's query
// parameters, sorted.
func (s *scheme) CredentialParams() []string { return sortedKeys(s.c.spec.query) }
