package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/loginauth/loginauth"
)

func init() {
	register(&command{
		name:  "token",
		args:  "PROVIDER [flags]",
		short: "print a valid access token, for scripts",
		long: `Print a valid access token of an account of PROVIDER on stdout, for
scripts, as 'gcloud auth print-access-token' does:

  curl -H "Authorization: Bearer $(loginauth token xano)" "$XANO_BASE_URL/auth/me"

The token comes from the token cache while it is usable or can be
refreshed; else the command logs in with the password at hand (flags,
environment), and without one exits 1 with a hint to run 'loginauth
login'. A mic call needs the identityId too (see -o json) and the
x-api-key; 'loginauth call' sends them all.
`,
		setup: func(fs *flagSet) func(context.Context, *cli, []string) error {
			var af accountFlags
			var output string
			outputFlags(fs, &output, `{"provider", "access_token", "token_type", "expiry", "identity_id" (mic)}; text is the token alone`, "text", "json")
			af.register(fs, secretAtHand)
			return func(ctx context.Context, c *cli, pos []string) error {
				if err := checkOutput(output, "text", "json"); err != nil {
					return err
				}
				if len(pos) > 1 {
					return usagef("want one provider, got %d arguments", len(pos))
				}
				a, err := c.resolve(ctx, &af, pos, secretAtHand)
				if err != nil {
					return err
				}
				defer a.closeStore()
				ctx, cancel := context.WithTimeout(ctx, af.timeout)
				defer cancel()
				tok, err := a.source(&af, loginauth.Options{}).TokenContext(ctx)
				if err != nil {
					return explain(a, err)
				}
				if output == "text" {
					_, err = fmt.Fprintln(c.stdout, tok.AccessToken)
					return err
				}
				id, _ := tok.Extra("identityId").(string)
				return writeJSON(c.stdout, tokenJSON{Provider: a.p.name, AccessToken: tok.AccessToken, TokenType: tok.TokenType, Expiry: tok.Expiry, IdentityID: id})
			}
		},
	})
}

// tokenJSON is the output of token -o json.
type tokenJSON struct {
	Provider    string    `json:"provider"`
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type,omitempty"` // the Authorization prefix; empty: raw
	Expiry      time.Time `json:"expiry,omitzero"`
	IdentityID  string    `json:"identity_id,omitempty"`
}
