package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

// TestStoreFlag runs the command with --store: a redis URL opens the
// Redis store (and, against a Redis at LOGINAUTH_REDIS_ADDR, keeps the
// token there), and a scheme no store has is a usage error.
func TestStoreFlag(t *testing.T) {
	is := is.New(t)
	_, _, err := openRedis(context.Background(), "redis://127.0.0.1:1/0")
	is.NoErr(err) // a redis URL opens a store (connecting is lazy)
	_, _, err = openRedis(context.Background(), "redis://[::1")
	is.True(err != nil) // a URL that redis cannot read

	bin := build(t)
	cmd := exec.Command(bin, "token", "xano", "--store", "memcache://x", "--base-url", "https://x.example.com/api:a", "--username", "a@example.com")
	cmd.Env = append(os.Environ(), "XANO_PASSWORD=")
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	is.True(err != nil && errorAs(err, &ee) && ee.ExitCode() == 2) // a store no one registered
	is.True(strings.Contains(string(b), "no memcache store"))      // says so

	addr := os.Getenv("LOGINAUTH_REDIS_ADDR")
	if addr == "" {
		t.Skip("no Redis: set LOGINAUTH_REDIS_ADDR (redisstore/run-tests.sh does)")
	}
	// The fake, then login, then a token without the password, from Redis.
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	fake := exec.Command(bin, "fake", "xano", "--env-file", envFile)
	fake.Stdout, fake.Stderr = nil, nil
	is.NoErr(fake.Start())
	defer func() { fake.Process.Signal(os.Interrupt); fake.Wait() }()
	vars := waitEnv(t, envFile)
	store := "redis://" + addr + "/0"
	login := exec.Command(bin, "login", "xano", "--store", store)
	login.Env = append(os.Environ(), vars...)
	b, err = login.CombinedOutput()
	is.NoErr(err) // string(b)
	tok := exec.Command(bin, "token", "xano", "--store", store)
	var noSecret []string
	for _, v := range vars {
		if !strings.HasPrefix(v, "XANO_PASSWORD=") {
			noSecret = append(noSecret, v)
		}
	}
	tok.Env = append(os.Environ(), noSecret...)
	b, err = tok.CombinedOutput()
	is.NoErr(err)                                        // string(b)
	is.True(len(strings.TrimSpace(string(b))) > 20)      // a token, from Redis
	is.True(!strings.Contains(string(b), "s3cret-pass")) // never the password
}

// binary is the command, built once by build.
var binary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// build builds the command once, and returns its file.
func build(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "loginauth-redis-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "loginauth")
		binary.out, binary.err = exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput()
	})
	if binary.err != nil {
		t.Fatalf("go build: %v\n%s", binary.err, binary.out)
	}
	return binary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.path != "" {
		os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}

func errorAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*target = e
	return ok
}

// waitEnv waits for the fake's --env-file and returns its variables as
// NAME=VALUE.
func waitEnv(t *testing.T, path string) []string {
	t.Helper()
	for range 300 {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			var vars []string
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				kv := strings.TrimPrefix(line, "export ")
				k, v, _ := strings.Cut(kv, "=")
				vars = append(vars, k+"="+strings.Trim(v, "'"))
			}
			return vars
		}
		sleep()
	}
	t.Fatal("the fake wrote no env file")
	return nil
}

// sleep pauses between two looks at the env file.
func sleep() { time.Sleep(50 * time.Millisecond) }

// TestProxyFleet runs 8 'loginauth proxy' processes with --store
// redis://, in front of one fake, and sends requests spread over them
// from a cold start: the fake must see one login.
func TestProxyFleet(t *testing.T) {
	addr := os.Getenv("LOGINAUTH_REDIS_ADDR")
	if addr == "" {
		t.Skip("no Redis: set LOGINAUTH_REDIS_ADDR (redisstore/run-tests.sh does)")
	}
	is := is.New(t)
	const proxies, requests, workers = 8, 160, 16
	bin := build(t)
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	fake := exec.Command(bin, "fake", "xano", "--env-file", envFile)
	is.NoErr(fake.Start())
	defer func() { fake.Process.Signal(syscall.SIGTERM); fake.Wait() }()
	vars := waitEnv(t, envFile)
	var root, password string
	for _, v := range vars {
		if b, ok := strings.CutPrefix(v, "XANO_BASE_URL="); ok {
			root = b[:strings.Index(b, "/api:")]
		}
		if pw, ok := strings.CutPrefix(v, "XANO_PASSWORD="); ok {
			password = pw
		}
	}
	control := func(method, path string) string {
		req, _ := http.NewRequest(method, root+"/_fake/"+path, nil)
		resp, err := http.DefaultClient.Do(req)
		is.NoErr(err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		is.Equal(resp.StatusCode, 200) // string(b)
		return string(b)
	}
	control("POST", "fault?fault=NoFault&delay=200ms") // the proxies' logins would overlap

	listening := regexp.MustCompile(`listening on (http://\S+)`)
	type proc struct {
		cmd    *exec.Cmd
		out    bytes.Buffer  // all it wrote, once copied is closed
		copied chan struct{} // closed when its output ended
	}
	var procs []*proc
	var urls []string
	stop := func() {
		for _, p := range procs {
			p.cmd.Process.Signal(syscall.SIGTERM)
			p.cmd.Wait()
			<-p.copied
		}
		procs = nil
	}
	defer stop()
	for range proxies {
		p := &proc{copied: make(chan struct{})}
		p.cmd = exec.Command(bin, "proxy", "xano", "--listen", "127.0.0.1:0", "--store", "redis://"+addr+"/0")
		p.cmd.Env = append(os.Environ(), vars...)
		r, w, err := os.Pipe()
		is.NoErr(err)
		p.cmd.Stdout, p.cmd.Stderr = w, w
		is.NoErr(p.cmd.Start())
		w.Close()
		procs = append(procs, p)
		// Its output up to the line that says where it listens, then the
		// rest until it exits.
		line, err := readUntil(r, listening)
		is.NoErr(err) // line
		urls = append(urls, listening.FindStringSubmatch(line)[1])
		p.out.WriteString(line)
		go func() {
			io.Copy(&p.out, r)
			r.Close()
			close(p.copied)
		}()
	}

	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var ok atomic.Int32
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				resp, err := c.Get(urls[i%proxies] + "/auth/me")
				if err != nil {
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && strings.Contains(string(b), "alice@example.test") {
					ok.Add(1)
				}
			}
		})
	}
	for i := range requests {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	is.Equal(ok.Load(), int32(requests)) // every request answered
	var st struct{ Logins, Requests int64 }
	is.NoErr(json.Unmarshal([]byte(control("GET", "stats")), &st))
	is.Equal(st.Logins, int64(1))          // 8 processes, one Redis: one login
	is.Equal(st.Requests, int64(requests)) // each forwarded once
	all := procs
	stop()
	for _, p := range all {
		is.Equal(p.cmd.ProcessState.ExitCode(), 0)           // stopped on SIGTERM: p.out.String()
		is.True(!strings.Contains(p.out.String(), password)) // never the password
	}
}

// readUntil reads r until a line matches re, and returns what it read.
func readUntil(r io.Reader, re *regexp.Regexp) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		b.Write(buf[:n])
		if n > 0 && buf[0] == '\n' && re.MatchString(b.String()) {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
	}
}
