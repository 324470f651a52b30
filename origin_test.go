package loginauth

import (
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
