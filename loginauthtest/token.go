package loginauthtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
)

// Errors returned by [Server.Check] and [Server.Authorize].
var (
	// ErrNoToken reports an empty token.
	ErrNoToken = errors.New("loginauthtest: no token")
	// ErrUnknownToken reports a token that was never issued.
	ErrUnknownToken = errors.New("loginauthtest: unknown token")
	// ErrTokenExpired reports a token past its expiry.
	ErrTokenExpired = errors.New("loginauthtest: token expired")
	// ErrTokenRevoked reports a token revoked by RevokeAll.
	ErrTokenRevoked = errors.New("loginauthtest: token revoked")
)

// Issue registers a freshly minted token for subject (a user name, an
// e-mail: whatever the provider fake needs to find the user again). The
// token is valid until expiry on the fake clock, or until [Server.RevokeAll].
// A provider fake usually computes expiry as s.Now().Add(s.Lifetime()),
// so it can state it in the token or the response body first.
func (s *Server) Issue(token, subject string, expiry time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = &issued{subject: subject, expiry: expiry}
}

// Check reports the subject token was issued for, or why it is refused:
// [ErrNoToken], [ErrUnknownToken], [ErrTokenRevoked] or [ErrTokenExpired]. A
// token is expired from its expiry on, by the fake clock. Check counts
// nothing.
func (s *Server) Check(token string) (subject string, err error) {
	if token == "" {
		return "", ErrNoToken
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	switch {
	case !ok:
		return "", ErrUnknownToken
	case t.revoked:
		return "", ErrTokenRevoked
	case !s.nowLocked().Before(t.expiry):
		return "", ErrTokenExpired
	}
	return t.subject, nil
}

// Authorize is [Server.Check] that also counts the request as served
// ([Server.Requests]) or refused ([Server.Refused]).
func (s *Server) Authorize(token string) (subject string, err error) {
	subject, err = s.Check(token)
	if err != nil {
		s.refused.Add(1)
	} else {
		s.requests.Add(1)
	}
	return subject, err
}

// Valid reports whether token was issued, is not revoked and has not
// expired at [Server.Now].
func (s *Server) Valid(token string) bool {
	_, err := s.Check(token)
	return err == nil
}

// RevokeAll revokes every token issued so far: they are refused from now on.
// Tokens issued afterwards (by new logins) are valid.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.revoked = true
	}
}

// JWT returns an unsigned JSON Web Token, as a fake identity provider
// would issue it: base64url(header).base64url(payload).signature, where the
// payload holds claims plus an "exp" claim (expiry in Unix seconds) and the
// signature is random bytes. Clients can read the claims but nothing can
// verify the signature. claims may be nil.
func JWT(exp time.Time, claims map[string]any) string {
	payload := make(map[string]any, len(claims)+1)
	for k, v := range claims {
		payload[k] = v
	}
	payload["exp"] = exp.Unix()
	b, err := json.Marshal(payload)
	if err != nil {
		panic("loginauthtest: JWT claims: " + err.Error())
	}
	return RawJWT(string(b))
}

// RawJWT returns an unsigned JSON Web Token whose payload is the given
// text, as it is, for tests of claims that [JWT] cannot build: an exp that
// is a string, null or 1e300, a payload that is not JSON.
func RawJWT(payload string) string {
	enc := base64.RawURLEncoding
	header := `{"alg":"RS256","kid":"loginauthtest","typ":"JWT"}`
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(RandomBytes(32))
}

// RandomBytes returns n random bytes.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never returns an error
	return b
}

// RandomHex returns n random lowercase hexadecimal digits.
func RandomHex(n int) string {
	return hex.EncodeToString(RandomBytes((n + 1) / 2))[:n]
}

// RandomUUID returns a random (version 4) UUID in its canonical text form.
func RandomUUID() string {
	b := RandomBytes(16)
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
