package loginauth

import (
	"time"

	"golang.org/x/oauth2"
)

// entry is an immutable snapshot of the cached token. Its expiry is
// tok.Expiry; zero: it never expires locally.
type entry struct {
	tok     *oauth2.Token
	early   time.Duration // how long before tok.Expiry it is refreshed; zero: no early refresh
	header  []field       // the scheme's header fields, built once per token
	sess    *session      // a RequestScheme's cookies and parameters; nil: none
	stored  string        // the token's encoding in the Store, if saved or loaded
	revoked bool          // refused by the API; kept only for its refresh token
}

type field struct {
	key  string
	vals []string
}

// usable reports whether e may be handed to a caller at now.
func (e *entry) usable(now time.Time) bool {
	return e != nil && !e.revoked && (e.tok.Expiry.IsZero() || now.Before(e.tok.Expiry))
}

// due reports whether e is inside its early-refresh window at now.
func (e *entry) due(now time.Time) bool {
	return e.early > 0 && !now.Before(e.tok.Expiry.Add(-e.early))
}

// fresh reports whether e is usable and not yet due for an early refresh.
func (e *entry) fresh(now time.Time) bool {
	return e.usable(now) && !e.due(now)
}

// newEntry builds the cache entry for a token obtained at now, working
// out its expiry: the provider's stated expiry, else the JWT exp claim,
// else Options.Lifetime or Config.DefaultLifetime, else never. An expiry that is not in the
// future is taken as a clock or provider error and ignored.
func (s *Source) newEntry(tok *oauth2.Token, now time.Time) *entry {
	exp := tok.Expiry
	if !exp.After(now) || exp.Year() > 9999 {
		exp = time.Time{}
		if jexp, ok := jwtExpiry(tok.AccessToken); ok && jexp.After(now) {
			exp = jexp
		} else if s.cfg.Lifetime > 0 {
			exp = now.Add(s.cfg.Lifetime)
		}
	}
	typ := tokenType(s.cfg.Scheme, tok.TokenType)
	if !tok.Expiry.Equal(exp) || tok.TokenType != typ {
		t := *tok
		t.Expiry, t.TokenType = exp, typ
		tok = &t
	}
	e := &entry{tok: tok}
	if !exp.IsZero() {
		e.early = s.earlyWindow(exp.Sub(now))
	}
	for k, v := range s.cfg.Scheme.Credentials(e.tok) {
		e.header = append(e.header, field{key: k, vals: v})
	}
	if rs, ok := s.cfg.Scheme.(RequestScheme); ok {
		e.sess = newSession(rs, e.tok)
	}
	return e
}

// tokenType is the TokenType that makes an oauth2.Transport send a token
// the way scheme does: a HeaderScheme's Prefix, or else the token's own.
func tokenType(scheme Scheme, own string) string {
	switch h := scheme.(type) {
	case HeaderScheme:
		if h.Prefix != "" {
			return h.Prefix
		}
	case *HeaderScheme:
		if h.Prefix != "" {
			return h.Prefix
		}
	}
	return own
}

// earlyWindow is how long before the end of a token's lifetime its
// background refresh starts. The default is a tenth of the lifetime, at
// most DefaultEarlyRefresh, but never less than three times the last
// login took, so that the refresh returns before the token expires; and
// never more than half the lifetime.
func (s *Source) earlyWindow(lifetime time.Duration) time.Duration {
	switch w := s.cfg.EarlyRefresh; {
	case w < 0:
		return 0
	case w > 0:
		return min(w, lifetime/2)
	default:
		w = max(min(DefaultEarlyRefresh, lifetime/10), 3*time.Duration(s.loginTook.Load()))
		return min(w, lifetime/2)
	}
}
