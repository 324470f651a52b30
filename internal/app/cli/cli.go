// Package cli is the loginauth command: its table of commands, their
// flags, and the providers they know. The mains in cmd/loginauth and in
// redisstore/cmd/loginauth are thin wrappers around [Main]; the second
// registers the Redis store through [Env].Stores, so that the core module
// needs no Redis client.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/jsonlogin/catalog"
)

// Exit statuses, as the go command and gh have them.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
	// exitHTTP is curl's status for an HTTP error with -f (--fail).
	exitHTTP = 22
	// exitInterrupt is the status of a command ended by Ctrl-C, as
	// shells give a process that SIGINT ended: 128+2.
	exitInterrupt = 130
)

// Env is what one run of the command works with: its streams, its
// environment and the stores it can open besides the FileStore.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment; nil means [os.Getenv].
	Getenv func(string) string
	// Stores opens the stores that --store names by URL scheme, such as
	// "redis" for redis://HOST:PORT/DB. The FileStore of --cache-dir is
	// always there.
	Stores map[string]StoreOpener
}

// StoreOpener opens the [loginauth.Store] at rawURL, a URL of the scheme
// it was registered for in [Env].Stores. The command closes what close
// returns, if not nil, before it exits.
type StoreOpener func(ctx context.Context, rawURL string) (store loginauth.Store, close func() error, err error)

// OSEnv returns the Env of the process: its standard streams and
// environment.
func OSEnv() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// command is one entry of the command table, as cmd/go's base.Command.
type command struct {
	name  string
	args  string // the usage line after "loginauth NAME"
	short string // one line for the list of commands
	long  string // the help text before the flags
	// options returns a new value of the command's options, which its
	// flags and arguments fill.
	options func() options
}

// options are a command's parsed command line: its flags and arguments.
// The command runs from them alone, so that a test can check the parsing
// without running the command, and a run without parsing.
type options interface {
	// flags defines the command's flags on fs, with their help, into the
	// options.
	flags(fs *flagSet)
	// parsed completes the options once fs has parsed the command line:
	// pos are the arguments. A command line the command cannot run is a
	// usage error.
	parsed(fs *flagSet, pos []string) error
	// run runs the command.
	run(ctx context.Context, c *cli) error
}

// commands is the command table, in the order of the list: help, the
// package doc's list, dispatch, completion and did-you-mean all come
// from it. The everyday commands come first. Adding one is its file (its
// options, their run and its help text) and its line here.
var commands = []*command{
	{"login", "PROVIDER [flags]", "log in once and store the token, so that later commands need no password", loginHelp, func() options { return &loginOptions{} }},
	{"token", "PROVIDER [flags]", "print a valid access token, for scripts", tokenHelp, func() options { return &tokenOptions{} }},
	{"call", "PROVIDER [METHOD] PATH-or-URL [flags]", "make one authenticated request and print the response body, with curl's flags", callHelp, func() options { return &callOptions{} }},
	{"proxy", "PROVIDER [--listen ADDR] [flags]", "serve the API on a local port with the account's credentials, for any client or tool", proxyHelp, func() options { return &proxyOptions{} }},
	{"status", "[PROVIDER] [flags]", "list the stored tokens: provider, account, base URL, expiry; never a token", statusHelp, func() options { return &statusOptions{} }},
	{"logout", "PROVIDER [flags]", "forget the stored token of an account", logoutHelp, func() options { return &logoutOptions{} }},
	{"check", "FILE", "check a jsonlogin description and print what it will do", checkHelp, func() options { return &checkOptions{} }},
	{"fake", "PROVIDER [--listen ADDR] [--env-file FILE]", "run a provider's fake server, for trying the commands, or tests in any language", fakeHelp, func() options { return &fakeOptions{} }},
	{"demo", "[flags]", "show the library against the providers' fakes, beside golang.org/x/oauth2 (no account, no network)", demoHelp, func() options { return &demoCmdOptions{} }},
	{"completion", "bash|zsh|fish", "print a shell script that completes commands, flags and provider names", completionHelp, func() options { return &completionOptions{} }},
	{"version", "", "print the module version, the VCS revision and the Go version it was built with", versionHelp, func() options { return &versionOptions{} }},
}

