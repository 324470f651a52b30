package jsonlogin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/loginauth/loginauth/internal/wire"
)

// where is one place of an answer that may hold a value: a JSON Pointer
// into the body, a header field, a cookie that the answer sets, or that
// cookie's expiry. Exactly one field is set.
type where struct {
	ptr           *pointer
	header        string // canonical field name
	cookie        string
	cookieExpires string
}

// values is where a value comes from: the first place that holds one
// wins. Nil: the description does not name the value.
type values []where

// whereJSON is the JSON form of a place that is not a JSON Pointer.
type whereJSON struct {
	Header        *string `json:"header"`
	Cookie        *string `json:"cookie"`
	CookieExpires *string `json:"cookie_expires"`
}

// parseValues parses raw, found at path: a JSON Pointer, a one-key object
// {"header": NAME}, {"cookie": NAME} or {"cookie_expires": NAME}, or a
// list of those. cookie_expires gives a time, so only expires_at (times)
// takes it.
func parseValues(path string, raw json.RawMessage, times bool) (values, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		w, err := parseWhere(path, raw, times)
		if err != nil {
			return nil, err
		}
		return values{w}, nil
	}
	var list []json.RawMessage
	if err := strictDecode(path, raw, &list); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("jsonlogin: %s: an empty list names no place for the value", path)
	}
	out := make(values, 0, len(list))
	for i, e := range list {
		w, err := parseWhere(fmt.Sprintf("%s[%d]", path, i), e, times)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// parseWhere parses one place at path.
func parseWhere(path string, raw json.RawMessage, times bool) (where, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := strictDecode(path, raw, &s); err != nil {
			return where{}, err
		}
		p, err := parsePointer(s)
		if err != nil {
			return where{}, fmt.Errorf("jsonlogin: %s: %w", path, err)
		}
		return where{ptr: &p}, nil
	}
	if len(raw) == 0 || raw[0] != '{' {
		return where{}, fmt.Errorf("jsonlogin: %s: is not a JSON Pointer, {\"header\": NAME}, {\"cookie\": NAME}, {\"cookie_expires\": NAME} or a list of them", path)
	}
	var wj whereJSON
	if err := strictDecode(path, raw, &wj); err != nil {
		return where{}, err
	}
	var w where
	n := 0
	for _, f := range []struct {
		key string
		raw *string
		dst *string
	}{{"header", wj.Header, &w.header}, {"cookie", wj.Cookie, &w.cookie}, {"cookie_expires", wj.CookieExpires, &w.cookieExpires}} {
		if f.raw == nil {
			continue
		}
		n++
		if !fieldName(*f.raw) {
			return where{}, fmt.Errorf("jsonlogin: %s.%s: %q is not a %s name", path, f.key, *f.raw, strings.TrimSuffix(f.key, "_expires"))
		}
		*f.dst = *f.raw
	}
	switch {
	case n != 1:
		return where{}, fmt.Errorf("jsonlogin: %s: give one of header, cookie and cookie_expires", path)
	case w.cookieExpires != "" && !times:
		return where{}, fmt.Errorf("jsonlogin: %s.cookie_expires: a cookie's expiry is a time: only expires_at takes it", path)
	}
	w.header = http.CanonicalHeaderKey(w.header)
	return w, nil
}

// String describes the place for an error: `at "/data/token"`,
// `in header "X-Token"`, `in cookie "SID"`, `in the expiry of cookie "SID"`.
func (w where) String() string {
	switch {
	case w.ptr != nil:
		return "at " + strconv.Quote(w.ptr.raw)
	case w.header != "":
		return "in header " + strconv.Quote(w.header)
	case w.cookie != "":
		return "in cookie " + strconv.Quote(w.cookie)
	}
	return "in the expiry of cookie " + strconv.Quote(w.cookieExpires)
}

// String describes every place, in order.
func (vs values) String() string {
	parts := make([]string, len(vs))
	for i, w := range vs {
		parts[i] = w.String()
	}
	return strings.Join(parts, " or ")
}

