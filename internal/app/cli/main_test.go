package cli

// The command's tests run the built binary as a subprocess, against
// 'loginauth fake' run as a subprocess too, as a user would: the helpers
// here build it once, start fakes, and run commands, checking every
// output for the fakes' secrets.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bin is the command, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "loginauth-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "loginauth")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/loginauth/loginauth/cmd/loginauth").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fakeProc is a 'loginauth fake' process and the environment it printed.
type fakeProc struct {
	name string
	env  map[string]string // the export lines: base URL, demo credentials
	root string            // scheme://host:port, where /_fake/ is
	cmd  *exec.Cmd
	out  *bytes.Buffer // its stderr
}

// startFake runs 'loginauth fake NAME' until t ends, and waits for its
// env file.
func startFake(t *testing.T, name string) *fakeProc {
	t.Helper()
	envFile := filepath.Join(t.TempDir(), name+".env")
	f := &fakeProc{name: name, out: &bytes.Buffer{}}
	f.cmd = exec.Command(bin, "fake", name, "--listen", "127.0.0.1:0", "--env-file", envFile)
	f.cmd.Stderr = f.out
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.cmd.Process.Signal(syscall.SIGTERM)
		f.cmd.Wait()
	})
	// Wait for the env file, which the fake writes once it listens; the
	// deadline only bounds a fake that never starts.
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(envFile)
		if err == nil && len(b) > 0 {
			f.env = parseExports(t, string(b))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fake %s wrote no env file; stderr: %s", name, f.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for k, v := range f.env {
		if strings.HasSuffix(k, "_BASE_URL") {
			i := strings.Index(v[len("http://"):], "/")
			f.root = v
			if i >= 0 {
				f.root = v[:len("http://")+i]
			}
		}
	}
	return f
}

// parseExports reads "export NAME='value'" lines.
func parseExports(t *testing.T, s string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		kv, ok := strings.CutPrefix(line, "export ")
		k, v, ok2 := strings.Cut(kv, "=")
		if !ok || !ok2 || len(v) < 2 || v[0] != '\'' {
			t.Fatalf("not an export line: %q", line)
		}
		env[k] = strings.ReplaceAll(v[1:len(v)-1], `'\''`, "'")
	}
	return env
}

// secrets are the fake's values that no output may hold: its password or
// secret key, and MIC's API key.
func (f *fakeProc) secrets() []string {
	var s []string
	for k, v := range f.env {
		if strings.HasSuffix(k, "_PASSWORD") || strings.HasSuffix(k, "_SECRET_KEY") || strings.HasSuffix(k, "_API_KEY") {
			s = append(s, v)
		}
	}
	return s
}

// control posts to, or gets, a control endpoint of the fake, and returns
// the body.
func (f *fakeProc) control(t *testing.T, method, path string) string {
	t.Helper()
	req, _ := http.NewRequest(method, f.root+"/_fake/"+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s /_fake/%s: %s %s", method, path, resp.Status, b)
	}
	return string(b)
}

// account is the environment of a fake's demo account with a token cache
// of its own; without the secret when noSecret.
func (f *fakeProc) account(t *testing.T, cache string, noSecret bool) map[string]string {
	env := maps.Clone(f.env)
	env["LOGINAUTH_CACHE_DIR"] = cache
	if noSecret {
		for k := range env {
			if strings.HasSuffix(k, "_PASSWORD") || strings.HasSuffix(k, "_SECRET_KEY") {
				delete(env, k)
			}
		}
	}
	return env
}

// result is what one run of the command did.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

// run runs the command with env as its whole environment (see
// commandEnv) and stdin, and checks that its output holds none of secrets.
func run(t *testing.T, env map[string]string, stdin string, secrets []string, args ...string) result {
	t.Helper()
	return runAs(t, nil, env, stdin, secrets, args...)
}

// runAs is run with the process attributes sys (such as another user's
// credentials); nil means none.
func runAs(t *testing.T, sys *syscall.SysProcAttr, env map[string]string, stdin string, secrets []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = commandEnv(t, env)
	cmd.SysProcAttr = sys
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running %v: %v", args, err)
	}
	r := result{cmd.ProcessState.ExitCode(), out.String(), errOut.String()}
	for _, s := range secrets {
		if s != "" && (strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s)) {
			t.Errorf("loginauth %v printed a secret:\n%s", args, r)
		}
	}
	return r
}

// commandEnv is env as the whole environment of a run of the command,
// with HOME and XDG_CONFIG_HOME in a temporary directory unless env sets
// them.
func commandEnv(t *testing.T, env map[string]string) []string {
	list := []string{}
	home := t.TempDir()
	defaults := map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "config"), "XDG_CACHE_HOME": filepath.Join(home, "cache")}
	for k, v := range defaults {
		if _, ok := env[k]; !ok {
			list = append(list, k+"="+v)
		}
	}
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	return list
}
