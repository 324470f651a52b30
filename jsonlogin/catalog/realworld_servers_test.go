package catalog_test

// The real servers of TestRealWorld: how each is configured with a short
// token lifetime, started on a free loopback port, and made to revoke a
// token. .ci/realworld.sh installs them (cached) and runs the test.

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// running is one real server, started for a test.
type running struct {
	base      string
	user      string // the value of --username
	userVar   string // the description's variable that user fills
	password  string
	protected string // a path that needs the credentials
	// body, when not "", is the JSON body of a POST of protected, in
	// place of a GET; refusedBody is in the body of an answer 200 that
	// refuses the credentials (JSON-RPC).
	body, refusedBody string
	lifetime          time.Duration // after which, idle, a token is refused
	refresh           bool          // the entry refreshes with the current token
	logout            bool          // the entry has a logout request
	// revoke ends the session of tok at the server, as another client or
	// an administrator would.
	revoke func(t *testing.T, tok *oauth2.Token)
	// logins counts the successful logins in the server's own log; nil
	// where the server logs none.
	logins func(t *testing.T) int
}

// vars are the values of the entry's variables for the Go client.
func (r *running) vars(password string) map[string]string {
	v := map[string]string{"base_url": r.base, "password": password}
	if r.userVar != "" {
		v[r.userVar] = r.user
	}
	return v
}

// request is the protected request, to the server or to root.
func (r *running) request(root string) *http.Request {
	if r.body == "" {
		req, _ := http.NewRequest(http.MethodGet, root+r.protected, nil)
		return req
	}
	req, _ := http.NewRequest(http.MethodPost, root+r.protected, strings.NewReader(r.body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// served reports whether resp answered the protected request.
func (r *running) served(resp *http.Response) bool {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode == http.StatusOK && (r.refusedBody == "" || !strings.Contains(string(b), r.refusedBody))
}

// realServers start the servers that TestRealWorld knows, by entry name.
var realServers = map[string]func(t *testing.T, cache string) *running{
	"qbittorrent": startQBittorrent,
	"node-red":    startNodeRED,
	"pocketbase":  startPocketBase,
	"deluge":      startDeluge,
	"verdaccio":   startVerdaccio,
	"matrix":      startDendrite,
}

// freePort returns a free TCP port on 127.0.0.1.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// randomSecret returns n random bytes in hex.
func randomSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// startProcess runs the server command, its output appended to
// dir/server.log, until t ends or stop is called, when it is stopped by
// its PID; then it waits for the URL up to answer any HTTP status.
func startProcess(t *testing.T, dir, up string, name string, args ...string) (logPath string, stop func()) {
	t.Helper()
	logPath = filepath.Join(dir, "server.log")
	logf, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr, cmd.Dir = logf, logf, dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if f := os.Getenv("LOGINAUTH_REALWORLD_PIDS"); f != "" {
		// So that .ci/realworld.sh stops it too if the test is killed.
		if pf, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
			fmt.Fprintln(pf, cmd.Process.Pid)
			pf.Close()
		}
	}
	stop = sync.OnceFunc(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) // its process group, by PID
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		logf.Close()
	})
	t.Cleanup(stop)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(up); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("%s did not start in 60s:\n%s", name, b)
		}
	}
	t.Logf("timing: %s up in %v (pid %d)", filepath.Base(name), time.Since(start).Round(time.Millisecond), cmd.Process.Pid)
	return logPath, stop
}

