package jsonlogin_test

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/jsonlogin"
	"github.com/loginauth/loginauth/loginauthtest"
)

// FuzzParse checks, for any input, that Parse does not panic and either
// fails with an error that starts with the package name, or returns a
// Spec whose Source, given a value for every variable, logs in through a
// fake client without panicking and whose errors never hold the value of
// a secret variable.
func FuzzParse(f *testing.F) {
	for _, name := range []string{description("xano"), description("crux"), description("xpay"), description("mic")} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(acmeSpec))
	f.Add([]byte(`{"base_url": "https://a.example", "login": {"path": "/l"}, "token": ""}`))
	f.Add([]byte(`{"$comment": "c", "base_url": "{{u}}/api", "vars": {"u": {}, "n": {}, "p": {"secret": true}},
	  "login": {"path": "/l/{{u}}?p={{p}}#{{u}}", "basic": {"username": "{{n}}", "password": "{{p}}"}},
	  "token": ["/t", {"header": "X-T"}, {"cookie": "SID"}], "expires_in": {"header": "X-E"}, "expires_in_unit": "ms"}`))
	const secret = "fuzz-secret-Zq9"
	hc := &http.Client{Transport: loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		// An answer that echoes everything it was sent.
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		body := `{"token": "t", "error": {"message": ` + quote(string(b)+r.URL.String()) + `}}`
		return &http.Response{StatusCode: 400, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := jsonlogin.Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "jsonlogin: ") {
				t.Fatalf("error %q does not start with the package name", err)
			}
			return
		}
		vars := map[string]string{}
		for _, v := range spec.Vars() {
			vars[v.Name] = "https://api.example.com"
			if v.Secret {
				vars[v.Name] = secret
			}
		}
		spec.HTTPClient = hc
		_, err = spec.NewSource(vars, loginauth.Options{MinBackoff: -1}).Token()
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Fatalf("an error holds a secret: %v", err)
		}
	})
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(" ")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
