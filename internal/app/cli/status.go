package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/loginauth/loginauth"
)

const statusHelp = `List what the token cache holds, as 'gh auth status' does: for each
stored token, its provider, account, base URL, expiry, and whether it can
be refreshed. Never a token, nor the API key stored with it. PROVIDER, or
--spec FILE, lists that provider's tokens only.

An account whose token the API refused is listed as "no token
(refused)": its next login needs no account flags. The exit status is 1
when no entry holds a token.

Tokens written by loginauth before the cache kept its accounts are listed
as "(unknown)"; 'loginauth login' labels them again.
`

// statusOptions are the command line of status.
type statusOptions struct {
	output   string       // -o: table or json
	account  accountFlags // --spec and --cache-dir only
	provider []string     // the provider name, or none
}

func (o *statusOptions) flags(fs *flagSet) {
	outputFlags(fs, &o.output, `an array of {"provider", "account", "base_url", "expiry", "usable", "refreshable", "refused"}`, "table", "json")
	fs.stringFlag(&o.account.spec, "spec", "", "", "list the accounts of the jsonlogin description in `FILE`")
	fs.stringFlag(&o.account.cacheDir, "cache-dir", "", "", "the token cache `DIR` (default $LOGINAUTH_CACHE_DIR, else loginauth in the user cache directory)")
}

func (o *statusOptions) parsed(_ *flagSet, pos []string) error {
	if err := checkOutput(o.output, "table", "json"); err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("want at most one provider, got %d arguments", len(pos))
	}
	o.provider = pos
	return nil
}

func (o *statusOptions) run(ctx context.Context, c *cli) error { return c.status(ctx, *o) }

// status lists the stored tokens, of one provider if o names one.
func (c *cli) status(ctx context.Context, o statusOptions) error {
	only := ""
	if len(o.provider) == 1 || o.account.spec != "" {
		p, err := c.findProvider(strings.Join(o.provider, ""), o.account.spec)
		if err != nil {
			return err
		}
		only = p.name
	}
	// Never created here: status only reads.
	dir, err := c.cacheDir(&o.account)
	if err != nil {
		return err
	}
	file := &loginauth.FileStore{Dir: dir}
	list, err := file.List(ctx)
	if err != nil {
		return err
	}
	rows := statusRows(list, only, time.Now())
	if o.output == "json" {
		if err := writeJSON(c.stdout, rows); err != nil {
			return err
		}
		return noToken(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(c.stderr, "No stored tokens in %s. Run 'loginauth login PROVIDER' to store one.\n", file.Dir)
		return errSilent
	}
	if err := writeStatusTable(c.stdout, rows); err != nil {
		return err
	}
	return noToken(rows)
}

// statusRow is one stored token, as status lists it.
type statusRow struct {
	Provider    string     `json:"provider"`
	Account     string     `json:"account"`
	BaseURL     string     `json:"base_url"`
	Expiry      *time.Time `json:"expiry"` // null: no stated expiry
	Usable      bool       `json:"usable"` // not expired
	Refreshable bool       `json:"refreshable"`
	// Refused reports an account whose token the API refused: the entry
	// keeps the account for the next login, and holds no token.
	Refused bool `json:"refused"`
}

// writeStatusTable writes rows as status's table: times in the local
// zone, with its name.
func writeStatusTable(w io.Writer, rows []statusRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tACCOUNT\tBASE URL\tEXPIRES\tREFRESH")
	for _, r := range rows {
		exp := "never"
		switch {
		case r.Refused:
			exp = "no token (refused)"
		case r.Expiry != nil:
			exp = r.Expiry.Local().Format("2006-01-02 15:04 MST")
			if !r.Usable {
				exp += " (expired)"
			}
		}
		refresh := "no"
		if r.Refreshable {
			refresh = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Provider, r.Account, r.BaseURL, exp, refresh)
	}
	return tw.Flush()
}

// noToken is the exit of status: a failure, as gh auth status has it,
// when no row holds a token.
func noToken(rows []statusRow) error {
	for _, r := range rows {
		if !r.Refused {
			return nil
		}
	}
	return errSilent
}

// statusRows describes the entries of list, of the provider only if not
// empty.
func statusRows(list []loginauth.FileEntry, only string, now time.Time) []statusRow {
	rows := []statusRow{}
	for _, e := range list {
		r := statusRow{Provider: e.Labels["provider"], Account: e.Labels["account"], BaseURL: redactURL(e.Labels["base_url"]), Refreshable: e.Refreshable}
		if r.Provider == "" {
			// Stored by an older loginauth: the key says the provider.
			r.Provider, _, _ = strings.Cut(e.Key, " ")
			r.Account, r.BaseURL = "(unknown)", "(unknown)"
			if r.Provider == "" {
				r.Provider = "(unknown)"
			}
		}
		if only != "" && r.Provider != only {
			continue
		}
		if e.Labels[labelToken] == "refused" {
			r.Refused, r.Refreshable = true, false
			rows = append(rows, r)
			continue
		}
		exp := e.TokenExpiry
		if exp.IsZero() {
			exp = e.Expiry
		}
		r.Usable = exp.IsZero() || now.Before(exp)
		if !exp.IsZero() {
			r.Expiry = &exp
		}
		rows = append(rows, r)
	}
	return rows
}
