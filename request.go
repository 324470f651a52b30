package loginauth

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth/internal/hostname"
)

// The Source's side of a request through a [Transport], in the order of
// RoundTrip: whether the request gets credentials (authorizes), the token
// it gets (current), a credential field of the request's own that it
// replaces (replacedHeader), the API's answer to a cached token
// (refusedCached), a refusal that cannot be re-sent (notReplayable), the
// renewed token (renewRefused), the re-send (resending), and the API's
// answer to the renewed token (resentAnswered). The Transport touches no
// field of the Source.

// authorizes reports whether req goes to one of the origins, or the
// Source is misconfigured, so that RoundTrip fails with its error;
// otherwise req is sent without credentials, and reported as withheld.
func (s *Source) authorizes(req *http.Request) bool {
	if s.err == nil && !s.Owns(req) {
		s.withheld(req)
		return false
	}
	return true
}

// refusedCached reports whether resp refuses e, the cached token that a
// request carried. A refused token is forgotten at once, whether or not
// the request can be re-sent, so that the next request logs in; an
// accepted one ends the count of fresh tokens refused in a row.
func (s *Source) refusedCached(resp *http.Response, e *entry) bool {
	if !s.cfg.Scheme.Refused(resp) {
		s.accepted()
		return false
	}
	s.Invalidate(e.tok) // whether or not this request can be re-sent, the next one logs in
	return true
}

// notReplayable reports a refusal that RoundTrip returns as it is, since
// req has a body and no GetBody.
func (s *Source) notReplayable(req *http.Request) {
	s.debug("refusal returned: request body cannot be replayed", slog.String("origin", originOf(req.URL)))
}

// renewRefused returns the token that replaces one the API refused with
// status: one login for all the requests refused together.
func (s *Source) renewRefused(ctx context.Context, status int) (*entry, error) {
	e, err := s.current(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: credentials refused (HTTP %d), and renewing them failed: %w", s.cfg.Provider, status, err)
	}
	return e, nil
}

// resending returns the body of the re-sent copy of req, a new one from
// GetBody when hasBody, and counts and reports the re-send.
func (s *Source) resending(req *http.Request, hasBody bool) (io.ReadCloser, error) {
	body := req.Body
	if hasBody {
		var err error
		if body, err = req.GetBody(); err != nil {
			return nil, fmt.Errorf("%s: re-sending refused request: GetBody: %w", s.cfg.Provider, err)
		}
	}
	s.stats.more().retries.Add(1)
	s.emit(Event{Kind: EventRetry, Origin: originOf(req.URL)})
	return body, nil
}

// resentAnswered notes the API's answer to e, the token that a re-sent
// request carried: its refusal is a failed login (see freshTokenRefused),
// its acceptance ends the count of such refusals.
func (s *Source) resentAnswered(resp *http.Response, e *entry) {
	if s.cfg.Scheme.Refused(resp) {
		s.freshTokenRefused(e.tok, resp.StatusCode)
	} else {
		s.accepted()
	}
}

// replacedHeader logs, once per Source, that a request came with a
// credential field of its own (an Authorization set by another client
// library, say), which the Transport replaced.
func (s *Source) replacedHeader(name string) {
	if s.cfg.Logger != nil && !s.replaced.Load() && s.replaced.CompareAndSwap(false, true) {
		s.debug("request's own credential header replaced; logged once per Source", slog.String("header", name))
	}
}

// withheld reports a request sent without credentials to another origin.
// A request whose Host names another host than its URL, and a plain-http
// request to one of the origins' hosts (a downgrade), are reported as
// warnings.
func (s *Source) withheld(req *http.Request) {
	s.stats.more().withheld.Add(1)
	if s.cfg.OnEvent == nil && s.cfg.Logger == nil {
		return
	}
	u := req.URL
	ev := Event{Kind: EventWithheld, Origin: originOf(u)}
	if req.Host != "" && u != nil && !sameHost(u, req.Host) {
		s.warn("credentials withheld: the request's Host names another host than its URL", slog.String("origin", ev.Origin), slog.String("host", req.Host))
	} else if s.cfg.Logger != nil && u != nil && u.Scheme == "http" && !hostname.IsLoopback(u.Hostname()) {
		for _, o := range s.origins {
			if strings.EqualFold(o.host, u.Hostname()) {
				s.warn("credentials withheld from plain-http origin", slog.String("origin", ev.Origin))
				break
			}
		}
	}
	s.emit(ev)
}

// invalidate is Invalidate, reporting whether it forgot the token.
func (s *Source) invalidate(tok *oauth2.Token) bool {
	if tok == nil {
		return false
	}
	for {
		e := s.cur.Load()
		if e == nil || e.revoked || e.tok.AccessToken != tok.AccessToken {
			s.emit(Event{Kind: EventInvalidateIgnored})
			return false
		}
		if s.cur.CompareAndSwap(e, &entry{tok: e.tok, revoked: true}) {
			s.stats.more().invalidations.Add(1)
			s.emit(Event{Kind: EventInvalidate})
			if s.cfg.Store != nil && e.stored != "" {
				wg := loadOrNew(&s.cfg.deleting)
				wg.Add(1)
				go s.forgetStored(wg, e.stored) // off the request path: see forgetStored
			}
			return true
		}
	}
}

// freshTokenRefused records that the API refused tok, the token of a login
// that the refusal of an older token caused. Logging in again would not
// help, so tok is forgotten and counted as a failed login: the backoff
// starts, and grows with each such refusal until the API accepts a token.
// Many requests refused with the same token count once.
func (s *Source) freshTokenRefused(tok *oauth2.Token, status int) {
	if !s.invalidate(tok) {
		return
	}
	err := &LoginError{Provider: s.cfg.Provider, Op: "login", Status: status, Err: ErrFreshTokenRefused}
	s.report(nil, "login", err, 0)
	s.startBackoff(err, s.now(), int(s.rejected.Add(1)))
}

// accepted notes that the API accepted a token: the count of fresh tokens
// refused in a row starts again.
func (s *Source) accepted() {
	if s.rejected.Load() != 0 {
		s.rejected.Store(0)
	}
}
