package cli

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/registry/builtin"
	"github.com/loginauth/loginauth/jsonlogin/catalog"
)

// TestBuiltinsAreTheRegistry checks that every name the command knows of
// a built-in provider (help, completion, fake, demo) comes from
// builtin.Providers, in its order.
func TestBuiltinsAreTheRegistry(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var want []string
	for _, e := range builtin.Providers {
		want = append(want, e.Name)
	}
	is.Equal(builtinNames(), want)
	c := &cli{getenv: func(string) string { return "" }}
	is.Equal(c.providerNames()[:len(want)], want) // completion and did-you-mean
	demo := run(t, nil, "", nil, "demo", "-h").stdout
	fake := run(t, nil, "", nil, "fake", "-h").stdout
	for _, n := range want {
		is.True(builtinNamed(n) != nil)
		is.True(strings.Contains(mainUsage(), n)) // the command's help names n
		is.True(strings.Contains(fake, n))        // the fake's help names n
		is.True(strings.Contains(demo, n))        // the demo's help names n
	}
}

// TestFromRegistryFifthProvider checks that a fifth entry, here a copy
// of each built-in one under another name, is a provider of the command
// with nothing else to write: its variables, its fake, and a sample
// request that its Source authenticates.
func TestFromRegistryFifthProvider(t *testing.T) {
	t.Parallel()
	for _, e := range builtin.Providers {
		e.Name = "fifth-" + e.Name
		p := fromRegistry(append(slices.Clone(builtin.Providers), e))[len(builtin.Providers)]
		t.Run(e.Name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(p.name, e.Name)
			is.True(p.variable(p.user) != nil)                // --username fills one of its variables
			is.True(p.variable(varBase).stored)               // the base URL is kept
			is.True(!p.secretVar().stored)                    // never the secret
			is.Equal(p.raw, !e.OAuth2)                        // an oauth2.Transport carries its credentials
			is.True(len(p.endpoints) > 0 && p.baseHint != "") // the fake's banner, the prompt
			srv, vals := p.fake()
			defer srv.Close()
			acct := vals()
			var body io.Reader
			if p.sample[2] != "" {
				body = strings.NewReader(p.sample[2])
			}
			req, err := http.NewRequestWithContext(context.Background(), p.sample[0], acct[varBase]+p.sample[1], body)
			is.NoErr(err)
			c := &http.Client{Transport: loginauth.NewTransport(p.source(acct, nil, loginauth.Options{Now: srv.Now}), nil)}
			resp, err := c.Do(req)
			is.NoErr(err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			is.Equal(resp.StatusCode, http.StatusOK)      // the sample, authenticated: b
			is.True(p.failed == nil || !p.failed(200, b)) // and a success
			is.Equal(srv.Logins(), int64(1))
		})
	}
}

// TestNoOtherProviderList checks that the command keeps no list of
// built-in providers of its own, so that a new one touches its packages
// and builtin.Providers only: no non-test source of this package, nor
// cmd/loginauth, imports a provider's package, and none has a string (or,
// for cmd/loginauth's doc, a comment) that names two built-in providers
// on a line or is a provider's name alone.
func TestNoOtherProviderList(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var alt []string
	for _, n := range builtinNames() {
		alt = append(alt, regexp.QuoteMeta(n))
	}
	word := regexp.MustCompile(`\b(` + strings.Join(alt, "|") + `)\b`)
	listed := func(s string) bool {
		for line := range strings.SplitSeq(s, "\n") {
			seen := map[string]bool{}
			for _, m := range word.FindAllString(line, -1) {
				seen[m] = true
			}
			if len(seen) > 1 {
				return true
			}
		}
		return builtinNamed(strings.TrimSpace(s)) != nil
	}
	files, err := filepath.Glob("*.go")
	is.NoErr(err)
	files = append(files, "../../../cmd/loginauth/main.go")
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ParseComments)
		is.NoErr(err)
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, n := range builtinNames() {
				is.True(!strings.HasSuffix(path, "/"+n) && !strings.Contains(path, "/"+n+"/")) // name imports a provider: path
			}
		}
		if strings.HasSuffix(name, "main.go") && f.Doc != nil {
			is.True(!listed(f.Doc.Text())) // cmd/loginauth's doc lists the built-in providers
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, err := strconv.Unquote(lit.Value)
				is.NoErr(err)
				if listed(s) {
					t.Errorf("%s: a list of built-in providers of its own: %s", name, lit.Value)
				}
			}
			return true
		})
	}
	is.True(checked > 10) // the package's sources were found
}

// TestEnvironmentHelpListsCatalog checks that the commands' help lists
// the environment variables of the catalog's entries after those of the
// built-in providers.
func TestEnvironmentHelpListsCatalog(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	help := environmentHelp()
	for _, n := range catalog.Names() {
		p, err := catalogProvider(n)
		is.NoErr(err)
		for _, v := range p.vars {
			is.True(strings.Contains(help, v.env)) // the help names the variable: v.env
		}
		is.True(strings.Index(help, "  "+n+" ") > strings.Index(help, "  "+builtinNames()[len(builtinNames())-1]+" ")) // after the built-in ones
	}
}
