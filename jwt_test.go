package loginauth

import (
	"testing"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
)

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
		f.Add(loginauthtest.RawJWT(p))
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

// TestJWTExpiry checks the claims jwtExpiry reads and those it refuses.
// An exp claim between 0 and 1 is refused like 0: it once reported the
// Unix epoch itself.
func TestJWTExpiry(t *testing.T) {
	for _, tt := range []struct {
		token string
		want  time.Time // zero: refused
	}{
		{loginauthtest.RawJWT(`{"exp":1700000000}`), time.Unix(1700000000, 0)},
		{loginauthtest.RawJWT(`{"exp":1700000000.5}`), time.Unix(1700000000, 5e8)},
		{loginauthtest.RawJWT(`{"exp":1}`), time.Unix(1, 0)},
		{loginauthtest.RawJWT(`{"exp":253402300799}`), time.Unix(253402300799, 0)},
		{loginauthtest.RawJWT(`{"exp":253402300800}`), time.Time{}},
		{loginauthtest.RawJWT(`{"exp":0}`), time.Time{}},
		{loginauthtest.RawJWT(`{"exp":1e-10}`), time.Time{}},
		{loginauthtest.RawJWT(`{"exp":5e-324}`), time.Time{}},
		{loginauthtest.RawJWT(`{"exp":-1}`), time.Time{}},
		{loginauthtest.RawJWT(`{"exp":"tomorrow"}`), time.Time{}},
		{loginauthtest.RawJWT(`{"exp":"1700000000"}`), time.Time{}}, // a NumericDate is a JSON number, not a string
		{loginauthtest.RawJWT(`{"exp":1e400}`), time.Time{}},
		{loginauthtest.RawJWT(`{"sub":"alice"}`), time.Time{}},
		{"a.b.c.d", time.Time{}},
		{"opaque", time.Time{}},
	} {
		exp, ok := jwtExpiry(tt.token)
		if ok != !tt.want.IsZero() || !exp.Equal(tt.want) {
			t.Errorf("jwtExpiry(%s) = %v, %v; want %v", tt.token, exp, ok, tt.want)
		}
	}
}
