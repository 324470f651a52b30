package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestFake(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	envFile := filepath.Join(t.TempDir(), "mic.env")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "fake", "mic", "--listen", "127.0.0.1:0", "--env-file", envFile)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	is.NoErr(cmd.Start())
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(envFile); err == nil && len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no env file; stderr: %s", &stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, _ := os.ReadFile(envFile)
	env := parseExports(t, string(b))
	for _, k := range []string{"MIC_BASE_URL", "MIC_API_KEY", "MIC_USERNAME", "MIC_PASSWORD"} {
		is.True(env[k] != "") // every variable of the provider: k
	}
	is.True(strings.HasPrefix(env["MIC_BASE_URL"], "http://127.0.0.1:")) // the port it picked
	is.True(!strings.HasSuffix(env["MIC_BASE_URL"], ":0/prod"))
	// A process of another language reaches it with the printed values.
	f := &fakeProc{env: env, root: strings.TrimSuffix(env["MIC_BASE_URL"], "/prod")}
	is.True(strings.Contains(f.control(t, "GET", "stats"), `"logins":0`))
	is.NoErr(cmd.Process.Signal(syscall.SIGTERM))
	is.NoErr(cmd.Wait())                 // SIGTERM: exit 0
	is.Equal(stdout.String(), string(b)) // the same lines on stdout
	is.True(strings.Contains(stderr.String(), "stopped"))
	for _, e := range []string{"POST /auth/login", "GET /users/{userName}", "GET  /_fake/stats", "POST /_fake/fault", "try: loginauth call mic GET /users/"} {
		is.True(strings.Contains(stderr.String(), e)) // the banner lists the endpoints: e
	}

	r := run(t, nil, "", nil, "fake", "nope")
	is.Equal(r.code, 2) // an unknown provider
	r = run(t, nil, "", nil, "fake", "xano", "--listen", "256.0.0.1:x")
	is.Equal(r.code, 1) // cannot listen
}

// TestFakeNoFaultClearsDelay: fault=NoFault clears FaultSlow's delay too.
func TestFakeNoFaultClearsDelay(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	f.control(t, "POST", "fault?fault=FaultSlow&delay=1h")
	f.control(t, "POST", "fault?fault=NoFault")
	r := run(t, f.account(t, filepath.Join(t.TempDir(), "cache"), false), "", f.secrets(), "login", "xano", "--timeout", "10s")
	is.Equal(r.code, 0) // no delay left: r
}
