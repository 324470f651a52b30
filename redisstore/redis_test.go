package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/redisstore"
)

// addrEnv names the variable that points the tests at a running Redis.
const addrEnv = "LOGINAUTH_REDIS_ADDR"

// redisAddr is the Redis the tests use: from addrEnv, or the one that
// TestMain started. Empty means none: noRedis says why.
var redisAddr, noRedis string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests runs the tests against the Redis at addrEnv, or one of its
// own, whose address it puts in addrEnv for the examples. With no Redis at
// all, the tests that need one skip, and so do the examples, which cannot
// skip themselves.
func runTests(m *testing.M) int {
	if redisAddr = os.Getenv(addrEnv); redisAddr != "" {
		return m.Run()
	}
	srv, err := startRedis()
	if err != nil {
		noRedis = err.Error()
		flag.Parse()
		skip := "^Example"
		if s := flag.Lookup("test.skip").Value.String(); s != "" {
			skip = s + "|" + skip
		}
		flag.Set("test.skip", skip)
		fmt.Fprintln(os.Stderr, "redisstore: skipping the examples:", noRedis)
		return m.Run()
	}
	defer srv.Stop()
	redisAddr = srv.Addr
	os.Setenv(addrEnv, redisAddr)
	return m.Run()
}

// needRedis skips t when there is no Redis to test against.
func needRedis(t testing.TB) {
	t.Helper()
	if redisAddr == "" {
		t.Skip(noRedis)
	}
}

// redisServer is a redis-server process of the tests' own.
type redisServer struct {
	Addr string
	bin  string
	cmd  *exec.Cmd
	dir  string
	log  *os.File
	once sync.Once
}

// startRedis starts redis-server on a free loopback port, without
// persistence, and waits until it answers.
func startRedis() (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("no Redis to test against: %s is unset and redis-server is not in PATH (apt-get install redis-server, or run ./run-tests.sh)", addrEnv)
	}
	var last error
	for range 3 { // the free port may be taken before redis-server binds it
		srv, err := startRedisOnce(bin)
		if err == nil {
			return srv, nil
		}
		last = err
	}
	return nil, last
}

func startRedisOnce(bin string) (*redisServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	return startRedisAt(bin, port)
}

// startRedisAt starts redis-server on port of 127.0.0.1.
func startRedisAt(bin, port string) (*redisServer, error) {
	dir, err := os.MkdirTemp("", "redisstore-test-")
	if err != nil {
		return nil, err
	}
	log, err := os.Create(dir + "/redis.log")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	srv := &redisServer{Addr: "127.0.0.1:" + port, bin: bin, dir: dir, log: log}
	srv.cmd = exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	srv.cmd.Stdout, srv.cmd.Stderr = log, log
	if err := srv.cmd.Start(); err != nil {
		srv.Stop()
		return nil, err
	}
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return srv, nil
		}
	}
	srv.Stop()
	out, _ := os.ReadFile(log.Name())
	return nil, fmt.Errorf("redis-server on %s did not answer: %v\n%s", srv.Addr, err, out)
}

// Stop stops the server and waits for it to exit.
func (r *redisServer) Stop() {
	r.once.Do(func() {
		if r.cmd.Process != nil {
			r.cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { r.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				r.cmd.Process.Kill()
				<-done
			}
		}
		r.log.Close()
		os.RemoveAll(r.dir)
	})
}

// newClient returns a client of the tests' Redis that honours context
// deadlines, closed at the end of t.
func newClient(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// newPrefix returns a prefix of keys that no other test uses, and deletes
// its keys at the end of t.
func newPrefix(t testing.TB) string {
	prefix := "loginauthtest:" + loginauthtest.RandomHex(12) + ":"
	t.Cleanup(func() { deleteKeys(redisAddr, prefix) })
	return prefix
}

func deleteKeys(addr, prefix string) {
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	it := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for it.Next(ctx) {
		c.Del(ctx, it.Val())
	}
}

// newStore returns a Store of the tests' Redis with a prefix of its own.
func newStore(t testing.TB) *redisstore.Store {
	needRedis(t)
	return &redisstore.Store{Client: newClient(t, redisAddr), Prefix: newPrefix(t)}
}

// records is a slog.Handler that keeps the records it handles.
type records struct {
	mu   sync.Mutex // guards recs
	recs []slog.Record
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *records) WithGroup(string) slog.Handler            { return h }

func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}

// ops returns the "op" attribute of every record with message msg.
func (h *records) ops(msg string) map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	ops := make(map[string]int)
	for _, r := range h.recs {
		if r.Message != msg {
			continue
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "op" {
				ops[a.Value.String()]++
			}
			return true
		})
	}
	return ops
}

// text returns every record as text, for failure messages and for checks
// that no secret is logged.
func (h *records) text() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b bytes.Buffer
	th := slog.NewTextHandler(&b, nil)
	for _, r := range h.recs {
		th.Handle(context.Background(), r)
	}
	return b.String()
}

// isStoreError reports whether err is one of the Store's errors.
func isStoreError(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "redisstore: ") && errors.Unwrap(err) != nil
}