// flagSet returns the flags of cmd, defined into a new value of its
// options.
func (cmd *command) flagSet() (*flagSet, options) {
	fs := newFlagSet(cmd.name)
	o := cmd.options()
	o.flags(fs)
	return fs, o
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// cli is one run of the command: its streams, environment and stores.
type cli struct {
	env    Env
	stdin  *bufio.Reader // one reader, so that a secret and a body share stdin
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	quiet  bool // -s: no warnings or notes on stderr
}

// Main runs the command line args (without the program name) and returns
// the exit status: 0 on success, 1 on failure, 2 on a usage error. ctx
// ends long work early: a fake server, a prompt.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	c := &cli{env: env, stdin: bufio.NewReader(env.Stdin), stdout: env.Stdout, stderr: env.Stderr, getenv: env.Getenv}
	if len(args) == 0 {
		fmt.Fprint(c.stderr, mainUsage())
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case completeCommand:
		c.complete(rest)
		return exitOK
	case "--version", "-version":
		name = "version"
	case "-h", "-help", "--help", "help":
		if name == "help" && len(rest) > 0 {
			return Main(ctx, []string{rest[0], "-h"}, env)
		}
		fmt.Fprint(c.stdout, mainUsage())
		return exitOK
	}
	cmd := lookup(name)
	if cmd == nil {
		if strings.HasPrefix(name, "-") {
			// Only the flag's name: its value may be a secret.
			flagName, _, _ := strings.Cut(name, "=")
			fmt.Fprintf(c.stderr, "loginauth: unknown flag %s%s: flags come after the command\nRun 'loginauth -h' for the commands.\n", flagName, didYouMean(strings.TrimLeft(flagName, "-"), []string{"help", "version"}, dashed))
			return exitUsage
		}
		fmt.Fprintf(c.stderr, "loginauth: unknown command %q%s\nRun 'loginauth -h' for the commands.\n", name, didYouMean(name, commandNames(), plain))
		return exitUsage
	}
	o, err := c.parseOptions(cmd, rest)
	if err == nil {
		err = o.run(ctx, c)
	}
	return c.exit(ctx, cmd.name, err)
}

// parseOptions parses the command line args of cmd (after its name) into
// its options.
func (c *cli) parseOptions(cmd *command, args []string) (options, error) {
	fs, o := cmd.flagSet()
	pos, err := c.parse(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	if err := o.parsed(fs, pos); err != nil {
		return nil, err
	}
	return o, nil
}

// mainUsage is the help of the command itself, from the table.
func mainUsage() string {
	var b strings.Builder
	b.WriteString(`Usage: loginauth <command> [arguments] [flags]

loginauth logs in to login-style HTTP APIs the way the
github.com/loginauth/loginauth library does: log in once, then get
tokens and make calls without the password.

Providers:
`)
	writeWrapped(&b, "  built in", strings.Join(builtinNames(), ", "))
	writeWrapped(&b, "  catalog", strings.Join(catalog.Names(), ", ")+" (real APIs' jsonlogin descriptions)")
	writeWrapped(&b, "  descriptions", "NAME for loginauth/providers/NAME.json under $XDG_CONFIG_HOME (or the system's config directory), or --spec FILE")
	b.WriteString("\nCommands:\n")
	b.WriteString(commandList("  "))
	b.WriteString(`
Run 'loginauth <command> -h' for the flags and environment of a command.

Exit status: 0 success, 1 failure, 2 usage error, 22 an HTTP error of
'call -f' (as curl's), 130 interrupted (Ctrl-C).
`)
	return b.String()
}

// commandList lists the commands, one a line, each line after indent:
// the list of the help and of the package doc of cmd/loginauth.
func commandList(indent string) string {
	var b strings.Builder
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(&b, "%s%-*s %s\n", indent, width, c.name, c.short)
	}
	return b.String()
}

