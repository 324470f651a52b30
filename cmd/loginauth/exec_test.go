package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
)

// The command built once for the tests that run it as a program.
var built struct {
	once sync.Once
	dir  string // removed by TestMain
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// binary builds the command with go build, once, and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			built.err = err
			return
		}
		if built.dir, built.err = os.MkdirTemp("", "loginauth-test-"); built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "loginauth")
		out, err := exec.Command(goTool, "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if errors.Is(built.err, exec.ErrNotFound) {
		t.Skip("no go command to build with")
	}
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// execCmd runs the built command with env as its whole environment and
// no standard input.
func execCmd(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = []string{}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running %v: %v", args, err)
	}
	return result{cmd.ProcessState.ExitCode(), out.String(), errOut.String()}
}

func TestBinaryDemo(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	binary(t) // not timed
	start := time.Now()
	r := execCmd(t, nil, "demo")
	d := time.Since(start)
	t.Logf("demo took %v:\n%s", d, r.stdout)
	is.Equal(r.code, 0) // stderr: r.stderr
	is.True(strings.Contains(r.stdout, "1000 concurrent requests per scenario"))
	is.True(strings.Contains(r.stdout, "All 16 loginauth expectations held."))
	is.True(strings.Contains(r.stdout, "1 login, 1000/1000 ok")) // 1,000 cold requests, 1 login
	is.True(strings.Contains(r.stdout, "leaked Authorization"))  // oauth2 beside it
	is.True(strings.Contains(r.stderr, "demo: done in"))         // progress on stderr
	is.True(d < 20*time.Second)                                  // a few seconds
}

func TestBinaryAccount(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	a := startFake(t, "mic")

	// token, twice: one login.
	r := execCmd(t, a.env, "token", "mic")
	is.Equal(r.code, 0) // stderr: r.stderr
	tok := strings.TrimSpace(r.stdout)
	is.True(a.fake.Valid(tok))
	r = execCmd(t, a.env, "token", "mic")
	is.Equal(strings.TrimSpace(r.stdout), tok)
	is.Equal(a.fake.Logins(), int64(1)) // the second process reused the stored token

	// call, with -v: the stored token, headers redacted.
	r = execCmd(t, a.env, "call", "mic", "/users/alice", "-v")
	is.Equal(r.code, 0) // stderr: r.stderr
	is.True(strings.Contains(r.stdout, `"userName":"alice"`))
	is.True(strings.Contains(r.stderr, "> Authorization: [redacted]"))
	is.True(strings.Contains(r.stderr, "token loaded from store"))
	is.True(!strings.Contains(r.stderr, tok))
	is.Equal(a.fake.Logins(), int64(1))

	// HTTP 404: exit 1, body printed.
	r = execCmd(t, a.env, "call", "mic", "GET", "/users/bob")
	is.Equal(r.code, 1)
	is.True(strings.Contains(r.stdout, "USER_NOT_FOUND"))

	// logout, then token logs in again.
	r = execCmd(t, without(a.env, "MIC_PASSWORD"), "logout", "mic")
	is.Equal(r.code, 0) // stderr: r.stderr
	is.True(strings.Contains(r.stderr, "Forgot the stored token"))
	r = execCmd(t, a.env, "token", "mic")
	is.Equal(r.code, 0)
	is.Equal(a.fake.Logins(), int64(2))
}

func TestBinaryBadInput(t *testing.T) {
	t.Parallel()
	a := startFake(t, "xpay")
	const wrong = "Wr0ng-Secret-Do-Not-Print"
	unreachable := without(a.env)
	unreachable["XPAY_BASE_URL"] = "http://127.0.0.1:1"
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"unknown provider", a.env, []string{"token", "paypal"}, 2, `unknown provider "paypal"`},
		{"unknown command", a.env, []string{"login"}, 2, `unknown command "login"`},
		{"missing secret", without(a.env, "XPAY_SECRET_KEY"), []string{"token", "xpay"}, 2, "set XPAY_SECRET_KEY"},
		{"missing user", without(a.env, "XPAY_USERNAME"), []string{"call", "xpay", "POST", "/client/bills/save"}, 2, "set XPAY_USERNAME"},
		{"refused login", a.env, []string{"token", "xpay", "--secret-key", wrong}, 1, `"invalid credentials"`},
		{"refused login, call", a.env, []string{"call", "-v", "xpay", "POST", "/client/bills/save", "-d", "{}", "--password=" + wrong}, 1, `"invalid credentials"`},
		{"unreachable", unreachable, []string{"token", "xpay"}, 1, "127.0.0.1:1: connect: connection refused"},
		{"unreachable, call", unreachable, []string{"call", "xpay", "POST", "/client/bills/save"}, 1, "cannot reach the API: check XPAY_BASE_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			r := execCmd(t, tc.env, tc.args...)
			is.Equal(r.code, tc.code)                    // stderr: r.stderr
			is.True(strings.Contains(r.stderr, tc.want)) // a clear message: r.stderr
			is.True(!strings.Contains(r.stderr, wrong))  // never the secret
			is.True(!strings.Contains(r.stdout, wrong))
			is.True(!strings.Contains(r.stderr, a.secret)) // nor the one in the environment
		})
	}
}
