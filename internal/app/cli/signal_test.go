//go:build unix

package cli

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

// hangingAPI answers nothing: each request waits until the test ends or
// the client goes. hit receives each request's path as it arrives.
func hangingAPI(t *testing.T) (*httptest.Server, chan string) {
	hit := make(chan string, 16)
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit <- r.URL.Path
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); s.Close() })
	return s, hit
}

// TestInterruptExits130: Ctrl-C during a login exits 130, silently.
func TestInterruptExits130(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	api, hit := hangingAPI(t)
	dir := t.TempDir()
	file := writeDesc(t, dir, "acme.json", descJSON(&descAPI{Server: api}, "acme", ""))
	env := descEnv(&descAPI{Server: api}, filepath.Join(dir, "cache"), false)
	cmd := exec.Command(bin, "login", "--spec", file)
	cmd.Env = commandEnv(t, env)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	is.NoErr(cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case path := <-hit:
		is.Equal(path, "/login") // the login is under way
	case err := <-exited:
		t.Fatalf("login exited before its login call: %v\n%s", err, &stderr)
	}
	is.NoErr(cmd.Process.Signal(os.Interrupt))
	err := <-exited
	var ee *exec.ExitError
	is.True(errors.As(err, &ee))
	is.Equal(ee.ExitCode(), 130)  // as shells expect
	is.Equal(stderr.String(), "") // silently
}

// TestProxySecondInterrupt: the first Ctrl-C lets the requests in flight
// end; the second stops the proxy at once.
func TestProxySecondInterrupt(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	api, file, env := descAccount(t, "")
	p := startProxy(t, env, descSecrets, "--spec", file, "--shutdown-timeout", "10m")
	go http.Get(p.url + "/hang")
	select {
	case <-api.hung: // a request in flight
	case <-p.exited:
		t.Fatalf("the proxy exited:\n%s", p.out)
	}
	is.NoErr(p.cmd.Process.Signal(os.Interrupt))
	select {
	case <-p.exited:
		t.Fatalf("the first Ctrl-C ended the proxy with a request in flight:\n%s", p.out)
	case <-time.After(500 * time.Millisecond): // still draining, as it should
	}
	is.NoErr(p.cmd.Process.Signal(os.Interrupt))
	select {
	case <-p.exited:
		ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
		is.True(ws.Signaled() && ws.Signal() == syscall.SIGINT) // the default handler ended it, at once
	case <-time.After(30 * time.Second): // far below --shutdown-timeout
		t.Fatalf("the second Ctrl-C did not stop the proxy:\n%s", p.out)
	}
}
