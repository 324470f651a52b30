package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

	bin := filepath.Join(t.TempDir(), "loginauth")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	is.NoErr(err) // out
	_ = out

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
