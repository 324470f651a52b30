package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// descAPI is a login API in the test process that the command, run as a
// subprocess, reaches through a description: POST /login hands out a
// token and a refresh token, POST /refresh renews one, and GET /echo
// answers a valid X-Session with that token echoed in a response header.
type descAPI struct {
	*httptest.Server
	logins, refreshes, calls atomic.Int32
	mu                       sync.Mutex
	valid                    map[string]bool // the tokens not revoked
	// hung receives a request for /hang, which then waits for the test
	// to end or its client to go.
	hung    chan struct{}
	release chan struct{}
}

// Values of the account of a descAPI.
const (
	descUser     = "alice"
	descPassword = "pw-Desc-Secret-1"
	descTenant   = "tk-Tenant-Secret-2"
)

func newDescAPI(t *testing.T) *descAPI {
	api := &descAPI{valid: map[string]bool{}, hung: make(chan struct{}, 8), release: make(chan struct{})}
	api.Server = httptest.NewServer(http.HandlerFunc(api.serve))
	t.Cleanup(func() { close(api.release); api.Close() })
	return api
}

func (api *descAPI) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/login", "/refresh":
		var in struct{ User, Pass, RT string }
		json.NewDecoder(r.Body).Decode(&in)
		if r.URL.Path == "/login" && (in.User != descUser || in.Pass != descPassword) {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message": "wrong user name or password"}`)
			return
		}
		n := api.logins.Add(1)
		if r.URL.Path == "/refresh" {
			n = 100 + api.refreshes.Add(1)
		}
		tok := fmt.Sprintf("tok-%d-Xq9Lm2Vt", n)
		api.mu.Lock()
		api.valid[tok] = true
		api.mu.Unlock()
		fmt.Fprintf(w, `{"token": %q, "refresh_token": "rt-%d-Zp4Wk8Hs", "expires_in": 3600}`, tok, n)
	default:
		api.calls.Add(1)
		tok := strings.TrimPrefix(r.Header.Get("X-Session"), "Session ")
		api.mu.Lock()
		ok := api.valid[tok] && r.Header.Get("Api-Key") == descTenant
		api.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message": "no session"}`)
			return
		}
		if r.URL.Path == "/hang" {
			api.hung <- struct{}{}
			select {
			case <-api.release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("X-Echo", "session="+tok)
		if code, ok := strings.CutPrefix(r.URL.Path, "/status/"); ok {
			n, _ := strconv.Atoi(code)
			w.WriteHeader(n)
			fmt.Fprint(w, `{"error": "status-body"}`)
			return
		}
		body, _ := io.ReadAll(r.Body)
		json.NewEncoder(w).Encode(map[string]string{"path": r.URL.Path, "method": r.Method, "query": r.URL.RawQuery, "body": string(body), "content_type": r.Header.Get("Content-Type")})
	}
}

// mirror serves api on another origin too.
func (api *descAPI) mirror(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(api.serve))
	t.Cleanup(s.Close)
	return s
}

// revoke makes every token handed out so far invalid.
func (api *descAPI) revoke() {
	api.mu.Lock()
	clear(api.valid)
	api.mu.Unlock()
}

// descJSON is a description of api named name; extra is added to its
// members, such as `"origins": [...]`.
func descJSON(api *descAPI, name, extra string) string {
	return `{
  "name": "` + name + `",
  "base_url": "{{base_url}}",
  "vars": {
    "base_url": {"env": "ACME_BASE_URL"},
    "username": {"env": "ACME_USERNAME"},
    "password": {"env": "ACME_PASSWORD", "secret": true},
    "tenant_key": {"env": "ACME_TENANT_KEY", "secret": true}
  },
  "login": {"path": "/login", "json": {"user": "{{username}}", "pass": "{{password}}"}},
  "refresh": {"path": "/refresh", "json": {"rt": "{{refresh_token}}"}},
  "token": "/token",
  "refresh_token": "/refresh_token",
  "expires_in": "/expires_in",
  "header": {"X-Session": "Session {{token}}", "Api-Key": "{{tenant_key}}"},
  "refused": {"status": [401]}` + extra + `
}`
}

// writeDesc writes a description in dir and returns its path.
func writeDesc(t *testing.T, dir, file, content string) string {
	t.Helper()
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// descEnv is the environment of the account of api, with the token cache
// cache; without the password when noPassword.
func descEnv(api *descAPI, cache string, noPassword bool) map[string]string {
	env := map[string]string{"LOGINAUTH_CACHE_DIR": cache, "ACME_BASE_URL": api.URL, "ACME_USERNAME": descUser, "ACME_TENANT_KEY": descTenant}
	if !noPassword {
		env["ACME_PASSWORD"] = descPassword
	}
	return env
}

// descSecrets are the values no output of the command may hold.
var descSecrets = []string{descPassword, descTenant}

// hasToken reports whether s holds a token or refresh token of a descAPI.
func hasToken(s string) bool {
	return strings.Contains(s, "Xq9Lm2Vt") || strings.Contains(s, "Zp4Wk8Hs")
}

// descAccount starts a descAPI and writes its description, named acme
// with extra members, in a directory of t: it returns the API, the
// description's file and the environment of its account, with the
// password and a token cache of its own.
func descAccount(t *testing.T, extra string) (*descAPI, string, map[string]string) {
	t.Helper()
	api := newDescAPI(t)
	dir := t.TempDir()
	file := writeDesc(t, dir, "acme.json", descJSON(api, "acme", extra))
	return api, file, descEnv(api, filepath.Join(dir, "cache"), false)
}
