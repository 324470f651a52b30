// Package embedded runs the descriptions that the built-in providers
// embed: each provider's Config is a façade that fills the description's
// variables and the [jsonlogin.Overrides] of what its Config sets.
package embedded

import (
	"fmt"
	"net/http"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/jsonlogin"
)

// Parse parses a provider's embedded description; it panics when the
// description is wrong, which the provider's tests catch.
func Parse(description []byte) *jsonlogin.Spec {
	spec, err := jsonlogin.Parse(description)
	if err != nil {
		panic(err)
	}
	return spec
}

// Spec returns spec changed by o, with hc sending its calls. Overrides
// come from a Config: when they cannot apply, the error names the
// provider.
func Spec(spec *jsonlogin.Spec, o jsonlogin.Overrides, hc *http.Client) (*jsonlogin.Spec, error) {
	s, err := spec.With(o)
	if err != nil {
		if o.Check != nil && o.Check() != nil {
			return nil, o.Check() // the Config's error names its field
		}
		return nil, fmt.Errorf("%s: %w", spec.Name(), err)
	}
	s.HTTPClient = hc
	return s, nil
}

// Source returns the Source of spec changed by o, for the values vars,
// with hc sending its calls; when o cannot apply, a Source whose every
// call fails with the error.
func Source(spec *jsonlogin.Spec, o jsonlogin.Overrides, vars map[string]string, hc *http.Client, opts loginauth.Options) *loginauth.Source {
	s, err := Spec(spec, o, hc)
	if err != nil {
		return loginauth.New(loginauth.Config{Provider: spec.Name(), Err: err})
	}
	return s.NewSource(vars, opts)
}
