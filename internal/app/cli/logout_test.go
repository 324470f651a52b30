package cli

import (
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestLogout(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f, bare := loggedIn(t, "crux")
	r := run(t, bare, "", f.secrets(), "logout", "crux")
	is.Equal(r.code, 0)                                            // no password, no account given: r
	is.True(strings.Contains(r.stderr, "Forgot the stored token")) // r
	r = run(t, bare, "", f.secrets(), "logout", "crux", "--username", "alice", "--base-url", f.env["CRUX_BASE_URL"])
	is.Equal(r.code, 0)                                    // r
	is.True(strings.Contains(r.stderr, "No stored token")) // already gone
	r = run(t, bare, "", f.secrets(), "token", "crux", "--username", "alice", "--base-url", f.env["CRUX_BASE_URL"])
	is.Equal(r.code, 1)                                               // r
	is.True(strings.Contains(r.stderr, "run 'loginauth login crux'")) // the hint
	r = run(t, bare, "", f.secrets(), "call", "crux", "/timp/organizations/permissions/")
	is.Equal(r.code, 2)                                           // no account stored any more
	is.True(strings.Contains(r.stderr, "'loginauth login crux'")) // the hint still: r
}