// help is the help of cmd, with its flags from their definitions.
func help(cmd *command, fs *flagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: loginauth %s %s\n\n%s", cmd.name, cmd.args, cmd.long)
	if !strings.HasSuffix(cmd.long, "\n") {
		b.WriteString("\n")
	}
	if len(fs.order) > 0 {
		b.WriteString("\nFlags:\n")
		fs.writeDefaults(&b)
	}
	if fs.account {
		b.WriteString("\n" + environmentHelp())
	}
	b.WriteString("\nExit status: 0 success, 1 failure, 2 usage error, ")
	if cmd.name == "call" {
		b.WriteString("22 an HTTP error with -f, ")
	}
	b.WriteString("130 interrupted (Ctrl-C).\n")
	return b.String()
}

// exit reports err on stderr and returns its exit status. Work that an
// interrupt ended (ctx is done) exits 130 without a word, as shells
// expect of Ctrl-C.
func (c *cli) exit(ctx context.Context, cmd string, err error) int {
	var u *usageError
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return exitInterrupt
	case errors.Is(err, errSilent):
		return exitFail
	case errors.As(err, &ee) && ee.silent:
		return ee.code
	case errors.As(err, &ee):
		fmt.Fprintf(c.stderr, "loginauth %s: %s\n", cmd, message(cmd, err))
		return ee.code
	case errors.As(err, &u):
		fmt.Fprintf(c.stderr, "loginauth %s: %s\nRun 'loginauth %s -h' for usage.\n", cmd, message(cmd, u.err), cmd)
		return exitUsage
	}
	fmt.Fprintf(c.stderr, "loginauth %s: %s\n", cmd, message(cmd, err))
	return exitFail
}

// message is err in the command's words, without a second "cmd: " after
// the command's own prefix (an error of internal/app/proxy in 'loginauth
// proxy', say).
func message(cmd string, err error) string {
	return commandWords(strings.TrimPrefix(err.Error(), cmd+": "))
}

// warnf writes a warning on stderr, unless -s asked for silence.
func (c *cli) warnf(format string, args ...any) {
	if !c.quiet {
		fmt.Fprintf(c.stderr, "loginauth: %s\n", commandWords(fmt.Sprintf(format, args...)))
	}
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

// exitError is a failure with an exit status of its own, such as curl's
// 22 for an HTTP error with -f; silent when -s asked for no word of it.
type exitError struct {
	code   int
	silent bool
	err    error
}

// Error returns the message of the error.
func (e *exitError) Error() string { return e.err.Error() }

// Unwrap returns the error.
func (e *exitError) Unwrap() error { return e.err }

// errSilent is a failure that was already reported: exit status 1.
var errSilent = errors.New("failed")

// parse parses args with flags and arguments in any order, as gh and
// curl do; "--" ends the flags. It prints the help on stdout for -h and
// returns flag.ErrHelp, and returns a usageError for a bad flag, named as
// the user wrote it (--include, not -include).
func (c *cli) parse(cmd *command, fs *flagSet, args []string) ([]string, error) {
	var pos []string
	args, err := expandClusters(fs, args)
	if err != nil {
		return nil, err
	}
	for {
		n := len(args)
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(c.stdout, help(cmd, fs))
				return nil, err
			}
			msg := asWritten(err.Error(), args)
			if typed, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
				msg = "unknown flag " + typed + didYouMean(strings.TrimLeft(typed, "-"), flagNames(fs), dashed)
				if fs.unknownHint != "" {
					msg += " (" + fs.unknownHint + ")"
				}
			}
			return nil, &usageError{errors.New(msg)}
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

// asWritten rewrites the "-name" of a flag package error as the user
// wrote it, "--name" when args has that. The flag package never puts a
// flag's value in its errors but for an invalid value, which it quotes;
// the values of the command's secret flags are strings, never invalid.
func asWritten(msg string, args []string) string {
	for _, a := range args {
		name, _, _ := strings.Cut(a, "=")
		if long, ok := strings.CutPrefix(name, "--"); ok && long != "" {
			msg = strings.ReplaceAll(msg, " -"+long, " --"+long)
		}
	}
	return msg
}

// stringList is a repeatable string flag.
type stringList []string

// String joins the values.
func (l *stringList) String() string { return strings.Join(*l, ", ") }

// Set adds a value.
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
