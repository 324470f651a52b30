package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/loginauth/loginauth"
)

const tokenUsage = `Usage: loginauth token <provider> [flags]

Print a valid access token of <provider> (mic, xano, crux or xpay) on
stdout, for scripts, as 'gcloud auth print-access-token' does:

  curl -H "Authorization: Bearer $(loginauth token xano)" "$XANO_BASE_URL/auth/me"

The token is kept in the token cache, so that later calls print it again,
without logging in, until it expires. A mic call needs the identityId too
(see -o json) and the x-api-key; 'loginauth call' sends them all.

Flags:
  -o, --output FORMAT    text (the token alone, the default) or json:
                         {"provider", "access_token", "token_type",
                         "expiry", "identity_id" (mic)}

` + accountHelp

// tokenJSON is the output of token -o json.
type tokenJSON struct {
	Provider    string    `json:"provider"`
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type,omitempty"` // the Authorization prefix; empty: raw
	Expiry      time.Time `json:"expiry,omitzero"`
	IdentityID  string    `json:"identity_id,omitempty"`
}

func (c *cli) token(ctx context.Context, args []string) error {
	fs := newFlags("token")
	var af accountFlags
	af.register(fs, true)
	var output string
	fs.StringVar(&output, "o", "text", "")
	fs.StringVar(&output, "output", "text", "")
	pos, err := c.parse(fs, tokenUsage, args)
	if err != nil {
		return err
	}
	if output != "text" && output != "json" {
		return usagef("-o %q: want text or json", output)
	}
	if len(pos) != 1 {
		return usagef("want one provider (mic, xano, crux or xpay), got %d arguments", len(pos))
	}
	p, err := lookupProvider(pos[0])
	if err != nil {
		return err
	}
	a, err := c.account(ctx, p, &af, true)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, af.timeout)
	defer cancel()
	src := p.newSource(a, loginauth.Options{Store: c.cacheStore(&af)})
	tok, err := src.TokenContext(ctx)
	if err != nil {
		return explain(p, err)
	}
	if output == "text" {
		_, err = fmt.Fprintln(c.stdout, tok.AccessToken)
		return err
	}
	id, _ := tok.Extra("identityId").(string)
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(tokenJSON{Provider: p.name, AccessToken: tok.AccessToken, TokenType: p.prefix, Expiry: tok.Expiry, IdentityID: id})
}

const logoutUsage = `Usage: loginauth logout <provider> [flags]

Forget the stored token of an account of <provider> (mic, xano, crux or
xpay) in the token cache; the next token or call command logs in again.
The account is its base URL and user name: no password is needed.

Flags:
      --base-url URL       the API's base URL
      --username NAME      the account's user name (--email is the same)
      --cache-dir DIR      the token cache (default $LOGINAUTH_CACHE_DIR, else
                           loginauth in the user cache directory)

Environment: the base URL and user name variables of 'loginauth token -h'.
`

func (c *cli) logout(ctx context.Context, args []string) error {
	fs := newFlags("logout")
	var af accountFlags
	af.register(fs, false)
	pos, err := c.parse(fs, logoutUsage, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one provider (mic, xano, crux or xpay), got %d arguments", len(pos))
	}
	p, err := lookupProvider(pos[0])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, af.timeout)
	defer cancel()
	a, err := c.account(ctx, p, &af, false)
	if err != nil {
		return err
	}
	src := p.newSource(a, loginauth.Options{Store: c.cacheStore(&af)})
	forgot, err := src.Forget(ctx)
	if err != nil {
		return err
	}
	who := fmt.Sprintf("%s %s at %s", p.name, a.user, redactURL(a.base))
	if !forgot {
		fmt.Fprintf(c.stderr, "No stored token for %s.\n", who)
		return nil
	}
	fmt.Fprintf(c.stderr, "Forgot the stored token for %s.\n", who)
	return nil
}
