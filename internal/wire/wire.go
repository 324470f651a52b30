// Package wire holds the HTTP plumbing that every provider's login,
// refresh and signup calls share: a JSON POST with a bounded response
// read, a redirect policy that keeps credentials on their origin, and
// clear errors for responses that are not what a provider documents.
package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/loginauth/loginauth"
)

// MaxBody is the most a login response may hold; reading stops one byte
// past it.
const MaxBody = 1 << 20

// maxRedirects is how many same-origin redirects a login call follows.
const maxRedirects = 10

// Call is one JSON call to a provider's login, refresh, signup or
// discovery endpoint.
type Call struct {
	Method   string       // empty means POST
	Provider string       // "mic", "xano", ...
	Op       string       // "login", "refresh", "signup"
	Client   *http.Client // from [Client]; nil means a client made by Client(nil)
	URL      string
	Header   http.Header // extra request fields, such as an API key
	Body     any         // encoded as JSON
	// Form, if non-nil, is sent as an application/x-www-form-urlencoded
	// body in place of Body.
	Form url.Values
	// ContentType defaults to "application/json", or to
	// "application/x-www-form-urlencoded" for a Form.
	ContentType string
	// Now is the Source's clock ([loginauth.Options.Now]), which turns an
	// HTTP-date Retry-After into a wait. Nil means time.Now.
	Now func() time.Time
}

// Response is a provider's answer, read whole (up to [MaxBody]).
type Response struct {
	Provider, Op string
	Status       int
	Header       http.Header
	Body         []byte
	now          func() time.Time // the Call's Now
}

// Do sends c and reads the response. It fails with a
// *loginauth.LoginError when the request cannot be sent or the body
// exceeds MaxBody; any status is otherwise returned for the provider to
// judge.
func Do(ctx context.Context, c Call) (*Response, error) {
	var body io.Reader
	if c.Form != nil {
		body = strings.NewReader(c.Form.Encode())
	} else if c.Body != nil {
		b, err := json.Marshal(c.Body)
		if err != nil {
			return nil, &loginauth.LoginError{Provider: c.Provider, Op: c.Op, Err: fmt.Errorf("encoding request: %w", err)}
		}
		body = bytes.NewReader(b)
	}
	method := c.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL, body)
	if err != nil {
		return nil, &loginauth.LoginError{Provider: c.Provider, Op: c.Op, Err: err}
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if body != nil {
		ct := c.ContentType
		if ct == "" {
			ct = "application/json"
			if c.Form != nil {
				ct = "application/x-www-form-urlencoded"
			}
		}
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Accept", "application/json")
	client := c.Client
	if client == nil {
		client = Client(nil)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, &loginauth.LoginError{Provider: c.Provider, Op: c.Op, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	r := &Response{Provider: c.Provider, Op: c.Op, Status: resp.StatusCode, Header: resp.Header, Body: b, now: c.Now}
	if err != nil {
		return nil, r.Fail(fmt.Errorf("reading response after %d bytes: %w", len(b), err))
	}
	if len(b) > MaxBody {
		return nil, r.Fail(fmt.Errorf("response body exceeds %d bytes; stopped reading after %d", MaxBody, len(b)))
	}
	return r, nil
}

// OK reports whether the status is 2xx.
func (r *Response) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Fail returns a LoginError for r with the given cause, and with the
// wait that a 429 or 503 answer asks for in its Retry-After field.
func (r *Response) Fail(err error) *loginauth.LoginError {
	le := &loginauth.LoginError{Provider: r.Provider, Op: r.Op, Status: r.Status, Err: err}
	if r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable {
		now := time.Now
		if r.now != nil {
			now = r.now
		}
		le.RetryAfter = RetryAfter(r.Header.Get("Retry-After"), now())
	}
	return le
}

// ProviderError returns a LoginError for r, as [Response.Fail] does,
// that carries the provider's own error code and message.
// badCredentials reports that the provider refused the credentials, so
// that retrying will not help.
func (r *Response) ProviderError(code, message string, badCredentials bool) *loginauth.LoginError {
	le := r.Fail(nil)
	le.Code, le.Message, le.BadCredentials = code, message, badCredentials
	return le
}

// RetryAfter parses a Retry-After field, in seconds or as an HTTP date,
// into a wait from now. It returns zero for an absent, malformed or past
// value.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Decode decodes the JSON body into v. When the body is empty, an HTML
// page, or not valid JSON, it returns a LoginError that says so and how
// many bytes it read.
func (r *Response) Decode(v any) error {
	if err := r.decode(v); err != nil {
		return r.Fail(err)
	}
	return nil
}

func (r *Response) decode(v any) error {
	n := len(r.Body)
	switch {
	case len(bytes.TrimSpace(r.Body)) == 0:
		return fmt.Errorf("response body is empty (read %d bytes)", n)
	case isHTML(r.Header, r.Body):
		return fmt.Errorf("response is an HTML page, not JSON (read %d bytes)", n)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return fmt.Errorf("response is not valid JSON (read %d bytes, error at byte %d)", n, syn.Offset)
		}
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return fmt.Errorf("response field %q has JSON type %s, want %s (read %d bytes)", typ.Field, typ.Value, typ.Type, n)
		}
		if strings.Contains(err.Error(), "unexpected end") {
			return fmt.Errorf("response is truncated JSON (read %d bytes)", n)
		}
		return fmt.Errorf("response is not valid JSON (read %d bytes)", n)
	}
	return nil
}

// Missing returns a LoginError saying that a well-formed response lacks
// the named field.
func (r *Response) Missing(field string) *loginauth.LoginError {
	return r.Fail(fmt.Errorf("response has no %s (read %d bytes)", field, len(r.Body)))
}

// Unexpected returns a LoginError for a status the provider does not
// document, naming the status and what the body looked like. Of the
// Content-Type it names the media type only: its parameters are the
// server's free text, which may echo a secret.
func (r *Response) Unexpected() *loginauth.LoginError {
	ct := r.Header.Get("Content-Type")
	what := "no Content-Type"
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		what = fmt.Sprintf("Content-Type %q", mt)
	} else if ct != "" {
		what = "a malformed Content-Type"
	}
	if isHTML(r.Header, r.Body) {
		what = "an HTML page"
	}
	return r.Fail(fmt.Errorf("unexpected response %s with %s (read %d bytes)", http.StatusText(r.Status), what, len(r.Body)))
}

func isHTML(h http.Header, body []byte) bool {
	ct, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	b := bytes.TrimSpace(body)
	return ct == "text/html" || (len(b) > 0 && b[0] == '<')
}

// JSONOrAbsent reports whether h declares a JSON body, or no type at all.
func JSONOrAbsent(h http.Header) bool {
	ct := h.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// PeekJSON is [loginauth.PeekBody] for responses whose Content-Type is JSON
// or absent; it reads nothing of other responses and reports false.
func PeekJSON(resp *http.Response, limit int64) ([]byte, bool) {
	if !JSONOrAbsent(resp.Header) {
		return nil, false
	}
	return loginauth.PeekBody(resp, limit)
}

// Client returns a copy of c (nil means a new [http.Client]) that follows
// redirects only within the origin of the first request, so that a
// password or refresh token is never sent to another host. It keeps c's
// own CheckRedirect for same-origin hops.
func Client(c *http.Client) *http.Client {
	var cc http.Client
	if c != nil {
		cc = *c
	}
	next := cc.CheckRedirect
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
			return fmt.Errorf("refusing redirect to another origin %s://%s", req.URL.Scheme, req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
	return &cc
}
