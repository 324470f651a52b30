package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// curlAccount logs in to a descAPI and returns what call needs.
func curlAccount(t *testing.T) (*descAPI, map[string]string, []string) {
	t.Helper()
	api, file, login := descAccount(t, "")
	if r := run(t, login, "", descSecrets, "login", "--spec", file); r.code != 0 {
		t.Fatalf("login: %s", r)
	}
	return api, descEnv(api, login["LOGINAUTH_CACHE_DIR"], true), []string{"call", "--spec", file}
}

// echoed decodes the answer of a descAPI's echo.
func echoed(t *testing.T, r result) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("not an echo: %v\n%s", err, r)
	}
	return m
}

func TestCallFail(t *testing.T) {
	t.Parallel()
	_, env, call := curlAccount(t)
	is := is.New(t)
	r := run(t, env, "", descSecrets, append(call, "/status/404")...)
	is.Equal(r.code, 1)                                // without -f: as gh api
	is.True(strings.Contains(r.stdout, "status-body")) // the body, printed
	r = run(t, env, "", descSecrets, append(call, "/status/404", "-f")...)
	is.Equal(r.code, 22)                            // curl's status: r
	is.Equal(r.stdout, "")                          // no body
	is.True(strings.Contains(r.stderr, "HTTP 404")) // and the error
	r = run(t, env, "", descSecrets, append(call, "/status/404", "-fs")...)
	is.Equal(r.code, 22)   // r
	is.Equal(r.stderr, "") // -s: silent
	r = run(t, env, "", descSecrets, append(call, "/status/404", "-fsS", "-w", `%{http_code}\n`)...)
	is.Equal(r.code, 22)                            // r
	is.True(strings.Contains(r.stderr, "HTTP 404")) // -S: the error all the same
	is.Equal(r.stdout, "404\n")                     // -w, still
	r = run(t, env, "", descSecrets, append(call, "/status/200", "-f")...)
	is.Equal(r.code, 0) // r
}

func TestCallCurlHabits(t *testing.T) {
	t.Parallel()
	_, env, call := curlAccount(t)
	data := filepath.Join(t.TempDir(), "body.json")
	is.New(t).NoErr(os.WriteFile(data, []byte(`{"from":"file"}`), 0o600))
	t.Run("write-out", func(t *testing.T) {
		is := is.New(t)
		r := run(t, env, "", descSecrets, append(call, "/echo", "-sS", "-w", `\n%{http_code} %{method} %{content_type}\n`)...)
		is.Equal(r.code, 0) // r
		is.True(strings.HasSuffix(r.stdout, "\n200 GET application/json\n"))
		r = run(t, env, "", descSecrets, append(call, "/echo", "-w", "%{nope}")...)
		is.Equal(r.code, 2)                                 // r
		is.True(strings.Contains(r.stderr, "%{http_code}")) // the variables it has
	})
	t.Run("head", func(t *testing.T) {
		is := is.New(t)
		r := run(t, env, "", descSecrets, append(call, "/echo", "-I")...)
		is.Equal(r.code, 0)                                       // r
		is.True(strings.HasPrefix(r.stdout, "HTTP/1.1 200 OK\n")) // the status
		is.True(strings.Contains(r.stdout, "Content-Type: "))     // the headers
		is.True(!strings.Contains(r.stdout, `"path"`))            // no body
	})
	t.Run("get with data", func(t *testing.T) {
		is := is.New(t)
		r := run(t, env, "", descSecrets, append(call, "/echo", "-G", "-d", "a=1", "--data-urlencode", "q=a b&c", "--compressed")...)
		is.Equal(r.code, 0) // r
		m := echoed(t, r)
		is.Equal(m["method"], "GET")
		is.Equal(m["query"], "a=1&q=a+b%26c")
		is.Equal(m["body"], "")
	})
	t.Run("clusters", func(t *testing.T) {
		is := is.New(t)
		r := run(t, env, "", descSecrets, append(call, "/echo", "-sSL", "-XPUT", "-d@"+data)...)
		is.Equal(r.code, 0) // r
		m := echoed(t, r)
		is.Equal(m["method"], "PUT")
		is.Equal(m["body"], `{"from":"file"}`)
		r = run(t, env, "", descSecrets, append(call, "/echo", "-fsSLd", "-sS")...)
		is.Equal(r.code, 0)                   // r
		is.Equal(echoed(t, r)["body"], "-sS") // a value letter takes the next argument, as it is
		r = run(t, env, "", descSecrets, append(call, "/echo", "-data", "x=1")...)
		is.Equal(r.code, 0)                   // -data is --data, not -d ata: r
		is.Equal(echoed(t, r)["body"], "x=1") // r
		r = run(t, env, "", descSecrets, append(call, "/echo", "-json", `{"a":1}`)...)
		is.Equal(r.code, 0) // -json is --json: r
		is.Equal(echoed(t, r)["content_type"], "application/json")
	})
	t.Run("refused", func(t *testing.T) {
		is := is.New(t)
		for _, args := range [][]string{{"-k"}, {"--insecure"}, {"-sk"}, {"-u", "bob:hunter2"}, {"--user=bob:hunter2"}} {
			r := run(t, env, "", append(descSecrets, "hunter2"), append(append(call, "/echo"), args...)...)
			is.Equal(r.code, 2)                                       // r
			is.True(strings.Contains(r.stderr, "is not supported: ")) // with the reason: r
		}
		r := run(t, env, "", descSecrets, append(call, "/echo", "--retry", "3")...)
		is.Equal(r.code, 2)                                                             // r
		is.True(strings.Contains(r.stderr, "--retry"))                                  // names itself
		is.True(strings.Contains(r.stderr, "curl flags listed in 'loginauth call -h'")) // and the list
	})
	t.Run("arguments", func(t *testing.T) {
		is := is.New(t)
		r := run(t, nil, "", nil, "call", "crux", "GET")
		is.Equal(r.code, 2)                                                   // r
		is.True(strings.Contains(r.stderr, "GET is a method without a path")) // r
		r = run(t, env, "", descSecrets, append(call, "POST", "/echo", "name=widget", "count:=3")...)
		is.Equal(r.code, 2)                                                            // r
		is.True(strings.Contains(r.stderr, `--json '{"name": "widget", "count": 3}'`)) // r
	})
}
