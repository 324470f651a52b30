package loginauth

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
)

// drainLimit bounds how much of a refused response is read so that its
// connection can be reused.
const drainLimit = 64 << 10

// Transport is an [http.RoundTripper] that puts a [Source]'s credentials
// on requests to the Source's origins, and re-sends a request once, with
// fresh credentials, when the API refuses them. Requests to any other
// origin, including redirect hops to other hosts, pass through without
// credentials. It is safe for concurrent use.
type Transport struct {
	src  *Source
	base http.RoundTripper
}

var _ http.RoundTripper = (*Transport)(nil)

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
//
// When the Source's [Scheme] says the response refused the credentials,
// RoundTrip closes that response, invalidates the token, obtains a fresh
// one (one login for all requests refused together) and sends the request
// again, once, with a body from req.GetBody. A request with a body but no
// GetBody cannot be re-sent: its refusal is returned as it is, and the
// token is invalidated all the same, so that the next request logs in.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	s := t.src
	if s.err == nil && !s.owns(req.URL) {
		s.withheld(req.URL)
		return t.transport().RoundTrip(req)
	}
	e, err := s.entry(req.Context())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.transport().RoundTrip(authorize(req, e, req.Body))
	if err != nil || !s.cfg.Scheme.Refused(resp) {
		return resp, err
	}

	s.Invalidate(e.tok) // whether or not this request can be re-sent, the next one logs in
	hasBody := req.Body != nil && req.Body != http.NoBody
	if hasBody && req.GetBody == nil {
		s.debug("refusal returned: request body cannot be replayed", slog.String("origin", originOf(req.URL)))
		return resp, nil
	}
	io.CopyN(io.Discard, resp.Body, drainLimit)
	resp.Body.Close()
	e2, err := s.entry(req.Context())
	if err != nil {
		return nil, fmt.Errorf("%s: credentials refused (HTTP %d), and renewing them failed: %w", s.cfg.Provider, resp.StatusCode, err)
	}
	body := req.Body
	if hasBody {
		if body, err = req.GetBody(); err != nil {
			return nil, fmt.Errorf("%s: re-sending refused request: GetBody: %w", s.cfg.Provider, err)
		}
	}
	s.stats.retries.Add(1)
	s.emit(Event{Kind: EventRetry, Origin: originOf(req.URL)})
	return t.transport().RoundTrip(authorize(req, e2, body))
}

// authRequest holds a request and its URL in one allocation.
type authRequest struct {
	req http.Request
	url url.URL
}

// authorize returns a copy of req, with its own URL and its own header
// map, that carries the credentials of e and has the given body. The header
// value slices are shared with req and e, as the RoundTripper contract
// forbids the base transport to modify them; the map itself is cloned
// wholesale, which costs far less than re-inserting every field.
func authorize(req *http.Request, e *entry, body io.ReadCloser) *http.Request {
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
		h[f.key] = f.vals
	}
	c.req.Header = h
	return &c.req
}

// withheld reports a request sent without credentials to another origin.
// A plain-http request to one of the origins' hosts is a downgrade and is
// reported as a warning.
func (s *Source) withheld(u *url.URL) {
	s.stats.withheld.Add(1)
	if s.cfg.OnEvent == nil && s.cfg.Logger == nil {
		return
	}
	ev := Event{Kind: EventWithheld, Origin: originOf(u)}
	if s.cfg.Logger != nil && u.Scheme == "http" && !isLoopback(u.Hostname()) {
		for _, o := range s.origins {
			if strings.EqualFold(o.host, u.Hostname()) {
				s.warn("credentials withheld from plain-http origin", slog.String("origin", ev.Origin))
				break
			}
		}
	}
	s.emit(ev)
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
