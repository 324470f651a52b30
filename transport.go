package loginauth

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
)

// Transport is an [http.RoundTripper] that puts a [Source]'s credentials
// on requests to the Source's origins, and re-sends a request once, with
// fresh credentials, when the API refuses them. Requests to any other
// origin, including redirect hops to other hosts, pass through without
// credentials; so does a request whose Host field names another host than
// its URL, since a shared front end routes by Host (such a request is
// logged as a warning). It is safe for concurrent use. Create it with
// [NewTransport]: the zero Transport has no Source, and its RoundTrip
// fails with an error that says so.
type Transport struct {
	src  *Source
	base http.RoundTripper
}

var _ http.RoundTripper = (*Transport)(nil)

// errNoSource is the error of the RoundTrip of a Transport that has no
// Source, such as the zero Transport{}.
var errNoSource = errors.New("loginauth: Transport has no Source; create it with NewTransport")

// NewTransport returns a Transport that authenticates requests with src
// and sends them through base. A nil base means [http.DefaultTransport].
func NewTransport(src *Source, base http.RoundTripper) *Transport {
	return &Transport{src: src, base: base}
}

// Source returns the Source that t takes its credentials from.
func (t *Transport) Source() *Source { return t.src }

func (t *Transport) transport() http.RoundTripper {
	if t.base != nil {
		return t.base
	}
	return http.DefaultTransport
}

// RoundTrip sends req with credentials when it goes to one of the
// Source's origins, and without them otherwise. It never modifies req,
// always closes its body, and returns a response or an error, never both.
// A credential field that req carries already (an Authorization set by
// another client library, say) is replaced; the Source's Logger records
// that once, at debug level. With a [RequestScheme], the Source's cookies
// are merged with req's own and its query parameters set: see there. The
// response's Request field is req, never the copy that carried the
// credentials.
//
// When the Source's [Scheme] says the response refused the credentials,
// RoundTrip closes that response, invalidates the token, obtains a fresh
// one (one login for all requests refused together) and sends the request
// again, once, with a body from req.GetBody and with "Cache-Control:
// no-cache", so that a cache below the Transport forwards it instead of
// answering with the refusal it stored. A request with a body but no
// GetBody cannot be re-sent: its refusal is returned as it is, and the
// token is invalidated all the same, so that the next request logs in.
//
// When the re-sent request is refused as well, logging in again would not
// help: the fresh token is forgotten, the refusal is returned, and the
// Source backs off as after a failed login, so that later requests fail
// at once with a [BackoffError] that wraps [ErrFreshTokenRefused] instead
// of costing a login each.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	s := t.src
	if s == nil {
		closeBody(req)
		return nil, errNoSource
	}
	if !s.authorizes(req) {
		return t.transport().RoundTrip(req)
	}
	e, err := s.current(req.Context())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	r, replaced := authorize(req, e, req.Body)
	if replaced != "" {
		s.replacedHeader(replaced)
	}
	resp, err := t.send(req, r, e)
	if err != nil {
		return nil, err
	}
	if !s.refusedCached(resp, e) {
		return resp, nil
	}

	hasBody := req.Body != nil && req.Body != http.NoBody
	if hasBody && req.GetBody == nil {
		s.notReplayable(req)
		return resp, nil
	}
	// Closed unread: draining a body that drips would hold up the re-send.
	resp.Body.Close()
	e2, err := s.renewRefused(req.Context(), resp.StatusCode)
	if err != nil {
		return nil, err
	}
	body, err := s.resending(req, hasBody)
	if err != nil {
		return nil, err
	}
	r, _ = authorize(req, e2, body)
	revalidate(r.Header)
	resp, err = t.send(req, r, e2)
	if err != nil {
		return nil, err
	}
	s.resentAnswered(resp, e2)
	return resp, nil
}

// send sends r, the copy of req that carries the credentials of e, and
// returns its response with its Request field set back to req, so that the
// caller never sees the copy. An error comes back without the values of
// the cookies and query parameters of e, which a URL in it may hold.
func (t *Transport) send(req, r *http.Request, e *entry) (*http.Response, error) {
	resp, err := t.transport().RoundTrip(r)
	if err != nil {
		return nil, e.sess.scrub(err)
	}
	resp.Request = req
	return resp, nil
}

// authRequest holds a request and its URL in one allocation.
type authRequest struct {
	req http.Request
	url url.URL
}

// authorize returns a copy of req, with its own URL and its own header
// map, that carries the credentials of e and has the given body, and the
// name of a credential field that req already had and the copy replaces,
// if any. The header value slices are shared with req and e, as the
// RoundTripper contract forbids the base transport to modify them; the map
// itself is cloned wholesale, which costs far less than re-inserting every
// field.
func authorize(req *http.Request, e *entry, body io.ReadCloser) (r *http.Request, replaced string) {
	c := new(authRequest)
	c.req = *req
	c.url = *req.URL
	c.req.URL = &c.url
	c.req.Body = body

	h := maps.Clone(req.Header)
	if h == nil {
		h = make(http.Header, len(e.header))
	}
	for _, f := range e.header {
		n := len(h)
		h[f.key] = f.vals
		if len(h) == n { // the field was there already: no lookup on the common path
			replaced = f.key
		}
	}
	if e.sess != nil {
		e.sess.edit(h, &c.url)
	}
	c.req.Header = h
	return &c.req, replaced
}

// noCache is the Cache-Control of a re-sent request.
var noCache = []string{"no-cache"}

// revalidate makes h, the header of a re-sent request, ask caches for a
// response from the origin, so that a cache below the Transport cannot
// answer with the refusal it stored. A request that already forbids
// caches to answer or to store keeps its own Cache-Control.
func revalidate(h http.Header) {
	for _, v := range h["Cache-Control"] {
		if v = strings.ToLower(v); strings.Contains(v, "no-cache") || strings.Contains(v, "no-store") {
			return
		}
	}
	h["Cache-Control"] = noCache
}

func originOf(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// CloseIdleConnections closes the idle connections of the base transport,
// when it has such a method.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.transport().(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// Format prints the Transport's Source; never credentials.
func (t *Transport) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "loginauth.Transport{Source:%v}", t.src)
}

// String is like Format with %v.
func (t *Transport) String() string { return fmt.Sprint(t) }

// GoString is like Format with %#v.
func (t *Transport) GoString() string { return fmt.Sprint(t) }
