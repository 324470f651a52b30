package cli

import (
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
	api := newDescAPI(t)
	dir := t.TempDir()
	file := writeDesc(t, dir, "acme.json", descJSON(api, "acme", ""))
	env := descEnv(api, filepath.Join(dir, "cache"), false)
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

// TestLoginUnstorable: a token cache the user cannot write in fails the
// login, with the store's error and a fix that can work, and any other
// command that cannot save its token says so once.
func TestLoginUnstorable(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "crux")
	parent, err := os.MkdirTemp("", "loginauth-ro-")
	is.NoErr(err)
	t.Cleanup(func() { os.Chmod(filepath.Join(parent, "cache"), 0o700); os.RemoveAll(parent) })
	cache := filepath.Join(parent, "cache")
	is.NoErr(os.Mkdir(cache, 0o700))
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		// root writes in a 0500 directory: run the command as nobody.
		const nobody = 65534
		cred = &syscall.Credential{Uid: nobody, Gid: nobody}
		is.NoErr(os.Chmod(parent, 0o755))
		is.NoErr(os.Chmod(filepath.Dir(bin), 0o755))
		is.NoErr(os.Chown(cache, nobody, nobody))
	}
	is.NoErr(os.Chmod(cache, 0o500))
	env := f.account(t, cache, false)
	env["HOME"], env["XDG_CONFIG_HOME"] = parent, parent

	r := runAs(t, cred, env, "", f.secrets(), "login", "crux")
	is.Equal(r.code, 1)                                        // no false success: r
	is.True(strings.Contains(r.stderr, "could not be stored")) // says so
	is.True(strings.Contains(r.stderr, "permission denied"))   // with the store's error
	is.True(strings.Contains(r.stderr, "chmod u+w "+cache))    // and fixes that can work
	is.True(strings.Contains(r.stderr, "--cache-dir"))
	is.True(!strings.Contains(r.stderr, "token stored"))

	r = runAs(t, cred, env, "", f.secrets(), "token", "crux")
	is.Equal(r.code, 0)                                         // the token, all the same: r
	is.Equal(strings.Count(r.stderr, "could not be stored"), 1) // said once, without -v
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
