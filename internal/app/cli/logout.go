package cli

import (
	"context"
	"fmt"

	"github.com/loginauth/loginauth"
)

const logoutHelp = `Forget the stored token of an account of PROVIDER, and what login stored
with it; the next command needs the password again ('loginauth login').
When the provider's description has a logout request, it ends the
session at the API first, best effort.
No password is needed: the account is its base URL and user name, from
the flags, the environment or the store.
`

// logoutOptions are the command line of logout.
type logoutOptions struct{ accountOptions }

func (o *logoutOptions) flags(fs *flagSet) {
	o.define(fs, secretNone, `{"provider", "account", "base_url", "forgot"} on stdout`)
}

func (o *logoutOptions) run(ctx context.Context, c *cli) error { return c.logout(ctx, *o) }

// logout ends the account's session at the API, best effort, and forgets
// its stored token and account.
func (c *cli) logout(ctx context.Context, o logoutOptions) error {
	return c.onAccount(ctx, &o.accountOptions, func(ctx context.Context, a *account) error {
		a.purge = true // the account goes too, as a refused token's
		src := a.source(&o.accountFlags, loginauth.Options{})
		if err := src.Logout(ctx); err != nil { // best effort: the token is forgotten all the same
			c.warnf("ending the session at the API failed: %v", err)
		}
		forgot, err := src.Forget(ctx)
		if err != nil {
			return err
		}
		if o.output == "json" {
			return writeJSON(c.stdout, accountJSON{Provider: a.p.name, Account: a.user(), BaseURL: redactURL(a.base()), Forgot: &forgot})
		}
		if !forgot {
			fmt.Fprintf(c.stderr, "No stored token for %s.\n", a.who())
			return nil
		}
		fmt.Fprintf(c.stderr, "Forgot the stored token for %s.\n", a.who())
		return nil
	})
}
