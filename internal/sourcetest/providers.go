package sourcetest

import (
	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/registry"
)

// Fake is what the shared suites need of a provider's fake server.
type Fake = registry.Fake

// Provider describes one provider and its fake to the shared suites: this
// package's conformance suite, and the fault, fuzz and security tests. A
// provider's tests pass its own entry (xanotest.Provider), so that they
// compile no other provider; internal/registry/builtin lists them all.
type Provider = registry.Provider

// Config returns the Config (of type T) of p's default account on the
// running fake f, on its clock, as the conformance suite makes it.
func Config[T any](p Provider, f Fake) T {
	return *p.Config(p.BaseURL(f), p.Secret, nil, loginauth.Options{Now: f.Now}).(*T)
}
