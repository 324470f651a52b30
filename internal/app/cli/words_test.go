package cli

import (
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// goField matches a Go name of the library's settings.
var goField = regexp.MustCompile(`Config\.|Options\.|AllowHTTP|LoginPath|AuthHeader|SecretKey|APIKey|BaseURL`)

// TestNoLibraryFieldNames runs failure cases and greps their output for
// the library's Go field names: the command speaks of its flags and
// environment variables.
func TestNoLibraryFieldNames(t *testing.T) {
	t.Parallel()
	crux := startFake(t, "crux")
	xano, bare := loggedIn(t, "xano")
	xano.control(t, "POST", "revoke")
	wrongPath := crux.account(t, filepath.Join(t.TempDir(), "cache"), false)
	wrongPath["CRUX_BASE_URL"] = crux.env["CRUX_BASE_URL"] + "/v9"
	plain := map[string]string{"XANO_BASE_URL": "http://api.example.invalid/api:a", "XANO_EMAIL": "a@example.test", "XANO_PASSWORD": "pw-x"}
	wrongPassword := xano.account(t, filepath.Join(t.TempDir(), "cache"), false)
	wrongPassword["XANO_PASSWORD"] = "not-it"
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string // what the output says in its place
	}{
		{"login path", wrongPath, []string{"login", "crux"}, "not available from the command"},
		{"plain http", plain, []string{"token", "xano"}, "--allow-http"},
		{"plain http -v", plain, []string{"call", "xano", "/auth/me", "-v"}, "--allow-http"},
		{"no password", xano.account(t, filepath.Join(t.TempDir(), "cache"), true), []string{"token", "xano"}, "XANO_PASSWORD"},
		{"revoked -v", bare, []string{"call", "xano", "/auth/me", "-v"}, "loginauth login xano"},
		{"wrong password", wrongPassword, []string{"login", "xano"}, "XANO_PASSWORD"},
		{"proxy base URL with user info", map[string]string{"XANO_BASE_URL": "https://u:pw-x@api.example.test/api:a", "XANO_EMAIL": "a@example.test"}, []string{"proxy", "xano"}, "the base URL"},
		{"mic without key", map[string]string{"MIC_BASE_URL": "https://x.example", "MIC_USERNAME": "u", "MIC_PASSWORD": "p"}, []string{"token", "mic"}, "MIC_API_KEY"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			r := run(t, c.env, "", append(xano.secrets(), "pw-x", "not-it"), c.args...)
			is.True(r.code != 0) // a failure case: r
			out := r.stdout + r.stderr
			is.True(!goField.MatchString(out))     // no Go field name: r
			is.True(strings.Contains(out, c.want)) // the command's words: r
		})
	}
}

// TestCommandWords maps each field the providers' errors name.
func TestCommandWords(t *testing.T) {
	is := is.New(t)
	is.Equal(commandWords("crux: Config.Password is required"), "crux: the password (CRUX_PASSWORD or --password-stdin) is required")
	is.Equal(commandWords("mic: Config.APIKey is required"), "mic: the api key (MIC_API_KEY or --api-key) is required")
	is.Equal(commandWords("xano: Config.BaseURL is required"), "xano: the base url (XANO_BASE_URL or --base-url) is required")
	is.Equal(commandWords("x: allow it explicitly with AllowHTTP"), "x: allow it explicitly with --allow-http")
	is.True(!goField.MatchString(commandWords("acme: Config.Origins is required")))
	is.Equal(commandWords("proxy: BaseURL must have no user information"), "proxy: the base URL must have no user information")
}

// TestBaseURLWithoutScheme: the base URL as typed, and the fix.
func TestBaseURLWithoutScheme(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	for typed, want := range map[string]string{
		"127.0.0.1:44925":        "http://127.0.0.1:44925",
		"localhost:8080/api":     "http://localhost:8080/api",
		"x1.n7.xano.io/api:AbCd": "https://x1.n7.xano.io/api:AbCd",
	} {
		r := run(t, map[string]string{"XANO_PASSWORD": "pw"}, "", []string{"pw"}, "token", "xano", "--base-url", typed, "--username", "a@example.test")
		is.Equal(r.code, 2)                                // r
		is.True(strings.Contains(r.stderr, `"`+typed+`"`)) // echoed: r
		is.True(strings.Contains(r.stderr, "did you mean "+want+"?"))
	}
}

// TestProxyListenWords: the proxy's listen errors in the command's words.
func TestProxyListenWords(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	is.NoErr(err)
	defer busy.Close()
	env := map[string]string{"CRUX_BASE_URL": "http://127.0.0.1:1", "CRUX_USERNAME": "a", "LOGINAUTH_CACHE_DIR": filepath.Join(t.TempDir(), "c")}
	addr := busy.Addr().String()
	r := run(t, env, "", nil, "proxy", "crux", "--listen", addr)
	is.Equal(r.code, 1) // r
	is.Equal(r.stderr, "loginauth proxy: listen "+addr+": address already in use; pick another with --listen\n")

	r = run(t, env, "", nil, "proxy", "crux", "--listen", "0.0.0.0:0")
	is.Equal(r.code, 2) // r
	for _, flag := range []string{"--inbound-token-file", "--tls-cert", "--tls-key"} {
		is.True(strings.Contains(r.stderr, flag)) // names the flags it needs: r
	}
	is.True(!strings.Contains(r.stderr, "proxy: proxy:")) // one prefix
}

// TestOnePrefix: an error of internal/app/proxy has the command's prefix once.
func TestOnePrefix(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := map[string]string{"XANO_BASE_URL": "https://u:pw-x@api.example.test/api:a", "XANO_EMAIL": "a@example.test", "LOGINAUTH_CACHE_DIR": filepath.Join(t.TempDir(), "c")}
	r := run(t, env, "", []string{"pw-x"}, "proxy", "xano")
	is.True(r.code != 0)                                      // r
	is.True(strings.HasPrefix(r.stderr, "loginauth proxy: ")) // r
	is.True(!strings.Contains(r.stderr, "proxy: proxy:"))     // once: r
}
