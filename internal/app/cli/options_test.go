package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/matryer/is"
)

// testCLI is a run of the command in this process, with no stdin and no
// environment, that writes to stdout and stderr.
func testCLI(stdout, stderr io.Writer) *cli {
	env := Env{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr, Getenv: func(string) string { return "" }}
	return &cli{env: env, stdin: bufio.NewReader(env.Stdin), stdout: stdout, stderr: stderr, getenv: env.Getenv}
}

// TestParseWithoutRunning checks that a command line parses into the
// command's options, and that a wrong one is a usage error, without
// running the command: no store is opened.
func TestParseWithoutRunning(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	c := testCLI(io.Discard, io.Discard)
	cache := filepath.Join(t.TempDir(), "cache")

	o, err := c.parseOptions(lookup("status"), []string{"xano", "--json", "--cache-dir", cache})
	is.NoErr(err)
	is.Equal(*o.(*statusOptions), statusOptions{output: "json", account: accountFlags{cacheDir: cache}, provider: []string{"xano"}})

	o, err = c.parseOptions(lookup("token"), []string{"--cache-dir", cache, "mic", "--timeout", "5s", "--var", "a=b"})
	is.NoErr(err)
	to := o.(*tokenOptions)
	is.Equal(to.provider, []string{"mic"})
	is.Equal(to.output, "text") // the default format
	is.Equal(to.timeout, 5*time.Second)
	is.Equal(to.vars, stringList{"a=b"})
	is.Equal(to.mode, secretAtHand)

	o, err = c.parseOptions(lookup("call"), []string{"xano", "POST", "/auth/me", "-sSL", "-H", "X-A: 1", "--cache-dir", cache, "-d", "a=1"})
	is.NoErr(err)
	co := o.(*callOptions)
	is.Equal(co.provider, []string{"xano"})
	is.Equal(co.method, "POST")
	is.Equal(co.target, "/auth/me")
	is.Equal(co.header.Get("X-A"), "1")
	is.Equal(co.curl.data, stringList{"a=1"})
	is.True(co.curl.silent && co.curl.showError && co.curl.location) // -sSL
	is.True(!co.hasJSON)
	is.Equal(co.account.timeout, 30*time.Second) // the default --timeout

	o, err = c.parseOptions(lookup("demo"), []string{"-n", "7", "-o", "json"})
	is.NoErr(err)
	is.Equal(*o.(*demoCmdOptions), demoCmdOptions{output: "json", n: 7})

	var u *usageError
	for _, args := range [][]string{
		{"token", "xano", "mic"},
		{"token", "xano", "-o", "yaml"},
		{"call", "xano", "/x", "-d", "a", "--json", "{}"},
		{"status", "xano", "mic"},
		{"proxy", "xano", "--max-replay", "-1"},
		{"demo", "-n", "0"},
		{"fake", "nope"},
		{"completion", "tcsh"},
		{"version", "extra"},
	} {
		_, err := c.parseOptions(lookup(args[0]), args[1:])
		is.True(errors.As(err, &u)) // a usage error: args
	}
	_, err = os.Stat(cache)
	is.True(errors.Is(err, fs.ErrNotExist)) // parsing opened no store
}

// TestRunWithoutParsing runs token from options written out, without a
// command line: against an in-process fake, it logs in and stores the
// token; a second run, without the password, takes the stored one.
func TestRunWithoutParsing(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := builtinNamed("xano")
	srv, vals := p.fake()
	defer srv.Close()
	v := vals()
	var stdout bytes.Buffer
	c := testCLI(&stdout, io.Discard)
	af := accountFlags{base: v[varBase], user: v[p.user], secret: v[p.secretVar().name], cacheDir: t.TempDir(), timeout: 10 * time.Second}
	o := tokenOptions{accountOptions{accountFlags: af, mode: secretAtHand, output: "json", provider: []string{"xano"}}}
	is.NoErr(c.token(context.Background(), o))
	var got tokenJSON
	is.NoErr(json.Unmarshal(stdout.Bytes(), &got))
	is.Equal(got.Provider, "xano")
	is.True(got.AccessToken != "")

	stdout.Reset()
	o.secret, o.output = "", "text"
	is.NoErr(c.token(context.Background(), o))
	is.Equal(strings.TrimSpace(stdout.String()), got.AccessToken) // the stored token

	// --timeout bounds the run: the login would wait a minute.
	srv.SetFault(loginauthtest.FaultSlow)
	srv.SetLoginDelay(time.Minute)
	o.cacheDir, o.secret, o.timeout = t.TempDir(), af.secret, 50*time.Millisecond
	err := c.token(context.Background(), o)
	is.True(errors.Is(err, context.DeadlineExceeded))         // err
	is.True(strings.Contains(err.Error(), "gave up waiting")) // the run's deadline, not the login's own: err
}
