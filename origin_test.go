package loginauth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestParseOriginsLoopback(t *testing.T) {
	is := is.New(t)
	for _, o := range []string{"http://api.localhost", "http://api.localhost:8080", "http://x.y.localhost."} {
		_, err := parseOrigins("test", []string{o}, false)
		is.True(err != nil)                                  // a name under .localhost needs AllowHTTP
		is.True(strings.Contains(err.Error(), "plain http")) // and the error says why
		_, err = parseOrigins("test", []string{o}, true)
		is.NoErr(err) // which allows it
	}
	for _, o := range []string{"http://localhost:8080", "http://127.0.0.1", "http://[::1]", "http://LOCALHOST."} {
		_, err := parseOrigins("test", []string{o}, false)
		is.NoErr(err) // loopback http needs no AllowHTTP
	}
}

// TestOwnsPlainHost checks the form in which a request usually names an
// origin, which owns compares first, and that owns answers the same for
// every other form.
func TestOwnsPlainHost(t *testing.T) {
	is := is.New(t)
	s := New(Config{Provider: "test", Login: (&counter{}).login,
		Origins: []string{"https://API.example.com", "http://[::1]:8080", "https://[::1]", "https://api.example.com:8443"}})
	is.NoErr(s.err)
	var plain []string
	for _, o := range s.origins {
		plain = append(plain, o.plain)
	}
	is.Equal(plain, []string{"api.example.com", "[::1]:8080", "[::1]", "api.example.com:8443"})
	for raw, want := range map[string]bool{
		"https://api.example.com/x":      true,
		"https://API.Example.com:443/x":  true,
		"https://api.example.com:8443/x": true,
		"http://api.example.com/x":       false,
		"https://api.example.com:444/x":  false,
		"http://[::1]:8080/x":            true,
		"https://[::1]/x":                true,
		"https://[::1]:443/x":            true,
		"http://[::1]/x":                 false,
		"https://evil.example.com/x":     false,
	} {
		u, err := url.Parse(raw)
		is.NoErr(err)
		is.Equal(s.owns(u, ""), want) // raw
	}
}
