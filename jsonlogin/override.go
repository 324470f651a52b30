package jsonlogin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
)

// Overrides changes a parsed description from Go, for a provider whose
// Config sets what a description holds (a login path, where the token
// is, a header name) and for what data cannot say (a refusal check, an
// error that needs decoding). A zero field keeps the description's.
// [Spec.With] applies them.
type Overrides struct {
	// LoginPath replaces login.path (or login.url): a path that joins
	// base_url and starts with "/", taken as written: it holds no
	// {{variables}}.
	LoginPath string
	// LoginJSON sets members of the login request's JSON object body,
	// sent as they are: their strings are not templates.
	LoginJSON map[string]any
	// LoginOp names the login call in errors, such as "signup"; empty
	// means "login". Only a call named "login" can refuse the credentials
	// (bad_credentials).
	LoginOp string
	// Token replaces token: the JSON Pointers of the places that may hold
	// the token, of which the first that holds a value wins.
	Token []string
	// Header replaces header: field name → template, as in a description.
	Header map[string]string
	// Refused replaces the refused rules.
	Refused loginauth.RefusalFunc
	// StoreKey replaces the key under which the Sources keep their tokens
	// in a [loginauth.Store], so that a provider keeps the key of its
	// stored tokens.
	StoreKey string
	// Check, when not nil, replaces the check of the values of the
	// variables and of the URLs they make: a Source fails with what it
	// returns. Origins are still checked ([loginauth.Options.AllowHTTP]).
	Check func() error
	// Error, when not nil, is called with each failed answer's
	// LoginError, as error.code, error.message and bad_credentials made
	// it, and the answer's body, which it must not keep. It may change the
	// error's Code, Message, Err and BadCredentials: for an error that
	// data cannot decode, such as a JSON object inside a JSON string.
	Error func(le *loginauth.LoginError, body []byte)
	// WrapLogin, when not nil, wraps the Source's login: it is given the
	// description's login and returns the one the Source calls.
	WrapLogin func(login loginauth.LoginFunc) loginauth.LoginFunc
}

// hooks are the Overrides that are not a part of the description.
type hooks struct {
	refused   loginauth.RefusalFunc
	storeKey  string
	check     func() error
	onError   func(le *loginauth.LoginError, body []byte)
	wrapLogin func(loginauth.LoginFunc) loginauth.LoginFunc
}

// asIs is a value of a JSON body that is sent as it is.
type asIs struct{ v any }

// With returns a copy of s changed by o; s is left as it is. It fails
// when a value of o could not stand in a description, with the error
// that [Parse] would give.
func (s *Spec) With(o Overrides) (*Spec, error) {
	if s == nil || !s.parsed {
		return nil, errNotParsed
	}
	c := *s
	c.shared = &common{} // what its Sources share differs from s's
	if o.LoginPath != "" || o.LoginJSON != nil || o.LoginOp != "" {
		rq, err := s.login.with(o)
		if err != nil {
			return nil, err
		}
		c.login = rq
	}
	if o.Token != nil {
		c.token = make(values, 0, len(o.Token))
		for i, t := range o.Token {
			p, err := parsePointer(t)
			if err != nil {
				return nil, fmt.Errorf("jsonlogin: token[%d]: %w", i, err)
			}
			c.token = append(c.token, where{ptr: &p})
		}
	}
	if o.Header != nil {
		h, err := c.parseHeaders("header", o.Header, "header")
		if err != nil {
			return nil, err
		}
		if !carriesToken(h) && len(c.cookie) == 0 && len(c.query) == 0 {
			return nil, errors.New("jsonlogin: header: no field carries {{token}}")
		}
		c.header = h
	}
	if o.Refused != nil {
		c.hooks.refused = o.Refused
	}
	if o.StoreKey != "" {
		c.hooks.storeKey = o.StoreKey
	}
	if o.Check != nil {
		c.hooks.check = o.Check
	}
	if o.Error != nil {
		c.hooks.onError = o.Error
	}
	if o.WrapLogin != nil {
		c.hooks.wrapLogin = o.WrapLogin
	}
	return &c, nil
}

// with returns a copy of the login request rq changed by o.
func (rq *request) with(o Overrides) (*request, error) {
	out := *rq
	if o.LoginOp != "" {
		out.op = o.LoginOp
	}
	if p := o.LoginPath; p != "" {
		if !strings.HasPrefix(p, "/") || strings.Contains(p, "{{") {
			return nil, fmt.Errorf("jsonlogin: login.path: %q must start with \"/\" and hold no template", p)
		}
		out.path, out.url = p, ""
	}
	if o.LoginJSON != nil {
		body, ok := rq.json.(map[string]any)
		if rq.hasJSON && !ok {
			return nil, errors.New("jsonlogin: login.json: not an object, so no member can be set")
		}
		body = maps.Clone(body)
		if body == nil {
			body = map[string]any{}
		}
		for k, v := range o.LoginJSON {
			body[k] = asIs{v}
		}
		out.json, out.hasJSON = body, true
	}
	return &out, nil
}

// carriesToken reports whether a field of h names {{token}}.
func carriesToken(h map[string]string) bool {
	for _, t := range h {
		if ns, _ := names(t); slices.Contains(ns, nameToken) {
			return true
		}
	}
	return false
}

// Login makes the description's login call once, outside any Source,
// with the given values of its variables, and returns the token it
// gets: for a call such as a signup, made once before a Source takes
// over ([Overrides.LoginPath], [Overrides.LoginOp]). opts.Now and
// opts.AllowHTTP apply; no Store is read or written.
func (s *Spec) Login(ctx context.Context, vars map[string]string, opts loginauth.Options) (*oauth2.Token, error) {
	if s == nil || !s.parsed {
		return nil, errNotParsed
	}
	c, err := s.client(vars, opts)
	if err != nil {
		return nil, err
	}
	tok, err := c.login(ctx)
	if err != nil {
		return nil, c.scrubbed(err)
	}
	return tok, nil
}

// scrubbed returns err with the values of the secret variables replaced:
// a *loginauth.LoginError stays one, with its Code, Message and cause
// scrubbed.
func (c *client) scrubbed(err error) error {
	sc := c.scrub()
	le, ok := err.(*loginauth.LoginError)
	if !ok {
		if sc.Contains(err.Error()) {
			return errors.New(sc.String(err.Error()))
		}
		return err
	}
	out := *le
	out.Code, out.Message = sc.String(le.Code), sc.String(le.Message)
	if le.Err != nil && sc.Contains(le.Err.Error()) {
		out.Err = errors.New(sc.String(le.Err.Error()))
	}
	return &out
}

// isRefused returns the refusal check: the description's refused rules,
// or the Go function that replaces them.
func (s *Spec) isRefused() loginauth.RefusalFunc {
	if s.hooks.refused != nil {
		return s.hooks.refused
	}
	return s.refused.refused
}

// Refused reports whether resp refuses the credentials, by the
// description's refused rules or the [Overrides] Refused that replaces
// them. It reads the body only as far as the rules need, and puts back
// what it read: the caller reads the whole body.
func (s *Spec) Refused(resp *http.Response) bool {
	if s == nil || !s.parsed {
		return false
	}
	return s.isRefused()(resp)
}
