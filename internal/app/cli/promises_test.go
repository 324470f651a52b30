package cli

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/matryer/is"
)

// TestCallRedactsDescriptionCredentials: -v and -i print no credential of
// a description, neither in the fields that carry them (any name the
// description gives) nor echoed in another field of the answer.
func TestCallRedactsDescriptionCredentials(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	_, file, env := descAccount(t, "")
	r := run(t, env, "", descSecrets, "login", "--spec", file)
	is.Equal(r.code, 0) // r
	for _, flag := range []string{"-v", "-i"} {
		r = run(t, env, "", descSecrets, "call", "--spec", file, "/echo", flag)
		is.Equal(r.code, 0)                                                        // r
		is.True(!hasToken(r.stdout) && !hasToken(r.stderr))                        // no token, no refresh token: r
		is.True(strings.Contains(r.stdout+r.stderr, "X-Echo: session=[redacted]")) // echoed, scrubbed
	}
	r = run(t, env, "", descSecrets, "call", "--spec", file, "/echo", "-v")
	is.True(strings.Contains(r.stderr, "> X-Session: [redacted]\n")) // the description's field, by name, whole
	is.True(strings.Contains(r.stderr, "> Api-Key: [redacted]\n"))
}

// TestCallOwnsDecides: call warns by the Source's own decision: a URL on
// one of a description's origins goes with credentials, silently; another
// goes without, with the warning; a -H of a credential field is replaced,
// with the warning.
func TestCallOwnsDecides(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	api := newDescAPI(t)
	files := api.mirror(t) // the same API on another origin
	var strays atomic.Int32
	stray := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Session") != "" {
			strays.Add(1)
		}
	}))
	defer stray.Close()
	dir := t.TempDir()
	file := writeDesc(t, dir, "acme.json", descJSON(api, "acme", `, "origins": ["`+files.URL+`"]`))
	env := descEnv(api, filepath.Join(dir, "cache"), false)
	is.Equal(run(t, env, "", descSecrets, "login", "--spec", file).code, 0)

	r := run(t, env, "", descSecrets, "call", "--spec", file, files.URL+"/f/1")
	is.Equal(r.code, 0)                                         // the other origin got the token: r
	is.True(!strings.Contains(r.stderr, "without credentials")) // and no false warning
	r = run(t, env, "", descSecrets, "call", "--spec", file, stray.URL+"/x")
	is.True(strings.Contains(r.stderr, "goes without credentials")) // r
	is.Equal(strays.Load(), int32(0))                               // and it did
	r = run(t, env, "", descSecrets, "call", "--spec", file, "/echo", "-H", "X-Session: mine")
	is.Equal(r.code, 0)                                                  // r
	is.True(strings.Contains(r.stderr, "your -H X-Session is replaced")) // the promised warning
}

// TestStoreFixReadOnly: a read-only file system is not fixed by chmod.
func TestStoreFixReadOnly(t *testing.T) {
	is := is.New(t)
	err := &fs.PathError{Op: "open", Path: "/ro/x", Err: syscall.EROFS}
	fix := storeFix("/ro", err)
	is.True(!strings.Contains(fix, "chmod"))      // fix
	is.True(strings.Contains(fix, "read-only"))   // names the cause
	is.True(strings.Contains(fix, "--cache-dir")) // and a fix that works
}

