// Command loginauth logs in to login-style HTTP APIs the way the
// github.com/loginauth/loginauth library does: log in once, then get
// tokens and make calls without the password; serve an API on a local
// port with the credentials, for clients in any language; run a
// provider's fake server as a process; and show the library at work.
//
// Usage:
//
//	loginauth <command> [arguments] [flags]
//
// The commands are:
//
//	login      log in once and store the token, so that later commands need no password
//	token      print a valid access token, for scripts
//	call       make one authenticated request and print the response body, with curl's flags
//	proxy      serve the API on a local port with the account's credentials, for any client or tool
//	status     list the stored tokens: provider, account, base URL, expiry; never a token
//	logout     forget the stored token of an account
//	check      check a jsonlogin description and print what it will do
//	fake       run a provider's fake server, for trying the commands, or tests in any language
//	demo       show the library against the providers' fakes, beside golang.org/x/oauth2 (no account, no network)
//	completion print a shell script that completes commands, flags and provider names
//	version    print the module version, the VCS revision and the Go version it was built with
//
// Providers are the built-in ones, those of the catalog of real APIs'
// descriptions ('loginauth help' lists both), and those that a jsonlogin
// description declares: --spec FILE, or a FILE in
// $XDG_CONFIG_HOME/loginauth/providers/NAME.json that makes NAME a
// provider name. Run 'loginauth <command> -h' for the flags and the
// environment of a command. The exit status is 0 on success, 1 on
// failure, 2 on a usage error, 22 for an HTTP error of 'call -f', and 130
// when interrupted (Ctrl-C).
//
// This command keeps tokens in a FileStore. The loginauth command of the
// redisstore module (github.com/loginauth/loginauth/redisstore/cmd/loginauth)
// is the same command with --store redis://HOST:PORT/DB as well.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/loginauth/loginauth/internal/app/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal ends the work gracefully (a proxy lets the
		// requests in flight end); stop hands the second to the default
		// handler, which ends the process at once.
		<-ctx.Done()
		stop()
	}()
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
