package loginauth

import (
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":             true,
		"LocalHost":             true,
		"localhost.":            true,
		"127.0.0.1":             true,
		"127.1.2.3":             true,
		"::1":                   true,
		"api.localhost":         false, // resolved through DNS like any name
		"API.LOCALHOST":         false,
		"localhost.evil":        false,
		"notlocalhost":          false,
		"localhost.localdomain": false,
		"128.0.0.1":             false,
		"::2":                   false,
		"0x7f.1":                false, // not an IP literal to net.ParseIP
		"":                      false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v; want %v", host, got, want)
		}
	}
}

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