// TestDescriptionChangedNeedsLogin: a stored token is bound to where its
// description sends credentials. Another file of the same name, base URL
// and variables that sends the refresh token elsewhere does not get it,
// and logs in again with a password, saying why. A token stored without
// the label is taken once and labelled.
func TestDescriptionChangedNeedsLogin(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	api := newDescAPI(t)
	evil := newDescAPI(t)
	dir := t.TempDir()
	legit := writeDesc(t, dir, "legit.json", descJSON(api, "acme", ""))
	cache := filepath.Join(dir, "cache")
	is.Equal(run(t, descEnv(api, cache, false), "", descSecrets, "login", "--spec", legit).code, 0)
	api.revoke() // so that the next call renews its token: with the refresh token

	other := strings.Replace(descJSON(api, "acme", ""), `"refresh": {"path": "/refresh"`, `"refresh": {"url": "`+evil.URL+`/refresh"`, 1)
	changed := writeDesc(t, dir, "acme.json", other)
	r := run(t, descEnv(api, cache, true), "", descSecrets, "call", "--spec", changed, "/echo")
	is.Equal(r.code, 1)                                                    // no token, no password: r
	is.True(strings.Contains(r.stderr, "sends credentials elsewhere"))     // says why
	is.True(strings.Contains(r.stderr, "loginauth login --spec "+changed)) // and what works
	is.Equal(evil.refreshes.Load()+evil.logins.Load(), int32(0))           // the refresh token stayed home
	r = run(t, descEnv(api, cache, false), "", descSecrets, "call", "--spec", changed, "/echo")
	is.Equal(r.code, 0)                                                // with the password: a login: r
	is.True(strings.Contains(r.stderr, "sends credentials elsewhere")) // said
	is.Equal(api.logins.Load(), int32(2))
	is.Equal(evil.refreshes.Load(), int32(0))

	// A token stored before the label: used once, and labelled.
	is.Equal(run(t, descEnv(api, cache, false), "", descSecrets, "login", "--spec", legit).code, 0)
	unlabel(t, cache, labelFingerprint)
	r = run(t, descEnv(api, cache, true), "", descSecrets, "call", "--spec", legit, "/echo")
	is.Equal(r.code, 0)                   // r
	is.Equal(api.logins.Load(), int32(3)) // no login
	is.True(strings.Contains(readCache(t, cache), `"fingerprint":"sha256:`))
}

// TestRefusedKeepsAccount: when the API refuses a description's token,
// the command keeps its account; the hint names --spec; status lists it
// as "no token (refused)" and exits 1; login needs only the password;
// logout removes it.
func TestRefusedKeepsAccount(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	api := newDescAPI(t)
	dir := t.TempDir()
	noRefresh := strings.Replace(descJSON(api, "widget", ""), `"refresh": {"path": "/refresh", "json": {"rt": "{{refresh_token}}"}},`, "", 1)
	file := writeDesc(t, dir, "widget.json", noRefresh)
	cache := filepath.Join(dir, "cache")
	is.Equal(run(t, descEnv(api, cache, false), "", descSecrets, "login", "--spec", file).code, 0)
	api.revoke()
	bare := map[string]string{"LOGINAUTH_CACHE_DIR": cache, "ACME_TENANT_KEY": descTenant}
	r := run(t, bare, "", descSecrets, "call", "--spec", file, "/echo")
	is.Equal(r.code, 1)                                                  // refused, no password: r
	is.True(strings.Contains(r.stderr, "'loginauth login --spec "+file)) // the command that works

	r = run(t, bare, "", descSecrets, "call", "--spec", file, "/echo")
	is.Equal(r.code, 1)                                                  // the account is still known: r
	is.True(!strings.Contains(r.stderr, "no username"))                  // r
	is.True(strings.Contains(r.stderr, "'loginauth login --spec "+file)) // r

	r = run(t, bare, "", descSecrets, "status")
	is.Equal(r.code, 1)                                       // no entry holds a token: r
	is.True(strings.Contains(r.stdout, "no token (refused)")) // r
	is.True(strings.Contains(r.stdout, descUser))             // with its account

	withPassword := map[string]string{"LOGINAUTH_CACHE_DIR": cache, "ACME_TENANT_KEY": descTenant, "ACME_PASSWORD": descPassword}
	r = run(t, withPassword, "", descSecrets, "login", "--spec", file)
	is.Equal(r.code, 0) // the stored account, the password at hand: r
	is.Equal(run(t, bare, "", descSecrets, "status").code, 0)

	api.revoke()
	run(t, bare, "", descSecrets, "call", "--spec", file, "/echo")
	r = run(t, bare, "", descSecrets, "logout", "--spec", file)
	is.Equal(r.code, 0) // r
	r = run(t, bare, "", descSecrets, "status")
	is.Equal(r.code, 1)                                     // r
	is.True(strings.Contains(r.stderr, "No stored tokens")) // the account went with logout
}

// readCache returns the token cache's files, concatenated.
func readCache(t *testing.T, cache string) string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(cache, "*.json"))
	var b strings.Builder
	for _, n := range names {
		c, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(c)
	}
	return b.String()
}

// unlabel removes the label name from every file of the token cache, as
// an older loginauth wrote them.
func unlabel(t *testing.T, cache, name string) {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(cache, "*.json"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if l, ok := m["labels"].(map[string]any); ok {
			delete(l, name)
		}
		b, _ = json.Marshal(m)
		if err := os.WriteFile(n, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
