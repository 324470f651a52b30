package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestCheck runs 'loginauth check' on a valid description: it prints the
// calls, what carries the token, the origins and where each variable
// comes from, never a secret's value, and exits 0.
func TestCheck(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	file := filepath.Join(t.TempDir(), "acme.json")
	is.NoErr(os.WriteFile(file, []byte(`{"$schema": "./schema.json", "name": "acme",
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {"env": "ACME_BASE_URL", "default": "https://api.acme.example"},
	    "user": {"env": "ACME_USER"}, "password": {"env": "ACME_PASSWORD", "secret": true}, "client": {}},
	  "login": {"path": "/login", "json": {"user": "{{user}}", "password": "{{password}}"}},
	  "token": "/token", "refresh_token": "/refresh_token",
	  "refresh": {"path": "/refresh", "json": {"refresh_token": "{{refresh_token}}"}},
	  "header": {"Authorization": "Bearer {{token}}"}, "cookie": {"SID": "{{token}}"},
	  "origins": ["https://files.acme.example"]}`), 0o600))
	env := map[string]string{"ACME_BASE_URL": "https://eu.acme.example", "ACME_PASSWORD": "hunter2-secret"}
	r := run(t, env, "", []string{"hunter2-secret"}, "check", file)
	is.Equal(r.code, 0) // r
	for _, want := range []string{
		"a valid description of acme",
		"login:       POST https://eu.acme.example/login",
		"refresh:     POST https://eu.acme.example/refresh",
		"logout:      none",
		"credentials: header Authorization; cookie SID",
		"origins:     https://eu.acme.example, https://files.acme.example",
		`base_url       $ACME_BASE_URL (set), default "https://api.acme.example"`,
		"password       $ACME_PASSWORD (set), secret, required",
		"user           $ACME_USER (not set), required",
		"client         no environment variable: a flag or prompt, optional: no template names it",
	} {
		is.True(strings.Contains(r.stdout, want)) // r
	}
	is.True(!strings.Contains(r.stderr, "not a standard HTTP method")) // r

	// An extension method is allowed, with a warning.
	b, err := os.ReadFile(file)
	is.NoErr(err)
	is.NoErr(os.WriteFile(file, []byte(strings.Replace(string(b), `"login": {"path": "/login",`, `"login": {"method": "PROPFIND", "path": "/login",`, 1)), 0o600))
	r = run(t, env, "", []string{"hunter2-secret"}, "check", file)
	is.Equal(r.code, 0)                                                                             // r
	is.True(strings.Contains(r.stdout, "login:       PROPFIND https://eu.acme.example/login"))      // r
	is.True(strings.Contains(r.stderr, "login uses PROPFIND, which is not a standard HTTP method")) // r
}

// TestCheckErrors runs 'loginauth check' on a broken description: it
// exits 1 with each mistake on a line of its own.
func TestCheckErrors(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	file := filepath.Join(t.TempDir(), "broken.json")
	is.NoErr(os.WriteFile(file, []byte(`{"base_url": "https://api.example.com", "vars": {"user": {}},
	  "login": {"method": "post", "path": "/login", "json": {"user": "{{user}}"}}, "token": "/token",
	  "refused": {"status": [200]}}`), 0o600))
	r := run(t, nil, "", nil, "check", file)
	is.Equal(r.code, 1) // r
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	is.Equal(len(lines), 2) // r
	is.True(strings.HasPrefix(lines[0], "loginauth check: "+file+`: jsonlogin: login.method: "post" is not upper case`))
	is.True(strings.HasPrefix(lines[1], "loginauth check: "+file+": jsonlogin: refused: the rule matches a 2xx status"))
	is.Equal(r.stdout, "") // nothing to do
	is.NoErr(os.WriteFile(file, []byte(`{"name": "xano", "base_url": "https://api.example.com", "login": {"path": "/login"}, "token": "/token"}`), 0o600))
	r = run(t, nil, "", nil, "check", file)
	is.Equal(r.code, 1)                                                                 // --spec would refuse it too
	is.True(strings.Contains(r.stderr, `name: "xano" is taken by a built-in provider`)) // r
	r = run(t, nil, "", nil, "check", filepath.Join(t.TempDir(), "none.json"))
	is.Equal(r.code, 1)                                 // no such file
	is.True(strings.Contains(r.stderr, "no such file")) // r
	is.Equal(run(t, nil, "", nil, "check").code, 2)     // no FILE
}
