// Package builtin lists the built-in providers, once, for the command,
// the demo and the tests that run them all. A new built-in provider adds
// its entry (its fake package's Provider) here, and nowhere else.
package builtin

import (
	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/internal/registry"
	"github.com/loginauth/loginauth/mic/mictest"
	"github.com/loginauth/loginauth/xano/xanotest"
	"github.com/loginauth/loginauth/xpay/xpaytest"
)

// Providers are the built-in providers, in the order the command lists
// them.
var Providers = []registry.Provider{
	mictest.Provider,
	xanotest.Provider,
	cruxtest.Provider,
	xpaytest.Provider,
}

// Lookup returns the built-in provider called name, and whether there is
// one.
func Lookup(name string) (registry.Provider, bool) {
	for _, p := range Providers {
		if p.Name == name {
			return p, true
		}
	}
	return registry.Provider{}, false
}
