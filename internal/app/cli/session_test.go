package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/matryer/is"
)

// sessionToken is the session id that sessionAPI hands out: long enough
// for the output checks to find it.
const sessionToken = "sess-0123456789abcdef"

// sessionAPI is an API whose session id travels in the cookie SID and the
// parameter _sid: POST /login answers it, POST /logout ends it, and
// GET /me answers the cookies and the query it got, each credential value
// shown as "valid" or "bad".
type sessionAPI struct {
	mu      sync.Mutex
	valid   bool
	logouts atomic.Int64
}

func (s *sessionAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	show := func(v string) string {
		if s.valid && v == sessionToken {
			return "valid"
		}
		return "bad"
	}
	switch r.URL.Path {
	case "/login":
		s.valid = true
		fmt.Fprintf(w, `{"sid": %q}`, sessionToken)
	case "/logout":
		if c, err := r.Cookie("SID"); err == nil && show(c.Value) == "valid" {
			s.valid = false
			s.logouts.Add(1)
		}
	default:
		var cookies []string
		for _, c := range r.Cookies() {
			if c.Name == "SID" {
				c.Value = show(c.Value)
			}
			cookies = append(cookies, c.Name+"="+c.Value)
		}
		q := r.URL.Query()
		if q.Has("_sid") {
			q.Set("_sid", show(q.Get("_sid")))
		}
		fmt.Fprintf(w, "%s|%s", strings.Join(cookies, "; "), q.Encode())
	}
}

func TestSessionCallAndLogout(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	api := &sessionAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "sess.json")
	is.NoErr(os.WriteFile(file, []byte(`{
	  "name": "sess",
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {"env": "SESS_BASE_URL"}, "password": {"env": "SESS_PASSWORD", "secret": true}},
	  "login": {"path": "/login", "json": {"pass": "{{password}}"}},
	  "token": "/sid",
	  "cookie": {"SID": "{{token}}"},
	  "query": {"_sid": "{{token}}"},
	  "logout": {"path": "/logout", "headers": {"Cookie": "SID={{token}}"}}
	}`), 0o600))
	secrets := []string{sessionToken, "pw-secret"}
	env := map[string]string{"LOGINAUTH_CACHE_DIR": filepath.Join(dir, "cache"), "SESS_BASE_URL": srv.URL, "SESS_PASSWORD": "pw-secret"}
	r := run(t, env, "", secrets, "login", "--spec", file)
	is.Equal(r.code, 0) // r

	bare := map[string]string{"LOGINAUTH_CACHE_DIR": env["LOGINAUTH_CACHE_DIR"]}
	r = run(t, bare, "", secrets, "call", "--spec", file, "-v", "-H", "Cookie: SID=forged; theme=dark", "/me?_sid=forged&a=1")
	is.Equal(r.code, 0)                                                    // r
	is.Equal(r.stdout, "theme=dark; SID=valid|_sid=valid&a=1")             // the client's other cookie kept, its SID and _sid replaced
	is.True(!strings.Contains(r.stderr, "your -H Cookie"))                 // not the whole field: r
	is.True(strings.Contains(r.stderr, "your cookie SID is replaced"))     // r
	is.True(strings.Contains(r.stderr, "your parameter _sid is replaced")) // r
	is.True(strings.Contains(r.stderr, "_sid=%5Bredacted%5D"))             // -v shows the request without the token: r

	r = run(t, bare, "", secrets, "logout", "--spec", file)
	is.Equal(r.code, 0) // r
	is.True(strings.Contains(r.stderr, "Forgot the stored token"))
	is.Equal(api.logouts.Load(), int64(1)) // the session ended at the API
}
