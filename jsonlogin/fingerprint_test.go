package jsonlogin

import (
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestFingerprintMembers changes each member that says where credentials
// go, and one that does not, in a description.
func TestFingerprintMembers(t *testing.T) {
	const base = `{"name": "acme", "base_url": "https://api.acme.example",
	  "vars": {"password": {"secret": true}},
	  "login": {"path": "/login", "json": {"pass": "{{password}}"}},
	  "token": "/token"%s}`
	fp := func(extra string) string {
		t.Helper()
		spec, err := Parse([]byte(strings.Replace(base, "%s", extra, 1)))
		if err != nil {
			t.Fatal(err)
		}
		return spec.Fingerprint()
	}
	is := is.New(t)
	plain := fp("")
	is.True(strings.HasPrefix(plain, "sha256:"))
	is.Equal(plain, fp(`, "lifetime": "1h"`)) // not where credentials go
	for _, changed := range []string{
		`, "origins": ["https://files.acme.example"]`,
		`, "header": {"X-Session": "{{token}}"}`,
		`, "refresh": {"path": "/refresh"}, "refresh_token": "/rt"`,
	} {
		is.True(fp(changed) != plain) // a change of where credentials go
	}
}