// outside reports whether a place of vs is outside the body: a header or
// a cookie.
func (vs values) outside() bool {
	for _, w := range vs {
		if w.ptr == nil {
			return true
		}
	}
	return false
}

// inBody reports whether a place of vs is in the body.
func (vs values) inBody() bool {
	for _, w := range vs {
		if w.ptr != nil {
			return true
		}
	}
	return false
}

// find returns the value of the first place of vs that holds one (not
// null, not ""), and that place. doc is the decoded body (nil when it is not JSON); now is
// the time that a cookie's Max-Age counts from. A header's or cookie's
// value is a string, a cookie's expiry a time.Time.
func (vs values) find(r *wire.Response, doc any, now time.Time) (any, where, bool) {
	for _, w := range vs {
		switch {
		case w.ptr != nil:
			if v, ok := w.ptr.get(doc); ok && v != nil && v != "" {
				return v, w, true
			}
		case w.header != "":
			if v := r.Header.Get(w.header); v != "" {
				return v, w, true
			}
		case w.cookie != "":
			if c := setCookie(r.Header, w.cookie, now); c != nil && c.Value != "" {
				return c.Value, w, true
			}
		default:
			if c := setCookie(r.Header, w.cookieExpires, now); c != nil {
				if c.MaxAge > 0 {
					return now.Add(time.Duration(c.MaxAge) * time.Second), w, true
				}
				if !c.Expires.IsZero() {
					return c.Expires, w, true
				}
			}
		}
	}
	return nil, where{}, false
}

// setCookie returns the last cookie named name that h sets; nil when
// there is none, or when the last one deletes the cookie (a Max-Age of 0
// or less, or an Expires in the past).
func setCookie(h http.Header, name string, now time.Time) *http.Cookie {
	var last *http.Cookie
	for _, line := range h.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil && c.Name == name {
			last = c
		}
	}
	if last == nil || last.MaxAge < 0 || (last.MaxAge == 0 && !last.Expires.IsZero() && !last.Expires.After(now)) {
		return nil
	}
	return last
}

// readsOutside reports whether any value of s comes from a header or a
// cookie, so that login and refresh answers are read at their first hop.
func (s *Spec) readsOutside() bool {
	for _, vs := range s.extra {
		if vs.outside() {
			return true
		}
	}
	return s.token.outside() || s.refreshToken.outside() || s.expiresIn.outside() || s.expiresAt.outside()
}

// lastHop returns a copy of c that does not follow redirects: the answer
// is the first hop's, with its own Set-Cookie and header fields.
func lastHop(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// parseAnswerValues parses where the token and its values come from:
// token, refresh_token, expires_in (with expires_in_unit) and
// expires_at.
func (s *Spec) parseAnswerValues(sj *specJSON) error {
	var err error
	if s.token, err = parseValues("token", sj.Token, false); err != nil {
		return err
	}
	for _, f := range []struct {
		name  string
		raw   json.RawMessage
		dst   *values
		times bool
	}{{"refresh_token", sj.RefreshToken, &s.refreshToken, false}, {"expires_in", sj.ExpiresIn, &s.expiresIn, false}, {"expires_at", sj.ExpiresAt, &s.expiresAt, true}} {
		if !present(f.raw) {
			continue
		}
		if *f.dst, err = parseValues(f.name, f.raw, f.times); err != nil {
			return err
		}
	}
	s.expiresInUnit = time.Second
	if u := sj.ExpiresInUnit; u != nil {
		switch {
		case s.expiresIn == nil:
			return errors.New("jsonlogin: expires_in_unit: given without expires_in")
		case *u == "ms":
			s.expiresInUnit = time.Millisecond
		case *u != "s":
			return fmt.Errorf("jsonlogin: expires_in_unit: %q is not one of \"s\" and \"ms\"", *u)
		}
	}
	return nil
}

// parseExtra parses where the values of extra come from.
func parseExtra(m map[string]json.RawMessage) (map[string]values, error) {
	out := make(map[string]values, len(m))
	for _, k := range sortedKeys(m) {
		vs, err := parseValues("extra."+k, m[k], false)
		if err != nil {
			return nil, err
		}
		out[k] = vs
	}
	return out, nil
}
