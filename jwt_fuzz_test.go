package loginauth

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
)

// fuzzJWT returns an unsigned JWT with the given payload.
func fuzzJWT(payload string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload)) + ".c2ln"
}

// FuzzJWTExpiry feeds the JWT expiry reader arbitrary tokens: it never
// panics, and an expiry it reports lies after the Unix epoch and no later
// than year 9999.
func FuzzJWTExpiry(f *testing.F) {
	now := time.Now()
	f.Add(loginauthtest.JWT(now.Add(time.Hour), nil))
	f.Add(loginauthtest.JWT(now.Add(-time.Hour), map[string]any{"iat": now.Unix()}))
	f.Add(loginauthtest.JWT(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), nil))
	for _, p := range []string{
		`{"exp":-1}`, `{"exp":0}`, `{"exp":0.5}`, `{"exp":1e300}`, `{"exp":-1e300}`,
		`{"exp":99999999999999999999}`, `{"exp":253402300799}`, `{"exp":253402300800}`,
		`{"exp":253402300799.9999}`, `{"exp":"1700000000"}`, `{"exp":null}`, `{"exp":true}`,
		`{"exp":[1]}`, `{"exp":{"a":1}}`, `{"exp":1.7e9,"exp":-5}`, `{}`, `[]`, `null`, ``,
		`{"exp":1700000000`, "{\"exp\":1700000000}\x00",
	} {
		f.Add(fuzzJWT(p))
	}
	for _, tok := range []string{"", ".", "..", "...", "a.b.c", "a..c", "a.=.c", "a.====.c", "not a jwt", "a.e30.c.d"} {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, token string) {
		exp, ok := jwtExpiry(token)
		if !ok {
			if !exp.IsZero() {
				t.Fatalf("jwtExpiry reported false with the time %v", exp)
			}
			return
		}
		if y := exp.Year(); y < 1970 || y > 9999 {
			t.Fatalf("jwtExpiry reported the expiry %v, outside 1970..9999", exp)
		}
		if !exp.After(time.Unix(0, 0)) {
			t.Fatalf("jwtExpiry reported the expiry %v, not after the Unix epoch", exp)
		}
	})
}

// TestHardeningJWTExpiryTiny checks an exp claim between 0 and 1 ns: it
// is no later than 0, which jwtExpiry refuses, and must be refused too.
func TestHardeningJWTExpiryTiny(t *testing.T) {
	for _, p := range []string{`{"exp":0}`, `{"exp":1e-10}`, `{"exp":5e-324}`} {
		if exp, ok := jwtExpiry(fuzzJWT(p)); ok && !exp.After(time.Unix(0, 0)) {
			t.Errorf("jwtExpiry(%s) = %v, true; want false: the exp claim is the epoch itself", p, exp)
		}
	}
}
