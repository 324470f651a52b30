package jsonlogin_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/jsonlogin"
	"github.com/loginauth/loginauth/xano/xanotest"
	"github.com/loginauth/loginauth/xpay/xpaytest"
)

// described is the conformance entry of a built-in provider, with its
// Source made from the description that its package embeds, run on its
// own, without the Go façade: vars names the
// variable of the user and the secret; missing is where the description
// looks for the token, as a login answer without one says.
func described(t *testing.T, p sourcetest.Provider, userVar, user, secretVar, missing string) sourcetest.Provider {
	t.Helper()
	spec := load(t, p.Name)
	p.Config = func(base, secret string, hc *http.Client, opts loginauth.Options) any {
		return &descConfig{vars: map[string]string{"base_url": base, userVar: user, secretVar: secret}, hc: hc, opts: opts}
	}
	p.New = func(cfg any) *loginauth.Source {
		c := cfg.(*descConfig)
		s := *spec
		s.HTTPClient = c.hc
		return s.NewSource(c.vars, c.opts)
	}
	// A description names its missing variables, not Config fields: see
	// TestNewSourceMissingVariables.
	p.Required = nil
	p.Missing = "token " + missing // the description's pointers
	p.AllowHTTP = "allow_http"
	return p
}

// descConfig is what the conformance suite's Config returns for a
// description.
type descConfig struct {
	vars map[string]string
	hc   *http.Client
	opts loginauth.Options
}

// Format prints the names of the variables only: their values hold the
// secret, as a caller's own map of them would.
func (c descConfig) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "descConfig{vars: %d}", len(c.vars))
}

func load(t testing.TB, name string) *jsonlogin.Spec {
	t.Helper()
	b, err := os.ReadFile(description(name))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := jsonlogin.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// TestConformance runs the suite of the built-in providers against their
// fakes, with Sources made from their embedded descriptions alone.
func TestConformance(t *testing.T) {
	t.Run("xano", func(t *testing.T) {
		sourcetest.Run(t, described(t, xanotest.Provider, "email", xanotest.Email, "password", `at "/authToken" or at "/auth_token" or at "/token"`))
	})
	t.Run("crux", func(t *testing.T) {
		sourcetest.Run(t, described(t, cruxtest.Provider, "username", cruxtest.Username, "password", `at "/auth_token"`))
	})
	t.Run("xpay", func(t *testing.T) {
		sourcetest.Run(t, described(t, xpaytest.Provider, "username", xpaytest.Username, "secret_key", `at "/success/data/access_token"`))
	})
}

// description is the path of the description that the built-in provider
// name embeds, such as ../xano/xano.json.
func description(name string) string { return filepath.Join("..", name, name+".json") }
