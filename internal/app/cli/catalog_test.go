package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth/jsonlogin/catalog"
)

// nodeRED is a server that answers as Node-RED's admin API does, from
// @node-red/editor-api: a password grant at /auth/token (or at path
// /mine/token, for a user's own description) and a protected /settings.
// It counts the logins at each path.
func nodeRED(t *testing.T) (srv *httptest.Server, catalogLogins, mineLogins *atomic.Int64) {
	catalogLogins, mineLogins = &atomic.Int64{}, &atomic.Int64{}
	login := func(n *atomic.Int64) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.PostFormValue("client_id") != "node-red-admin" || r.PostFormValue("grant_type") != "password" ||
				r.PostFormValue("username") != "admin" || r.PostFormValue("password") != "pw-node-red" {
				w.WriteHeader(http.StatusForbidden)
				json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
				return
			}
			n.Add(1)
			json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-node-red", "expires_in": 3600, "token_type": "Bearer"})
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/token", login(catalogLogins))
	mux.HandleFunc("POST /mine/token", login(mineLogins))
	mux.HandleFunc("GET /settings", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-node-red" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"httpNodeRoot":"/"}`))
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, catalogLogins, mineLogins
}

// TestCatalogName checks that a catalog entry is a provider name with no
// file, and that a description of the same name in the config directory
// shadows it, with a warning that names both.
func TestCatalogName(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	srv, catalogLogins, mineLogins := nodeRED(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	env := map[string]string{"LOGINAUTH_CACHE_DIR": filepath.Join(dir, "cache"), "XDG_CONFIG_HOME": cfg}
	secrets := []string{"pw-node-red", "tok-node-red"}
	login := []string{"login", "node-red", "--base-url", srv.URL, "--username", "admin", "--password-stdin"}

	r := run(t, env, "pw-node-red\n", secrets, login...)
	is.Equal(r.code, 0) // the catalog's node-red, with no file: r
	is.Equal(catalogLogins.Load(), int64(1))
	is.True(!strings.Contains(r.stderr, "shadows"))
	r = run(t, env, "", secrets, "call", "node-red", "/settings")
	is.Equal(r.code, 0) // r
	is.True(strings.Contains(r.stdout, "httpNodeRoot"))

	// A user's description of the same name wins, with a warning.
	mine := `{"name": "node-red", "base_url": "{{base_url}}",
	  "vars": {"base_url": {}, "username": {}, "password": {"secret": true}},
	  "login": {"path": "/mine/token", "form": {"client_id": "node-red-admin", "grant_type": "password", "username": "{{username}}", "password": "{{password}}"}},
	  "token": "/access_token"}`
	providers := filepath.Join(cfg, "loginauth", "providers")
	is.NoErr(os.MkdirAll(providers, 0o700))
	is.NoErr(os.WriteFile(filepath.Join(providers, "node-red.json"), []byte(mine), 0o600))
	r = run(t, env, "pw-node-red\n", secrets, login...)
	is.Equal(r.code, 0)                                                                       // r
	is.Equal(mineLogins.Load(), int64(1))                                                     // the user's description logged in
	is.Equal(catalogLogins.Load(), int64(1))                                                  // not the catalog's
	is.True(strings.Contains(r.stderr, filepath.Join(providers, "node-red.json")+" shadows")) // r
	is.True(strings.Contains(r.stderr, "jsonlogin/catalog/node-red.json"))                    // r

	// An unknown name lists the catalog.
	r = run(t, env, "", secrets, "token", "no-such-api")
	is.Equal(r.code, 2)                               // r
	is.True(strings.Contains(r.stderr, "pocketbase")) // r
}

// TestCatalogNamesNotBuiltin checks that no catalog entry takes a built-in
// provider's name, which stays reserved.
func TestCatalogNamesNotBuiltin(t *testing.T) {
	is := is.New(t)
	for _, n := range catalog.Names() {
		is.True(builtinNamed(n) == nil) // a catalog name is a built-in's
		is.True(validName(n))           // a description file could shadow it
	}
}
