package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/matryer/is"
)

// loggedIn starts the fake of name and logs in to it; it returns the
// fake and the environment of later runs: the token cache, no secret.
func loggedIn(t *testing.T, name string) (*fakeProc, map[string]string) {
	t.Helper()
	f := startFake(t, name)
	cache := filepath.Join(t.TempDir(), "cache")
	if r := run(t, f.account(t, cache, false), "", f.secrets(), "login", name); r.code != 0 {
		t.Fatalf("login: %s", r)
	}
	return f, map[string]string{"LOGINAUTH_CACHE_DIR": cache}
}

func TestCallRevoked(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f, bare := loggedIn(t, "xano")
	f.control(t, "POST", "revoke")
	// Without a secret: the refusal cannot be answered by a login.
	r := run(t, bare, "", f.secrets(), "call", "xano", "/auth/me")
	is.Equal(r.code, 1)                                               // r
	is.True(strings.Contains(r.stderr, "run 'loginauth login xano'")) // the hint
	// With one: the command logs in again by itself, as ever.
	withSecret := f.account(t, bare["LOGINAUTH_CACHE_DIR"], false)
	r = run(t, withSecret, "", f.secrets(), "call", "xano", "/auth/me")
	is.Equal(r.code, 0)                                       // r
	is.True(strings.Contains(r.stdout, "alice@example.test")) // the answer
	is.True(strings.Contains(f.control(t, "GET", "stats"), `"logins":2,`))
	// And its new token is stored: no secret needed again.
	r = run(t, bare, "", f.secrets(), "call", "xano", "/auth/me")
	is.Equal(r.code, 0) // r
}

func TestCallExpiredRefreshes(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f, bare := loggedIn(t, "mic")
	f.control(t, "POST", "expire")
	r := run(t, bare, "", f.secrets(), "call", "mic", "/users/alice")
	is.Equal(r.code, 0)                                                       // refused, refreshed with the stored refresh token, re-sent: r
	is.True(strings.Contains(f.control(t, "GET", "stats"), `"refreshes":1,`)) // a refresh, no password
}

func TestCallPasswordStdinAndDataStdin(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xpay")
	env := f.account(t, filepath.Join(t.TempDir(), "cache"), true)
	stdin := f.env["XPAY_SECRET_KEY"] + "\n" + `{"amount":"42"}`
	r := run(t, env, stdin, f.secrets(), "call", "xpay", "POST", "/client/bills/save", "--password-stdin", "-d", "@-")
	is.Equal(r.code, 0)                                    // the first line is the secret, the rest the body: r
	is.True(strings.Contains(r.stdout, `"billAmount":42`)) // the body was sent
	is.True(strings.Contains(r.stdout, `"success"`))       // and accepted
}

