package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
)

// buildCommand builds cmd/loginauth into a directory that t removes.
func buildCommand(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "loginauth")
	began := time.Now()
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/loginauth/loginauth/cmd/loginauth").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("timing: go build ./cmd/loginauth %v", time.Since(began).Round(time.Millisecond))
	return bin
}

// command runs the loginauth command of the entry name.
type command struct {
	t        *testing.T
	bin      string
	env      []string
	password string
}

// run runs the command with stdin and returns its exit code and output,
// which must not hold the password.
func (c *command) run(stdin string, args ...string) (int, string, string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env, cmd.Stdin = c.env, strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		c.t.Fatal(err)
	}
	if strings.Contains(out.String()+errOut.String(), c.password) {
		c.t.Errorf("loginauth %v printed the password", args)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// commandRun checks the command and its proxy through the catalog entry,
// with no description file: a wrong password, login, call, one login for
// the proxy's concurrent clients across a revocation, and logout.
func commandRun(t *testing.T, bin, name string, r *running) {
	is := is.New(t)
	home := t.TempDir()
	c := &command{t: t, bin: bin, password: r.password, env: []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"LOGINAUTH_CACHE_DIR=" + filepath.Join(home, "cache"),
	}}
	login := []string{"login", name, "--base-url", r.base, "--password-stdin"}
	if r.user != "" {
		login = append(login, "--username", r.user)
	}

	began := time.Now()
	code, _, stderr := c.run("wrong-"+r.password+"\n", login...)
	is.Equal(code, 1) // a wrong password fails the login
	is.True(stderr != "")
	code, _, stderr = c.run(r.password+"\n", login...)
	is.Equal(code, 0) // stderr
	call := []string{"call", name, r.protected}
	if r.body != "" {
		call = append(call, "--json", r.body)
	}
	code, _, stderr = c.run("", call...)
	is.Equal(code, 0) // call with the stored token
	t.Logf("timing: %s: command login and call %v", name, time.Since(began).Round(time.Millisecond))

	began = time.Now()
	proxyRun(t, c, name, r)
	t.Logf("timing: %s: proxy, 200 clients and a revocation %v", name, time.Since(began).Round(time.Millisecond))

	began = time.Now()
	code, tok, _ := c.run("", "token", name)
	is.Equal(code, 0)
	code, _, stderr = c.run("", "logout", name)
	is.Equal(code, 0) // stderr
	if r.logout {
		is.True(refusedWith(t, name, r, strings.TrimSpace(tok))) // logout ended the session at the server
	}
	t.Logf("timing: %s: command logout %v", name, time.Since(began).Round(time.Millisecond))
}

// proxyRun starts 'loginauth proxy', with the password in the
// environment so that it can log in again, sends 100 concurrent clients
// through it, revokes the token at the server, sends 100 more, and stops
// it by its PID.
func proxyRun(t *testing.T, c *command, name string, r *running) {
	is := is.New(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(c.bin, "proxy", name, "--listen", addr)
	cmd.Env = append(c.env, envName(name, "password")+"="+r.password)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	is.NoErr(cmd.Start())
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if strings.Contains(errOut.String(), r.password) {
			t.Error("the proxy printed the password")
		}
	}()
	root := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(root + "/_loginauth/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy not healthy: %s", errOut.String())
		}
	}
	burst := func(n int) int64 {
		var failed atomic.Int64
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				resp, err := http.DefaultClient.Do(r.request(root))
				if err != nil {
					t.Log(err)
					failed.Add(1)
					return
				}
				defer resp.Body.Close()
				if !r.served(resp) {
					if failed.Add(1) == 1 {
						t.Logf("not served: %s", resp.Status)
					}
				}
			})
		}
		wg.Wait()
		return failed.Load()
	}
	is.Equal(burst(100), int64(0)) // through the proxy
	_, tok, _ := c.run("", "token", name)
	r.revoke(t, &oauth2.Token{AccessToken: strings.TrimSpace(tok)})
	is.Equal(burst(100), int64(0)) // after a server-side revocation
	resp, err := http.Get(root + "/_loginauth/stats")
	is.NoErr(err)
	defer resp.Body.Close()
	var st loginauth.Stats
	is.NoErr(json.NewDecoder(resp.Body).Decode(&st))
	is.Equal(st.Logins+st.Refreshes, int64(1)) // one re-login for all the clients
}
