package loginauth

import (
	"context"
	"fmt"

	"golang.org/x/oauth2"
)

// LogoutFunc ends the session of tok at the API, so that sessions do not
// pile up on the server with every login. A [Source] calls it with a
// context bounded by [Options.LoginTimeout].
type LogoutFunc func(ctx context.Context, tok *oauth2.Token) error

// Logout ends the session of the current token at the API with
// [Config.Logout], best effort: it returns nil at once when there is no
// Config.Logout or no token, and its error, scrubbed of secrets and
// tokens, when the call fails. The current token is the cached one, or
// else the one in the Store; Logout never logs in nor refreshes. It does
// not forget the token: call [Source.Forget] after it, whatever it
// returns.
func (s *Source) Logout(ctx context.Context) error {
	if s.cfg.Logout == nil || s.err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.LoginTimeout)
	defer cancel()
	var tok *oauth2.Token
	if e := s.cur.Load(); e != nil && !e.revoked {
		tok = e.tok
	} else if s.cfg.Store != nil {
		b, err := s.cfg.Store.Load(ctx, s.cfg.StoreKey)
		if err == nil && b != nil {
			tok, _ = decodeToken(b)
		}
		if tok != nil && e != nil && e.tok.AccessToken == tok.AccessToken {
			tok = nil // refused already
		}
	}
	if tok == nil {
		return nil
	}
	if err := s.cfg.Logout(ctx, tok); err != nil {
		return s.scrub(fmt.Errorf("%s: logout: %w", s.cfg.Provider, err), &entry{tok: tok})
	}
	return nil
}
