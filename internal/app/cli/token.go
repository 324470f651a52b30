package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/loginauth/loginauth"
)

const tokenHelp = `Print a valid access token of an account of PROVIDER on stdout, for
scripts, as 'gcloud auth print-access-token' does:

  curl -H "Authorization: Bearer $(loginauth token xano)" "$XANO_BASE_URL/auth/me"

The token comes from the token cache while it is usable or can be
refreshed; else the command logs in with the password at hand (flags,
environment), and without one exits 1 with a hint to run 'loginauth
login'. A mic call needs the identityId too (see -o json) and the
x-api-key; 'loginauth call' sends them all.
`

// tokenOptions are the command line of token.
type tokenOptions struct{ accountOptions }

func (o *tokenOptions) flags(fs *flagSet) {
	o.define(fs, secretAtHand, `{"provider", "access_token", "token_type", "expiry", "identity_id" (mic)}; text is the token alone`)
}

func (o *tokenOptions) run(ctx context.Context, c *cli) error { return c.token(ctx, *o) }

// token prints a valid access token of the account.
func (c *cli) token(ctx context.Context, o tokenOptions) error {
	return c.onAccount(ctx, &o.accountOptions, func(ctx context.Context, a *account) error {
		tok, err := a.source(&o.accountFlags, loginauth.Options{}).TokenContext(ctx)
		if err != nil {
			return explain(a, err)
		}
		if o.output == "text" {
			_, err = fmt.Fprintln(c.stdout, tok.AccessToken)
			return err
		}
		id, _ := tok.Extra("identityId").(string)
		return writeJSON(c.stdout, tokenJSON{Provider: a.p.name, AccessToken: tok.AccessToken, TokenType: tok.TokenType, Expiry: tok.Expiry, IdentityID: id})
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
