package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	x, bare := loggedIn(t, "xano")
	m := startFake(t, "mic")
	cache := bare["LOGINAUTH_CACHE_DIR"]
	r := run(t, m.account(t, cache, false), "", m.secrets(), "login", "mic")
	is.Equal(r.code, 0) // r
	secrets := append(x.secrets(), m.secrets()...)
	tok := strings.TrimSpace(run(t, bare, "", secrets, "token", "xano").stdout)
	secrets = append(secrets, tok)

	r = run(t, bare, "", secrets, "status")
	is.Equal(r.code, 0) // r
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	is.Equal(len(lines), 3) // a header and a row per token: r.stdout
	is.True(strings.HasPrefix(lines[0], "PROVIDER  ACCOUNT"))
	is.True(strings.Contains(r.stdout, x.env["XANO_BASE_URL"])) // the base URL
	is.True(strings.Contains(r.stdout, "alice@example.test"))   // the account
	withZone := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d [A-Z+-]\w*`)
	is.True(withZone.MatchString(r.stdout)) // times with their zone: r.stdout
	for _, l := range lines[1:] {
		switch {
		case strings.HasPrefix(l, "mic "):
			is.True(strings.HasSuffix(l, "yes")) // MIC's token has a refresh token
		case strings.HasPrefix(l, "xano "):
			is.True(strings.HasSuffix(l, "no")) // Xano's has none
		default:
			t.Errorf("unexpected row %q", l)
		}
	}

	r = run(t, bare, "", secrets, "status", "-o", "json")
	is.Equal(r.code, 0) // r
	var rows []statusRow
	is.NoErr(json.Unmarshal([]byte(r.stdout), &rows))
	is.Equal(len(rows), 2)
	for _, row := range rows {
		is.True(row.Usable)        // both fresh
		is.True(row.Expiry != nil) // with their expiry
		is.Equal(row.Refreshable, row.Provider == "mic")
	}
	r = run(t, bare, "", secrets, "status", "xano", "-o", "json")
	is.NoErr(json.Unmarshal([]byte(r.stdout), &rows))
	is.Equal(len(rows), 1) // one provider's only

	// A token cache of the first file format: listed, as unknown.
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			is.NoErr(os.WriteFile(filepath.Join(cache, e.Name()), []byte(`{"value":"eyJhY2Nlc3NfdG9rZW4iOiJ0In0="}`), 0o600))
		}
	}
	r = run(t, bare, "", secrets, "status")
	is.Equal(r.code, 0)                              // r
	is.True(strings.Contains(r.stdout, "(unknown)")) // what it cannot know

	empty := map[string]string{"LOGINAUTH_CACHE_DIR": filepath.Join(t.TempDir(), "none")}
	r = run(t, empty, "", nil, "status")
	is.Equal(r.code, 1)                                     // as gh auth status: r
	is.True(strings.Contains(r.stderr, "No stored tokens")) // says so, on stderr
	is.Equal(r.stdout, "")
	_, err := os.Stat(empty["LOGINAUTH_CACHE_DIR"])
	is.True(os.IsNotExist(err)) // status never creates the cache directory
}