func TestCallCurlFlags(t *testing.T) {
	t.Parallel()
	f, bare := loggedIn(t, "xano")
	sec := f.secrets()
	t.Run("X and json", func(t *testing.T) {
		is := is.New(t)
		r := run(t, bare, "", sec, "call", "xano", "-X", "POST", "/auth/login", "--json", `{"email":"a@example.test"}`)
		is.Equal(r.code, 1)                             // the fake's 400
		is.True(strings.Contains(r.stdout, "password")) // its body, printed anyway: the missing param
		is.True(strings.Contains(r.stderr, "HTTP 400"))
	})
	t.Run("d @file", func(t *testing.T) {
		is := is.New(t)
		body := filepath.Join(t.TempDir(), "body.json")
		is.NoErr(os.WriteFile(body, []byte(`{"email":"x@example.test","password":"p"}`), 0o600))
		r := run(t, bare, "", sec, "call", "xano", "/auth/login", "-d", "@"+body)
		is.Equal(r.code, 1)                                             // POST, with the file: wrong credentials
		is.True(strings.Contains(r.stdout, "ERROR_CODE_ACCESS_DENIED")) // r
	})
	t.Run("include", func(t *testing.T) {
		is := is.New(t)
		r := run(t, bare, "", sec, "call", "xano", "/auth/me", "--include")
		is.Equal(r.code, 0) // r
		is.True(strings.HasPrefix(r.stdout, "HTTP/1.1 200 OK\n"))
		is.True(strings.Contains(r.stdout, "Content-Type: application/json"))
		r = run(t, bare, "", sec, "call", "xano", "/auth/me", "--inklude")
		is.Equal(r.code, 2)                              // an unknown flag
		is.True(strings.Contains(r.stderr, "--inklude")) // named as written
	})
	t.Run("H Authorization and s", func(t *testing.T) {
		is := is.New(t)
		r := run(t, bare, "", sec, "call", "xano", "/auth/me", "-H", "Authorization: Bearer mine")
		is.Equal(r.code, 0)                                                      // r
		is.True(strings.Contains(r.stderr, "your -H Authorization is replaced")) // a warning
		r = run(t, bare, "", sec, "call", "xano", "/auth/me", "-H", "Authorization: Bearer mine", "-s")
		is.Equal(r.code, 0)    // r
		is.Equal(r.stderr, "") // -s: no warning
		r = run(t, bare, "", sec, "call", "xano", "/auth/me", "-H", "no colon here")
		is.Equal(r.code, 2)                                   // r
		is.True(!strings.Contains(r.stderr, "no colon here")) // a header may hold a credential
	})
	t.Run("v with a failed login", func(t *testing.T) {
		is := is.New(t)
		env := f.account(t, filepath.Join(t.TempDir(), "cache"), true)
		env["XANO_PASSWORD"] = "wrong-password"
		r := run(t, env, "", append(sec, "wrong-password"), "call", "-v", "xano", "/auth/me")
		is.Equal(r.code, 1)                                   // r
		is.True(strings.Contains(r.stderr, "login failed"))   // the library's log
		is.True(!strings.Contains(r.stderr, "login backoff")) // but no backoff of a process that exits at once
	})
	t.Run("o FILE", func(t *testing.T) {
		is := is.New(t)
		out := filepath.Join(t.TempDir(), "me.json")
		r := run(t, bare, "", sec, "call", "xano", "/auth/me", "-o", out)
		is.Equal(r.code, 0)    // r
		is.Equal(r.stdout, "") // the body went to the file
		b, err := os.ReadFile(out)
		is.NoErr(err)
		is.True(strings.Contains(string(b), "alice@example.test"))
	})
	t.Run("L and other origins", func(t *testing.T) {
		is := is.New(t)
		var sawCredentials atomic.Int64
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				sawCredentials.Add(1)
			}
			if r.URL.Path == "/start" {
				http.Redirect(w, r, "/end", http.StatusFound)
				return
			}
			io.WriteString(w, "the end")
		}))
		defer other.Close()
		r := run(t, bare, "", sec, "call", "xano", other.URL+"/start")
		is.Equal(r.code, 0)                                             // a 302, not followed: r
		is.True(!strings.Contains(r.stdout, "the end"))                 // as curl without -L
		is.True(strings.Contains(r.stderr, "goes without credentials")) // and a warning for the other origin
		r = run(t, bare, "", sec, "call", "xano", other.URL+"/start", "-L")
		is.Equal(r.code, 0)                       // r
		is.Equal(r.stdout, "the end")             // followed
		is.Equal(sawCredentials.Load(), int64(0)) // never credentials to another origin
	})
}

func TestXPayErrorEnvelope(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f, bare := loggedIn(t, "xpay")
	r := run(t, bare, "", f.secrets(), "call", "xpay", "/client/bills/save", "--json", `{"amount":"-1"}`)
	is.Equal(r.code, 1)                                               // xPay's error envelope inside HTTP 200: r
	is.True(strings.Contains(r.stdout, "must be a positive integer")) // the body, printed anyway
	is.True(strings.Contains(r.stderr, "HTTP 200 OK with an error in the body"))
}
