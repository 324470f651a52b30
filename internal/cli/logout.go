package cli

import (
	"context"
	"fmt"

	"github.com/loginauth/loginauth"
)

func init() {
	register(&command{
		name:  "logout",
		args:  "PROVIDER [flags]",
		short: "forget the stored token of an account",
		long: `Forget the stored token of an account of PROVIDER, and what login stored
with it; the next command needs the password again ('loginauth login').
When the provider's description has a logout request, it ends the
session at the API first, best effort.
No password is needed: the account is its base URL and user name, from
the flags, the environment or the store.
`,
		setup: func(fs *flagSet) func(context.Context, *cli, []string) error {
			var af accountFlags
			var output string
			outputFlags(fs, &output, `{"provider", "account", "base_url", "forgot"} on stdout`, "text", "json")
			af.register(fs, secretNone)
			return func(ctx context.Context, c *cli, pos []string) error {
				if err := checkOutput(output, "text", "json"); err != nil {
					return err
				}
				if len(pos) > 1 {
					return usagef("want one provider, got %d arguments", len(pos))
				}
				a, err := c.resolve(ctx, &af, pos, secretNone)
				if err != nil {
					return err
				}
				defer a.closeStore()
				ctx, cancel := context.WithTimeout(ctx, af.timeout)
				defer cancel()
				a.purge = true // the account goes too, as a refused token's
				src := a.source(&af, loginauth.Options{})
				if err := src.Logout(ctx); err != nil { // best effort: the token is forgotten all the same
					c.warnf("ending the session at the API failed: %v", err)
				}
				forgot, err := src.Forget(ctx)
				if err != nil {
					return err
				}
				if output == "json" {
					return writeJSON(c.stdout, accountJSON{Provider: a.p.name, Account: a.user(), BaseURL: redactURL(a.base()), Forgot: &forgot})
				}
				if !forgot {
					fmt.Fprintf(c.stderr, "No stored token for %s.\n", a.who())
					return nil
				}
				fmt.Fprintf(c.stderr, "Forgot the stored token for %s.\n", a.who())
				return nil
			}
		},
	})
}
