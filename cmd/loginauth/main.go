// Command loginauth logs in to login-style HTTP APIs the way the
// github.com/loginauth/loginauth library does, and shows the library at
// work.
//
// Usage:
//
//	loginauth <command> [flags]
//
// The commands are:
//
//	demo     start fake mic, xano, crux and xpay servers in this process
//	         (no account, no network) and show, for each provider, what the
//	         library does beside golang.org/x/oauth2: 1,000 concurrent
//	         requests without a token, a revoked token, a token near
//	         expiry, a redirect to another host; a table on stdout, or JSON
//	         with -o json
//	token    print a valid access token for a provider, for scripts; the
//	         token is kept in a token cache (a loginauth.FileStore), so that
//	         later calls reuse it without logging in
//	call     make one authenticated request to a provider's API and print
//	         the response body; -v shows the headers (credentials redacted)
//	         and the library's debug log
//	logout   forget the stored token of an account
//
// Providers are mic, xano, crux and xpay. Their credentials come from the
// environment (MIC_BASE_URL, MIC_API_KEY, MIC_USERNAME, MIC_PASSWORD;
// XANO_BASE_URL, XANO_EMAIL, XANO_PASSWORD; CRUX_BASE_URL, CRUX_USERNAME,
// CRUX_PASSWORD; XPAY_BASE_URL, XPAY_USERNAME, XPAY_SECRET_KEY) or from
// flags. A missing password or secret key is asked for, without echo, when
// stdin is a terminal. LOGINAUTH_CACHE_DIR, or --cache-dir, moves the token
// cache from its default, loginauth in the user cache directory.
//
// Run 'loginauth <command> -h' for the flags of a command. The exit status
// is 0 on success, 1 on failure and 2 on a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const mainUsage = `Usage: loginauth <command> [flags]

loginauth logs in to login-style HTTP APIs (mic, xano, crux, xpay) the way
the github.com/loginauth/loginauth library does, and shows the library at
work.

Commands:
  demo      show the library against four built-in fake providers, beside
            golang.org/x/oauth2 (no account, no network)
  token     print a valid access token for a provider
  call      make one authenticated request and print the response body
  logout    forget a provider's stored token

Run 'loginauth <command> -h' for the flags and environment of a command.

Exit status: 0 success, 1 failure, 2 usage error.
`

// env is how run reads the environment: os.Getenv, or a map in tests.
type env func(string) string

// cli is one invocation of the command: its streams and environment.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv env
}

// run runs the command line args (without the program name) and returns
// the exit status. ctx ends the work early, on an interrupt say.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv env) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	var err error
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(rest) > 0 {
			return run(ctx, []string{rest[0], "-h"}, stdin, stdout, stderr, getenv)
		}
		fmt.Fprint(stdout, mainUsage)
		return exitOK
	case "demo":
		err = c.demo(ctx, rest)
	case "token":
		err = c.token(ctx, rest)
	case "call":
		err = c.call(ctx, rest)
	case "logout":
		err = c.logout(ctx, rest)
	default:
		if strings.HasPrefix(name, "-") {
			// Only the flag's name: its value may be a secret.
			flagName, _, _ := strings.Cut(name, "=")
			fmt.Fprintf(stderr, "loginauth: unknown flag %s: flags come after the command\nRun 'loginauth -h' for the commands.\n", flagName)
			return exitUsage
		}
		fmt.Fprintf(stderr, "loginauth: unknown command %q\nRun 'loginauth -h' for the commands.\n", name)
		return exitUsage
	}
	return c.exit(name, err)
}

// exit reports err on stderr and returns its exit status.
func (c *cli) exit(cmd string, err error) int {
	var u *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errSilent):
		return exitFail
	case errors.As(err, &u):
		fmt.Fprintf(c.stderr, "loginauth %s: %v\nRun 'loginauth %s -h' for usage.\n", cmd, u.err, cmd)
		return exitUsage
	}
	fmt.Fprintf(c.stderr, "loginauth %s: %v\n", cmd, err)
	return exitFail
}

// usageError is a command line or configuration that cannot work: exit
// status 2.
type usageError struct{ err error }

// Error returns the message of the error.
func (e *usageError) Error() string { return e.err.Error() }

// Unwrap returns the error.
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// errSilent is a failure that was already reported: exit status 1.
var errSilent = errors.New("failed")

// newFlags returns a FlagSet for a command whose help is usage. Parsing
// prints nothing: the caller reports errors.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("loginauth "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args with flags and arguments in any order, as gh and
// curl do; "--" ends the flags. It prints usage on stdout for -h and
// returns flag.ErrHelp, and returns a usageError for a bad flag.
func (c *cli) parse(fs *flag.FlagSet, usage string, args []string) ([]string, error) {
	var pos []string
	for {
		n := len(args)
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(c.stdout, usage)
				return nil, err
			}
			return nil, &usageError{err}
		}
		rest := fs.Args()
		if used := n - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// stringList is a repeatable string flag.
type stringList []string

// String joins the values.
func (l *stringList) String() string { return strings.Join(*l, ", ") }

// Set adds a value.
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
