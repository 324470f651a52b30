package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestLoginOnce logs in once per provider, then runs token and call with
// no secret and no account in the environment: the stored token and what
// login stored with it suffice, and the fake sees one login.
func TestLoginOnce(t *testing.T) {
	t.Parallel()
	for _, p := range builtins {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			f := startFake(t, p.name)
			cache := filepath.Join(t.TempDir(), "cache")
			r := run(t, f.account(t, cache, false), "", f.secrets(), "login", p.name)
			is.Equal(r.code, 0)                                         // r
			is.True(strings.Contains(r.stderr, "Logged in to "+p.name)) // says so
			is.Equal(r.stdout, "")                                      // prints no token

			bare := map[string]string{"LOGINAUTH_CACHE_DIR": cache} // no account, no secret
			r = run(t, bare, "", f.secrets(), "token", p.name)
			is.Equal(r.code, 0) // r
			tok := strings.TrimSpace(r.stdout)
			is.True(tok != "") // a token

			args := []string{"call", p.name, p.sample[0], p.sample[1]}
			if p.sample[2] != "" {
				args = append(args, "-d", p.sample[2])
			}
			r = run(t, bare, "", append(f.secrets(), tok), append(args, "-v")...)
			is.Equal(r.code, 0)                                                          // r
			is.True(strings.Contains(r.stderr, "[redacted]"))                            // -v shows the credentials redacted
			is.True(!strings.Contains(r.stderr, "login backoff"))                        // and no backoff of a process that exits
			is.Equal(f.control(t, "GET", "stats")[:len(`{"logins":1,`)], `{"logins":1,`) // one login for all
		})
	}
}

func TestLoginPasswordStdin(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	cache := filepath.Join(t.TempDir(), "cache")
	env := f.account(t, cache, true)
	r := run(t, env, "", f.secrets(), "login", "xano")
	is.Equal(r.code, 2)                                     // no password, and no terminal to ask on
	is.True(strings.Contains(r.stderr, "--password-stdin")) // says how to give it
	r = run(t, env, f.env["XANO_PASSWORD"]+"\n", f.secrets(), "login", "xano", "--password-stdin")
	is.Equal(r.code, 0) // r
	// The flag wins over the environment, as every flag does.
	env["XANO_PASSWORD"] = "wrong"
	r = run(t, env, f.env["XANO_PASSWORD"]+"\n", f.secrets(), "login", "xano", "--password-stdin")
	is.Equal(r.code, 0) // r
	r = run(t, env, "", f.secrets(), "login", "xano")
	is.Equal(r.code, 1)                                  // the wrong password of the environment
	is.True(strings.Contains(r.stderr, "XANO_PASSWORD")) // names what to check
}

func TestLoginMissingAccount(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	r := run(t, map[string]string{"XANO_PASSWORD": "pw-not-printed"}, "", []string{"pw-not-printed"}, "login", "xano")
	is.Equal(r.code, 2)                                  // a usage error
	is.True(strings.Contains(r.stderr, "XANO_BASE_URL")) // that names the variable
	is.True(strings.Contains(r.stderr, "--base-url"))    // and the flag
}

func TestLogin404(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	env := f.account(t, filepath.Join(t.TempDir(), "cache"), false)
	env["XANO_BASE_URL"] = f.root // without the API group
	r := run(t, env, "", f.secrets(), "login", "xano")
	is.Equal(r.code, 1)                                  // r
	is.True(strings.Contains(r.stderr, "HTTP 404"))      // the status
	is.True(strings.Contains(r.stderr, f.root))          // the URL it tried under
	is.True(strings.Contains(r.stderr, "/api:AbCdEfGh")) // and what a base URL looks like
}
