package builtin_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/registry/builtin"
	"github.com/loginauth/loginauth/internal/sourcetest"
)

// TestEveryProviderHasAFake checks that every built-in provider names
// itself once, has variables (the base URL first), a fake and a sample
// request, and that the Source it builds from its fake's demo values
// serves the sample request.
func TestEveryProviderHasAFake(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range builtin.Providers {
		t.Run(p.Name, func(t *testing.T) {
			is := is.New(t)
			is.True(p.Name != "" && !seen[p.Name]) // named, once
			seen[p.Name] = true
			is.True(len(p.Vars) > 0 && p.Vars[0].Name == "base_url")
			is.True(p.Start != nil && p.Demo != nil && p.FromValues != nil && p.Method != "" && p.Path != "")
			got, ok := builtin.Lookup(p.Name)
			is.True(ok && got.Name == p.Name)

			f := p.Start()
			defer f.Close()
			vals := p.Demo(f)
			src := p.FromValues(vals, nil, loginauth.Options{Now: f.Now})
			c := &http.Client{Transport: loginauth.NewTransport(src, nil)}
			resp, err := c.Do(p.Request(context.Background(), vals["base_url"]))
			is.NoErr(err)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			is.Equal(resp.StatusCode, http.StatusOK) // the sample request, authenticated
			is.Equal(f.Logins(), int64(1))
		})
	}
	_, ok := builtin.Lookup("nope")
	is.New(t).True(!ok)
}

// TestConformance runs the conformance suite for every built-in
// provider, as each provider's own tests do with its entry.
func TestConformance(t *testing.T) {
	for _, p := range builtin.Providers {
		t.Run(p.Name, func(t *testing.T) { sourcetest.Run(t, p) })
	}
}
