// Package embedded runs the descriptions that the built-in providers
// embed: each provider's Config is a façade that fills the description's
// variables and the [jsonlogin.Overrides] of what its Config sets.
package embedded

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

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
//
// Each Source keeps its Spec, so Sources whose overrides differ only in
// what a Source uses once, when it is made (the Check, and the StoreKey
// without a Store), share one Spec: see shared.
func Source(spec *jsonlogin.Spec, o jsonlogin.Overrides, vars map[string]string, hc *http.Client, opts loginauth.Options) *loginauth.Source {
	s, err := shared(spec, o, hc, opts.Store != nil || (o.Check != nil && o.Check() != nil))
	if err != nil {
		return loginauth.New(loginauth.Config{Provider: spec.Name(), Err: err})
	}
	return s.NewSource(vars, opts)
}

// specKey is what makes Specs derived from one embedded Spec differ,
// when their overrides hold no function but the provider's fixed Error
// hook, and no store key is needed.
type specKey struct {
	spec                      *jsonlogin.Spec
	loginPath, loginOp, token string
	header                    string
	hc                        *http.Client
}

// maxShared bounds the Specs kept for sharing, so that a program that
// makes Sources with ever new HTTP clients does not grow it forever.
const maxShared = 64

var (
	sharedMu    sync.Mutex
	sharedSpecs = map[specKey]*jsonlogin.Spec{}
)

// shared returns spec changed by o, with hc, from the Specs kept for
// sharing when o allows it and own is false: o's Check has passed, and
// no Store needs o's StoreKey.
func shared(spec *jsonlogin.Spec, o jsonlogin.Overrides, hc *http.Client, own bool) (*jsonlogin.Spec, error) {
	if own || o.Refused != nil || o.WrapLogin != nil || o.LoginJSON != nil {
		return Spec(spec, o, hc)
	}
	k := specKey{spec: spec, loginPath: o.LoginPath, loginOp: o.LoginOp, token: strings.Join(o.Token, "\x00"), hc: hc}
	for _, f := range slices.Sorted(maps.Keys(o.Header)) {
		k.header += f + "\x00" + o.Header[f] + "\x00"
	}
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if s := sharedSpecs[k]; s != nil {
		return s, nil
	}
	if o.Check != nil {
		o.Check = passed // the same for every Source that shares the Spec
	}
	o.StoreKey = ""
	s, err := Spec(spec, o, hc)
	if err == nil && len(sharedSpecs) < maxShared {
		sharedSpecs[k] = s
	}
	return s, err
}

// passed is the Check of a Config whose Check passed.
func passed() error { return nil }
