package redisstore_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/redisstore"
)

// Environment of the child processes that TestFleetChild runs in.
const (
	childEnv      = "LOGINAUTH_TEST_CHILD" // "fleet" or "holdlock"
	loginURLEnv   = "LOGINAUTH_TEST_LOGIN_URL"
	prefixEnv     = "LOGINAUTH_TEST_PREFIX"
	storeEnv      = "LOGINAUTH_TEST_STORE" // "0": no Store
	goroutinesEnv = "LOGINAUTH_TEST_GOROUTINES"
	lockTTLEnv    = "LOGINAUTH_TEST_LOCK_TTL"
)

// fleetKey is the store key that every Source of the fleet tests shares.
const fleetKey = "fleet http://127.0.0.1 alice"

// api is a fake login-style API: POST /login mints a token after a delay
// and counts it, GET /data answers 200 to a valid bearer token and 401
// otherwise.
type api struct {
	*loginauthtest.Server
	delay time.Duration
}

func newAPI(t testing.TB, delay time.Duration) *api {
	a := &api{delay: delay}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if _, handled := a.BeginLogin(w, r); handled {
			return
		}
		select {
		case <-time.After(a.delay):
		case <-r.Context().Done():
			return
		}
		tok := "tok-" + loginauthtest.RandomHex(16)
		exp := a.Now().Add(a.Lifetime())
		a.Issue(tok, "alice", exp)
		loginauthtest.WriteJSON(w, http.StatusOK, map[string]any{"token": tok, "expires_in": int(a.Lifetime().Seconds())})
	})
	mux.HandleFunc("GET /data", func(w http.ResponseWriter, r *http.Request) {
		if _, err := a.Authorize(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.Write([]byte("data"))
	})
	a.Server = loginauthtest.NewServer(mux)
	t.Cleanup(a.Close)
	return a
}

// loginFunc logs in at the login URL of an api.
func loginFunc(url string) loginauth.LoginFunc {
	return func(ctx context.Context) (*oauth2.Token, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var body struct {
			Token     string `json:"token"`
			ExpiresIn int    `json:"expires_in"`
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("login: HTTP %d", resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return nil, err
		}
		return &oauth2.Token{AccessToken: body.Token, Expiry: time.Now().Add(time.Duration(body.ExpiresIn) * time.Second)}, nil
	}
}

// newSource returns a Source of a replica: its own client and Store of the
// shared Redis, the shared key.
func newSource(a *api, st loginauth.Store, logger *slog.Logger) *loginauth.Source {
	return loginauth.New(loginauth.Config{
		Provider: "fleet",
		Origins:  []string{a.URL},
		Login:    loginFunc(a.URL + "/login"),
		StoreKey: fleetKey,
		Options:  loginauth.Options{Store: st, Logger: logger},
	})
}

// TestFleetChild is the body of the child processes that the fleet tests
// start from the test binary; run alone, it skips.
func TestFleetChild(t *testing.T) {
	switch os.Getenv(childEnv) {
	case "fleet":
		fleetChild(t)
	case "holdlock":
		holdLockChild(t)
	default:
		t.Skip("the body of the child processes of TestFleet, TestKilledLockHolder and BenchmarkFleet")
	}
}

// fleetChild builds one Source, says READY, waits for a line on stdin,
// then gets a token from many goroutines at once. It prints TOKEN as soon
// as it has one, and fails unless every goroutine got that token.
func fleetChild(t *testing.T) {
	var st loginauth.Store
	if os.Getenv(storeEnv) != "0" {
		st = &redisstore.Store{Client: newClient(t, redisAddr), Prefix: os.Getenv(prefixEnv)}
	}
	src := loginauth.New(loginauth.Config{
		Provider: "fleet",
		Origins:  []string{strings.TrimSuffix(os.Getenv(loginURLEnv), "/login")},
		Login:    loginFunc(os.Getenv(loginURLEnv)),
		StoreKey: fleetKey,
		Options:  loginauth.Options{Store: st},
	})
	n, err := strconv.Atoi(os.Getenv(goroutinesEnv))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("READY")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	toks := make([]string, n)
	var first sync.Once
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tok, err := src.Token()
			if err != nil {
				t.Error(err)
				return
			}
			toks[i] = tok.AccessToken
			first.Do(func() { fmt.Println("TOKEN", tok.AccessToken) })
		})
	}
	wg.Wait()
	for _, tok := range toks {
		if tok != toks[0] {
			t.Fatalf("goroutines of one process got different tokens: %q and %q", tok, toks[0])
		}
	}
	fmt.Println("LOGINS", src.Stats().Logins)
}

