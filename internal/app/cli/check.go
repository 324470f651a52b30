package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/loginauth/loginauth/jsonlogin"
)

// checkHelp is the help text of check.
const checkHelp = `Parse the jsonlogin description FILE, as --spec would, and print what
its Sources will do: the login, refresh and logout calls, the header
fields, cookies and query parameters that carry the token, the origins
that get it, and each variable with where its value comes from (its
environment variable, set or not, or its default). No call is made, and
no secret value is shown: a secret variable is only "set" or "not set".

A broken description exits 1 with every mistake found, one a line, each
naming the field and the fix.
`

// checkOptions is what 'loginauth check' is given.
type checkOptions struct {
	file string // the description
}

func (o *checkOptions) flags(*flagSet) {}

func (o *checkOptions) parsed(_ *flagSet, pos []string) error {
	if len(pos) != 1 {
		return usagef("want one description FILE, got %d arguments", len(pos))
	}
	o.file = pos[0]
	return nil
}

func (o *checkOptions) run(ctx context.Context, c *cli) error { return c.check(ctx, *o) }

// maxDescription bounds the size of a description that check reads.
const maxDescription = 1 << 20

// check parses the description opts.file and prints what it will do, or
// every mistake that Parse finds, and then fails.
func (c *cli) check(_ context.Context, opts checkOptions) error {
	b, err := readBounded(opts.file, maxDescription)
	if err != nil {
		return err
	}
	spec, err := jsonlogin.Parse(b)
	if err == nil && builtinNamed(spec.Name()) != nil {
		err = fmt.Errorf("name: %q is taken by a built-in provider; give the description another name", spec.Name())
	}
	if err != nil {
		for line := range strings.SplitSeq(err.Error(), "\n") {
			fmt.Fprintf(c.stderr, "loginauth check: %s: %s\n", opts.file, line)
		}
		return errSilent
	}
	vals := map[string]string{}
	for _, v := range spec.Vars() {
		if !v.Secret && v.Env != "" && c.getenv(v.Env) != "" {
			vals[v.Name] = c.getenv(v.Env)
		}
	}
	p := spec.Plan(vals)
	w := c.stdout
	fmt.Fprintf(w, "%s: a valid description of %s\n", opts.file, spec.Name())
	for _, call := range [][2]string{{"login", p.Login}, {"refresh", p.Refresh}, {"logout", p.Logout}} {
		fmt.Fprintf(w, "%-12s %s\n", call[0]+":", orNone(call[1]))
		if m, _, _ := strings.Cut(call[1], " "); m != "" && !standardMethod(m) {
			c.warnf("%s: %s uses %s, which is not a standard HTTP method: right for an API that defines it (PROPFIND, PURGE), a typo otherwise", opts.file, call[0], m)
		}
	}
	fmt.Fprintf(w, "%-12s %s\n", "credentials:", carriers(p))
	fmt.Fprintf(w, "%-12s %s\n", "origins:", orNone(strings.Join(p.Origins, ", ")))
	fmt.Fprintln(w, "variables:")
	for _, v := range spec.Vars() {
		fmt.Fprintf(w, "  %-14s %s\n", v.Name, c.varSource(v))
	}
	return nil
}

// readBounded reads the file at path, refusing one over limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the description: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the description: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, errors.New("reading the description: " + path + " is over 1 MiB")
	}
	return b, nil
}

// carriers names what carries the token: "header Authorization; cookie SID".
func carriers(p jsonlogin.Plan) string {
	var parts []string
	for _, k := range []struct {
		kind  string
		names []string
	}{{"header", p.Headers}, {"cookie", p.Cookies}, {"query parameter", p.Params}} {
		if len(k.names) > 0 {
			parts = append(parts, k.kind+" "+strings.Join(k.names, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// varSource says where the value of v comes from, never the value of a
// secret one.
func (c *cli) varSource(v jsonlogin.Var) string {
	var parts []string
	switch {
	case v.Env != "" && c.getenv(v.Env) != "":
		parts = append(parts, "$"+v.Env+" (set)")
	case v.Env != "":
		parts = append(parts, "$"+v.Env+" (not set)")
	default:
		parts = append(parts, "no environment variable: a flag or prompt")
	}
	if v.Secret {
		parts = append(parts, "secret")
	}
	switch {
	case v.HasDefault:
		parts = append(parts, fmt.Sprintf("default %q", v.Default))
	case v.Unused:
		parts = append(parts, "optional: no template names it")
	default:
		parts = append(parts, "required")
	}
	return strings.Join(parts, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// standardMethod reports whether m is one of the methods of RFC 9110 or
// PATCH (RFC 5789).
func standardMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}
