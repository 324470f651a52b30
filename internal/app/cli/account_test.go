package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestLooseCacheDirRepaired(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	cache := filepath.Join(t.TempDir(), "cache")
	is.NoErr(os.Mkdir(cache, 0o755)) // as a plain mkdir makes it
	is.NoErr(os.Chmod(cache, 0o755))
	r := run(t, f.account(t, cache, false), "", f.secrets(), "login", "xano")
	is.Equal(r.code, 0)                                   // r
	is.True(strings.Contains(r.stderr, cache))            // names the directory
	is.True(strings.Contains(r.stderr, "0755"))           // its mode
	is.True(strings.Contains(r.stderr, "set it to 0700")) // and the repair
	fi, err := os.Stat(cache)
	is.NoErr(err)
	is.Equal(fi.Mode().Perm(), os.FileMode(0o700)) // repaired
	r = run(t, map[string]string{"LOGINAUTH_CACHE_DIR": cache}, "", f.secrets(), "token", "xano")
	is.Equal(r.code, 0) // and the token was cached: r
}

func TestUnusableCacheDir(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	file := filepath.Join(t.TempDir(), "file")
	is.NoErr(os.WriteFile(file, nil, 0o600))
	for _, dir := range []string{"/proc/nope", file} {
		r := run(t, map[string]string{"XANO_PASSWORD": "pw"}, "", []string{"pw"}, "token", "xano", "--cache-dir", dir, "--base-url", "http://127.0.0.1:1/api:a", "--username", "a@example.test")
		is.Equal(r.code, 1)                                // never exit 0 without a word: r
		is.True(strings.Contains(r.stderr, dir))           // names the directory
		is.True(strings.Contains(r.stderr, "--cache-dir")) // and the fix
	}
}

func TestPlainHTTPNeedsAllowHTTP(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := map[string]string{"XANO_BASE_URL": "http://api.example.invalid/api:a", "XANO_EMAIL": "a@example.test", "XANO_PASSWORD": "pw-x"}
	r := run(t, env, "", []string{"pw-x"}, "token", "xano")
	is.Equal(r.code, 1)                                 // refused before any network: r
	is.True(strings.Contains(r.stderr, "--allow-http")) // the command's flag, not a library field
	is.True(!strings.Contains(r.stderr, "with AllowHTTP\n"))
	r = run(t, env, "", []string{"pw-x"}, "token", "xano", "--allow-http", "--timeout", "2s")
	is.True(!strings.Contains(r.stderr, "plain http")) // allowed: it goes on to the (missing) host: r
}

// spec is the description of xano (xano/xano.json), under name.
func spec(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../../xano/xano.json")
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.Replace(string(b), `"name": "xano"`, `"name": "`+name+`"`, 1))
}

func TestSpec(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	dir := t.TempDir()
	file := filepath.Join(dir, "mine.json")
	is.NoErr(os.WriteFile(file, spec(t, "myxano"), 0o600))
	cache := filepath.Join(dir, "cache")
	env := f.account(t, cache, true)
	r := run(t, env, f.env["XANO_PASSWORD"]+"\n", f.secrets(), "login", "--spec", file, "--password-stdin")
	is.Equal(r.code, 0) // the description's env names are read: r
	is.True(strings.Contains(r.stderr, "Logged in to myxano"))
	bare := map[string]string{"LOGINAUTH_CACHE_DIR": cache}
	r = run(t, bare, "", f.secrets(), "call", "--spec", file, "/auth/me")
	is.Equal(r.code, 0) // stored, with its variables: r
	is.True(strings.Contains(r.stdout, "alice@example.test"))
	r = run(t, bare, "", f.secrets(), "status", "--spec", file)
	is.True(strings.Contains(r.stdout, "myxano")) // r

	// In the config directory, it is a provider name.
	cfg := filepath.Join(dir, "config")
	is.NoErr(os.MkdirAll(filepath.Join(cfg, "loginauth", "providers"), 0o700))
	is.NoErr(os.WriteFile(filepath.Join(cfg, "loginauth", "providers", "myxano.json"), spec(t, "myxano"), 0o600))
	named := map[string]string{"LOGINAUTH_CACHE_DIR": cache, "XDG_CONFIG_HOME": cfg}
	r = run(t, named, "", f.secrets(), "token", "myxano")
	is.Equal(r.code, 0) // r
	// --var and --username (here the email variable, as the description
	// has no username) fill variables; one the description lacks is refused.
	for _, user := range [][]string{{"--username", "bob@example.test"}, {"--var", "email=bob@example.test"}} {
		r = run(t, named, "", f.secrets(), append([]string{"logout", "myxano", "--var", "base_url=" + f.env["XANO_BASE_URL"]}, user...)...)
		is.Equal(r.code, 0)                                    // r
		is.True(strings.Contains(r.stderr, "No stored token")) // bob has none
	}
	r = run(t, named, "", f.secrets(), "token", "myxano", "--var", "nope=1")
	is.Equal(r.code, 2) // r

	// A base_url written into the description, with no variable, is the
	// base URL that calls join.
	fixed := strings.Replace(string(spec(t, "fixedxano")), `"base_url": "{{base_url}}"`, `"base_url": "`+f.env["XANO_BASE_URL"]+`"`, 1)
	fixed = strings.Replace(fixed, `"base_url": {"env": "XANO_BASE_URL"},`, "", 1)
	is.True(!strings.Contains(fixed, "{{base_url}}")) // the description names no base_url variable
	is.NoErr(os.WriteFile(file, []byte(fixed), 0o600))
	r = run(t, map[string]string{"LOGINAUTH_CACHE_DIR": cache, "XANO_EMAIL": "alice@example.test"}, f.env["XANO_PASSWORD"]+"\n", f.secrets(), "call", "--spec", file, "--password-stdin", "/auth/me")
	is.Equal(r.code, 0) // r
	is.True(strings.Contains(r.stdout, "alice@example.test"))

	// A built-in name cannot be taken.
	is.NoErr(os.WriteFile(file, spec(t, "xano"), 0o600))
	r = run(t, bare, "", f.secrets(), "token", "--spec", file)
	is.Equal(r.code, 2)                                      // r
	is.True(strings.Contains(r.stderr, "built-in provider")) // says why
}
