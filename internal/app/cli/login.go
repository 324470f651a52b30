package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loginauth/loginauth"
	"golang.org/x/oauth2"
)

const loginHelp = `Log in to an account of PROVIDER and store its token, with its refresh
token, in the token cache, as 'gh auth login' does. The base URL, the user
name and (mic) the API key are stored with it, in the same 0600 file; the
password never is. From then on, 'loginauth token', 'call' and 'proxy' need
neither the password nor the account while the stored token is usable or
can be refreshed.

Without the account in flags or the environment, login takes the one
that an earlier login stored (after the API refused its token, say), as
the other commands do.

The password comes from --password-stdin, the environment or --password;
else it is asked for, without echo, when stdin is a terminal.

  loginauth login xano
  printf '%s\n' "$XANO_PASSWORD" | loginauth login xano --password-stdin
`

// loginOptions are the command line of login.
type loginOptions struct{ accountOptions }

func (o *loginOptions) flags(fs *flagSet) {
	o.define(fs, secretAsk, `{"provider", "account", "base_url", "expiry", "refreshable"} on stdout; never a token`)
}

func (o *loginOptions) run(ctx context.Context, c *cli) error { return c.login(ctx, *o) }

// login logs in to the account afresh and stores its token.
func (c *cli) login(ctx context.Context, o loginOptions) error {
	return c.onAccount(ctx, &o.accountOptions, func(ctx context.Context, a *account) error {
		a.purge = true
		a.saved.report = nil // a failed save fails the login: reported once, below
		tok, err := c.loginAsking(ctx, a, &o.accountFlags)
		if err != nil {
			return err
		}
		if err := a.saved.failed(); err != nil {
			return fmt.Errorf("logged in to %s, but the token could not be stored: %w\n(%s; until then every command needs the password)", a.who(), err, a.storeFix(err))
		}
		until := "no stated expiry"
		if !tok.Expiry.IsZero() {
			until = "valid until " + tok.Expiry.Local().Format("2006-01-02 15:04 MST")
		}
		refresh := ""
		if tok.RefreshToken != "" {
			refresh = ", renewable with its refresh token"
		}
		fmt.Fprintf(c.stderr, "Logged in to %s; token stored (%s%s).\n", a.who(), until, refresh)
		if o.output == "json" {
			refreshable := tok.RefreshToken != ""
			return writeJSON(c.stdout, accountJSON{Provider: a.p.name, Account: a.user(), BaseURL: redactURL(a.base()), Expiry: tok.Expiry, Refreshable: &refreshable})
		}
		return nil
	})
}

// loginTries is how many times login asks for a password that the API
// refuses, as 'gh auth login' does.
const loginTries = 3

// loginAsking logs in to a afresh. A password asked for on the terminal and
// refused is asked for again, up to loginTries times in all, each time
// with a new Source: a refused password starts the backoff of its Source.
func (c *cli) loginAsking(ctx context.Context, a *account, af *accountFlags) (*oauth2.Token, error) {
	for try := 1; ; try++ {
		tok, err := c.loginOnce(ctx, a, af)
		var le *loginauth.LoginError
		if err == nil || !a.asked || try == loginTries || !errors.As(err, &le) || !le.BadCredentials {
			return tok, err
		}
		fmt.Fprintf(c.stderr, "%s\nTry again (%d of %d).\n", commandWords(le.Error()), try+1, loginTries)
		if err := c.ask(ctx, a, a.p.secretVar()); err != nil {
			return nil, err
		}
	}
}

// loginOnce logs in with a new Source of a, within --timeout, forgetting
// first the stored token: it may belong to another password.
func (c *cli) loginOnce(ctx context.Context, a *account, af *accountFlags) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(ctx, af.timeout)
	defer cancel()
	src := a.source(af, loginauth.Options{})
	if _, err := src.Forget(ctx); err != nil {
		return nil, err
	}
	tok, err := src.TokenContext(ctx)
	if err != nil {
		return nil, explain(a, err)
	}
	return tok, nil
}

// accountJSON is what login and logout print with -o json: the account,
// never a token.
type accountJSON struct {
	Provider    string    `json:"provider"`
	Account     string    `json:"account,omitempty"`
	BaseURL     string    `json:"base_url,omitempty"`
	Expiry      time.Time `json:"expiry,omitzero"`       // login: zero for no stated expiry
	Refreshable *bool     `json:"refreshable,omitempty"` // login
	Forgot      *bool     `json:"forgot,omitempty"`      // logout: whether a token was stored
}

// closeStore closes the store that --store opened, if any.
// settleTimeout bounds the wait for a store's background deletes, which
// the Source bounds by its store timeout of 5 s already.
const settleTimeout = 6 * time.Second

// closeStore waits for the background deletes of its Sources, then
// closes the store.
func (a *account) closeStore() {
	// A refused token is deleted in the background: before the process
	// exits, the store must have forgotten it.
	ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
	defer cancel()
	for _, src := range a.sources {
		src.Settle(ctx) // a delete that fails is reported by its event
	}
	if a.close != nil {
		a.close()
	}
}