// holdLockChild takes the login lock of fleetKey, says LOCKED, and hangs
// until it is killed.
func holdLockChild(t *testing.T) {
	ttl, err := time.ParseDuration(os.Getenv(lockTTLEnv))
	if err != nil {
		t.Fatal(err)
	}
	st := &redisstore.Store{Client: newClient(t, redisAddr), Prefix: os.Getenv(prefixEnv), LockTTL: ttl}
	if _, err := st.Lock(context.Background(), fleetKey); err != nil {
		t.Fatal(err)
	}
	fmt.Println("LOCKED")
	time.Sleep(time.Minute)
	t.Fatal("not killed")
}

// child is a running child process of the test binary.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // its stdout, line by line
	out   bytes.Buffer
	mu    sync.Mutex // guards out
}

func startChild(tb testing.TB, env ...string) *child {
	tb.Helper()
	c := &child{lines: make(chan string, 16)}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestFleetChild$", "-test.count=1", "-test.timeout=2m")
	c.cmd.Env = append(os.Environ(), append([]string{addrEnv + "=" + redisAddr}, env...)...)
	c.cmd.Stderr = &lockedWriter{c}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		tb.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.cmd.Process.Kill() })
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			c.mu.Lock()
			c.out.WriteString(line + "\n")
			c.mu.Unlock()
			c.lines <- line
		}
	}()
	return c
}

type lockedWriter struct{ c *child }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	return w.c.out.Write(p)
}

// expect waits for a line of c that starts with prefix and returns it.
func (c *child) expect(tb testing.TB, prefix string) string {
	tb.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				tb.Fatalf("child exited before %s:\n%s", prefix, c.output())
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			tb.Fatalf("no %s from the child within a minute:\n%s", prefix, c.output())
		}
	}
}

// wait waits for c to exit and fails tb unless it passed.
func (c *child) wait(tb testing.TB) {
	tb.Helper()
	for range c.lines { // drain, so that the child never blocks on stdout
	}
	if err := c.cmd.Wait(); err != nil {
		tb.Fatalf("child: %v\n%s", err, c.output())
	}
}

func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// fleetResult is what one run of a fleet measured.
type fleetResult struct {
	logins int64         // logins that the API served
	first  time.Duration // from the start until the first process had a token
	all    time.Duration // from the start until every process had one
	tokens map[string]int
}

// runFleet starts procs processes of goroutines goroutines each, with or
// without the shared Store, lets them all ask for a token at once, and
// measures the logins and the time until each process has its token.
func runFleet(tb testing.TB, procs, goroutines int, shared bool) fleetResult {
	a := newAPI(tb, 100*time.Millisecond)
	prefix := newPrefix(tb)
	store := "1"
	if !shared {
		store = "0"
	}
	children := make([]*child, procs)
	for i := range children {
		children[i] = startChild(tb, childEnv+"=fleet", loginURLEnv+"="+a.URL+"/login", prefixEnv+"="+prefix,
			storeEnv+"="+store, goroutinesEnv+"="+strconv.Itoa(goroutines))
	}
	for _, c := range children {
		c.expect(tb, "READY")
	}
	start := time.Now()
	for _, c := range children {
		if _, err := io.WriteString(c.stdin, "GO\n"); err != nil {
			tb.Fatal(err)
		}
	}
	res := fleetResult{tokens: make(map[string]int)}
	var mu sync.Mutex // guards res
	var wg sync.WaitGroup
	for _, c := range children {
		wg.Go(func() {
			line := c.expect(tb, "TOKEN ")
			d := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			res.tokens[strings.TrimPrefix(line, "TOKEN ")]++
			if res.first == 0 || d < res.first {
				res.first = d
			}
			res.all = max(res.all, d)
		})
	}
	wg.Wait()
	for _, c := range children {
		c.wait(tb)
	}
	res.logins = a.Logins()
	return res
}