// do sends one request and returns its status and body; it fails t on a
// network error.
func do(t *testing.T, method, u, contentType, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

// startQBittorrent runs qbittorrent-nox (Debian) with a WebUI password of
// its own and a 20 s session timeout.
func startQBittorrent(t *testing.T, cache string) *running {
	dir, port := t.TempDir(), freePort(t)
	pass := "qb-" + randomSecret(8)
	salt := []byte(randomSecret(8))[:16]
	key, err := pbkdf2.Key(sha512.New, pass, salt, 100000, 64)
	if err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("[LegalNotice]\nAccepted=true\n\n[Preferences]\nWebUI\\Address=127.0.0.1\nWebUI\\Port=%d\n"+
		"WebUI\\Username=admin\nWebUI\\Password_PBKDF2=\"@ByteArray(%s:%s)\"\nWebUI\\SessionTimeout=20\nWebUI\\LocalHostAuth=true\n",
		port, base64.StdEncoding.EncodeToString(salt), base64.StdEncoding.EncodeToString(key))
	cfg := filepath.Join(dir, "qBittorrent", "config")
	if err := os.MkdirAll(cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "qBittorrent.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	startProcess(t, dir, base+"/api/v2/app/version", "qbittorrent-nox", "--profile="+dir)
	return &running{
		base: base, user: "admin", userVar: "username", password: pass,
		protected: "/api/v2/app/version", lifetime: 20 * time.Second, logout: true,
		revoke: func(t *testing.T, tok *oauth2.Token) {
			do(t, http.MethodPost, base+"/api/v2/auth/logout", "", "", map[string]string{"Cookie": "SID=" + tok.AccessToken})
		},
	}
}

// startNodeRED runs Node-RED (npm) with adminAuth: one user with a bcrypt
// password, sessions of 12 s, and the audit log on the console.
func startNodeRED(t *testing.T, cache string) *running {
	dir, port := t.TempDir(), freePort(t)
	pass := "nr-" + randomSecret(8)
	nr := filepath.Join(cache, "node-red")
	hash, err := exec.Command("node", "-e", "process.stdout.write(require(process.argv[1]).hashSync(process.argv[2], 8))",
		filepath.Join(nr, "node_modules", "bcryptjs"), pass).Output()
	if err != nil {
		t.Fatalf("bcrypt: %v", err)
	}
	settings := fmt.Sprintf(`module.exports = {
  uiHost: "127.0.0.1", uiPort: %d, flowFile: "flows.json",
  adminAuth: {type: "credentials", sessionExpiryTime: 12, users: [{username: "admin", password: %q, permissions: "*"}]},
  logging: {console: {level: "info", audit: true}}
};
`, port, hash)
	if err := os.WriteFile(filepath.Join(dir, "settings.js"), []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	logPath, _ := startProcess(t, dir, base+"/auth/login", filepath.Join(nr, "node_modules", ".bin", "node-red"), "-u", dir, "-s", filepath.Join(dir, "settings.js"))
	return &running{
		base: base, user: "admin", userVar: "username", password: pass,
		protected: "/settings", lifetime: 12 * time.Second, logout: true,
		revoke: func(t *testing.T, tok *oauth2.Token) {
			code, _ := do(t, http.MethodPost, base+"/auth/revoke", "application/x-www-form-urlencoded",
				url.Values{"token": {tok.AccessToken}}.Encode(), map[string]string{"Authorization": "Bearer " + tok.AccessToken})
			if code != http.StatusOK {
				t.Fatalf("revoke: %d", code)
			}
		},
		logins: func(t *testing.T) int {
			b, _ := os.ReadFile(logPath)
			return bytes.Count(b, []byte(`"event":"auth.login",`))
		},
	}
}

// startPocketBase runs PocketBase (built from the Go module by
// .ci/realworld.sh, with a route /api/realworld/me behind
// apis.RequireAuth) with a user alice and 12 s user tokens.
func startPocketBase(t *testing.T, cache string) *running {
	dir, port := t.TempDir(), freePort(t)
	bin := filepath.Join(cache, "pocketbase", "pocketbase")
	rootPass, pass := "root-"+randomSecret(8), "pb-"+randomSecret(8)
	if out, err := exec.Command(bin, "superuser", "upsert", "root@example.test", rootPass, "--dir", filepath.Join(dir, "data")).CombinedOutput(); err != nil {
		t.Fatalf("superuser: %v\n%s", err, out)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	startProcess(t, dir, base+"/api/health", bin, "serve", "--http", fmt.Sprintf("127.0.0.1:%d", port), "--dir", filepath.Join(dir, "data"))
	admin := func(t *testing.T, method, path string, body any) {
		t.Helper()
		code, out := do(t, http.MethodPost, base+"/api/collections/_superusers/auth-with-password", "application/json",
			fmt.Sprintf(`{"identity":"root@example.test","password":%q}`, rootPass), nil)
		var tok struct{ Token string }
		if json.Unmarshal([]byte(out), &tok); code != 200 || tok.Token == "" {
			t.Fatalf("superuser login: %d", code)
		}
		b, _ := json.Marshal(body)
		if code, out = do(t, method, base+path, "application/json", string(b), map[string]string{"Authorization": tok.Token}); code != 200 {
			t.Fatalf("%s %s: %d %s", method, path, code, out)
		}
	}
	admin(t, http.MethodPatch, "/api/collections/users", map[string]any{"authToken": map[string]any{"duration": 12}})
	admin(t, http.MethodPost, "/api/collections/users/records", map[string]any{"email": "alice@example.test", "password": pass, "passwordConfirm": pass})
	return &running{
		base: base, user: "alice@example.test", userVar: "email", password: pass,
		protected: "/api/realworld/me", lifetime: 12 * time.Second, refresh: true,
		revoke: func(t *testing.T, _ *oauth2.Token) {
			// A new signing secret of the collection: every token of its users is void.
			admin(t, http.MethodPatch, "/api/collections/users", map[string]any{"authToken": map[string]any{"secret": randomSecret(25)}})
		},
	}
}

// startDeluge runs deluge-web (Debian) with a password of its own and
// sessions of 15 s.
func startDeluge(t *testing.T, cache string) *running {
	dir, port := t.TempDir(), freePort(t)
	pass, salt := "dw-"+randomSecret(8), randomSecret(20)
	sum := sha1.Sum([]byte(salt + pass))
	conf := fmt.Sprintf("{\n    \"file\": 2,\n    \"format\": 1\n}{\n    \"first_login\": false,\n    \"pwd_salt\": %q,\n    \"pwd_sha1\": %q,\n    \"session_timeout\": 15\n}\n",
		salt, hex.EncodeToString(sum[:]))
	if err := os.WriteFile(filepath.Join(dir, "web.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	startProcess(t, dir, base+"/", "deluge-web", "-d", "-c", dir, "-i", "127.0.0.1", "-p", fmt.Sprint(port), "-L", "info")
	rpc := func(t *testing.T, method, tok string) {
		do(t, http.MethodPost, base+"/json", "application/json", fmt.Sprintf(`{"method":%q,"params":[],"id":1}`, method),
			map[string]string{"Cookie": "_session_id=" + tok})
	}
	return &running{
		base: base, password: pass,
		protected: "/json", body: `{"method":"web.connected","params":[],"id":1}`, refusedBody: `"Not authenticated"`,
		lifetime: 15 * time.Second, logout: true,
		revoke: func(t *testing.T, tok *oauth2.Token) { rpc(t, "auth.delete_session", tok.AccessToken) },
	}
}

// startVerdaccio runs Verdaccio (npm) with one htpasswd user, a bcrypt
// password, registration closed and JWTs of 15 s. Verdaccio cannot
// revoke a JWT; an administrator voids them all with a new secret and a
// restart, which is what revoke does.
func startVerdaccio(t *testing.T, cache string) *running {
	dir, port := t.TempDir(), freePort(t)
	pass := "vd-" + randomSecret(8)
	vd := filepath.Join(cache, "verdaccio")
	hash, err := exec.Command("node", "-e", "process.stdout.write(require(process.argv[1]).hashSync(process.argv[2], 8))",
		filepath.Join(vd, "node_modules", "bcryptjs"), pass).Output()
	if err != nil {
		t.Fatalf("bcrypt: %v", err)
	}
	storage := filepath.Join(dir, "storage")
	conf := fmt.Sprintf("storage: %s\nauth:\n  htpasswd:\n    file: %s\n    max_users: -1\n"+
		"security:\n  api:\n    jwt:\n      sign:\n        expiresIn: 15s\nuplinks: {}\n"+
		"packages:\n  '**':\n    access: $authenticated\n    publish: $authenticated\nlog: {type: stdout, format: json, level: http}\n",
		storage, filepath.Join(dir, "htpasswd"))
	for f, b := range map[string]string{"htpasswd": "alice:" + string(hash) + ":autocreated\n", "config.yaml": conf} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	start := func() func() {
		_, stop := startProcess(t, dir, base+"/-/ping", filepath.Join(vd, "node_modules", ".bin", "verdaccio"),
			"--config", filepath.Join(dir, "config.yaml"), "--listen", fmt.Sprintf("127.0.0.1:%d", port))
		return stop
	}
	stop := start()
	return &running{
		base: base, user: "alice", userVar: "username", password: pass,
		protected: "/-/npm/v1/user", lifetime: 15 * time.Second,
		revoke: func(t *testing.T, _ *oauth2.Token) {
			stop()
			db := fmt.Sprintf(`{"list":[],"secret":%q}`, randomSecret(16))
			if err := os.WriteFile(filepath.Join(storage, ".verdaccio-db.json"), []byte(db), 0o600); err != nil {
				t.Fatal(err)
			}
			stop = start()
		},
	}
}

// startDendrite runs the Matrix homeserver Dendrite (built from its Go
// module) with the configuration of its generate-config -ci, whose open
// registration makes the user; its tokens do not expire.
func startDendrite(t *testing.T, cache string) *running {
	dir, port := t.TempDir(), freePort(t)
	bin := filepath.Join(cache, "dendrite", "bin")
	pass := "mx-" + randomSecret(8)
	conf, err := exec.Command(filepath.Join(bin, "generate-config"), "-ci", "-dir", dir).Output()
	if err != nil {
		t.Fatalf("generate-config: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dendrite.yaml"), conf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(filepath.Join(bin, "generate-keys"), "--private-key", filepath.Join(dir, "matrix_key.pem")).CombinedOutput(); err != nil {
		t.Fatalf("generate-keys: %v\n%s", err, out)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	startProcess(t, dir, base+"/_matrix/client/versions", filepath.Join(bin, "dendrite"), "-config", filepath.Join(dir, "dendrite.yaml"),
		"-http-bind-address", fmt.Sprintf("127.0.0.1:%d", port), "-https-bind-address", fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		"-really-enable-open-registration") // on loopback only, for the user of the test
	code, out := do(t, http.MethodPost, base+"/_matrix/client/v3/register", "application/json",
		fmt.Sprintf(`{"username":"alice","password":%q,"auth":{"type":"m.login.dummy"},"inhibit_login":true}`, pass), nil)
	if code != http.StatusOK {
		t.Fatalf("register: %d %s", code, out)
	}
	return &running{
		base: base, user: "alice", userVar: "username", password: pass,
		protected: "/_matrix/client/v3/account/whoami", logout: true,
		revoke: func(t *testing.T, tok *oauth2.Token) {
			do(t, http.MethodPost, base+"/_matrix/client/v3/logout", "application/json", "{}", map[string]string{"Authorization": "Bearer " + tok.AccessToken})
		},
	}
}
