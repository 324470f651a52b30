//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/matryer/is"
)

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
	var sys *syscall.SysProcAttr
	if os.Getuid() == 0 {
		// root writes in a 0500 directory: run the command as nobody.
		const nobody = 65534
		sys = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		is.NoErr(os.Chmod(parent, 0o755))
		is.NoErr(os.Chmod(filepath.Dir(bin), 0o755))
		is.NoErr(os.Chown(cache, nobody, nobody))
	}
	is.NoErr(os.Chmod(cache, 0o500))
	env := f.account(t, cache, false)
	env["HOME"], env["XDG_CONFIG_HOME"] = parent, parent

	r := runAs(t, sys, env, "", f.secrets(), "login", "crux")
	is.Equal(r.code, 1)                                        // no false success: r
	is.True(strings.Contains(r.stderr, "could not be stored")) // says so
	is.True(strings.Contains(r.stderr, "permission denied"))   // with the store's error
	is.True(strings.Contains(r.stderr, "chmod u+w "+cache))    // and fixes that can work
	is.True(strings.Contains(r.stderr, "--cache-dir"))
	is.True(!strings.Contains(r.stderr, "token stored"))

	r = runAs(t, sys, env, "", f.secrets(), "token", "crux")
	is.Equal(r.code, 0)                                         // the token, all the same: r
	is.Equal(strings.Count(r.stderr, "could not be stored"), 1) // said once, without -v
}