func TestFleet(t *testing.T) {
	needRedis(t)
	is := is.New(t)
	const procs, goroutines = 8, 100
	res := runFleet(t, procs, goroutines, true)
	t.Logf("%d processes × %d goroutines: %d login(s), first token after %v, every process after %v",
		procs, goroutines, res.logins, res.first.Round(time.Millisecond), res.all.Round(time.Millisecond))
	is.Equal(res.logins, int64(1)) // one login for the whole fleet
	is.Equal(len(res.tokens), 1)   // and every process got its token
	for _, n := range res.tokens {
		is.Equal(n, procs) // every process got the same token
	}
}

func TestKilledLockHolder(t *testing.T) {
	needRedis(t)
	is := is.New(t)
	const lockTTL = 500 * time.Millisecond
	a := newAPI(t, 50*time.Millisecond)
	prefix := newPrefix(t)

	holder := startChild(t, childEnv+"=holdlock", prefixEnv+"="+prefix, lockTTLEnv+"="+lockTTL.String())
	holder.expect(t, "LOCKED")
	locked := time.Now()

	// Replicas ask for a token while the holder has the lock...
	const replicas = 4
	type result struct {
		tok string
		at  time.Duration
		err error
	}
	results := make(chan result, replicas)
	for range replicas {
		st := &redisstore.Store{Client: newClient(t, redisAddr), Prefix: prefix, LockTTL: lockTTL}
		src := newSource(a, st, nil)
		go func() {
			tok, err := src.Token()
			if err != nil {
				results <- result{err: err}
				return
			}
			results <- result{tok: tok.AccessToken, at: time.Since(locked)}
		}()
	}
	// ...and it dies without releasing it or saving a token.
	time.Sleep(100 * time.Millisecond)
	is.NoErr(holder.cmd.Process.Signal(syscall.SIGKILL))
	err := holder.cmd.Wait()
	var exit *exec.ExitError
	is.True(errors.As(err, &exit))                                                                    // the holder was killed
	is.Equal(exit.Sys().(syscall.WaitStatus).Signal(), syscall.SIGKILL)                               // by SIGKILL
	is.True(newClient(t, redisAddr).Exists(context.Background(), prefix+fleetKey+":lock").Val() == 1) // its lock outlives it

	toks := make(map[string]bool)
	for range replicas {
		r := <-results
		is.NoErr(r.err)
		is.True(r.at >= lockTTL-100*time.Millisecond) // nobody logged in while the dead holder's lock lived
		is.True(r.at < lockTTL+3*time.Second)         // and everybody recovered soon after it expired
		toks[r.tok] = true
		t.Logf("replica got its token %v after the holder locked", r.at.Round(time.Millisecond))
	}
	is.Equal(a.Logins(), int64(1)) // exactly one login once the lock expired
	is.Equal(len(toks), 1)         // shared by every replica
}

// BenchmarkFleet measures a fleet of processes that start at once, with
// and without the shared Store: the logins that the API serves, and the
// time until the first and until every process has a token. Each login
// takes 100ms at the API. ns/op includes starting the processes.
func BenchmarkFleet(b *testing.B) {
	needRedis(b)
	for _, procs := range []int{2, 4, 8} {
		for _, shared := range []bool{false, true} {
			name := fmt.Sprintf("procs=%d/store=none", procs)
			if shared {
				name = fmt.Sprintf("procs=%d/store=redis", procs)
			}
			b.Run(name, func(b *testing.B) {
				var logins int64
				var first, all time.Duration
				for b.Loop() {
					res := runFleet(b, procs, 100, shared)
					if len(res.tokens) != 1 && shared {
						b.Fatalf("the processes got %d different tokens", len(res.tokens))
					}
					logins += res.logins
					first += res.first
					all += res.all
				}
				n := float64(b.N)
				b.ReportMetric(float64(logins)/n, "logins/op")
				b.ReportMetric(float64(first.Milliseconds())/n, "ms-first-token")
				b.ReportMetric(float64(all.Milliseconds())/n, "ms-all-tokens")
			})
		}
	}
}
