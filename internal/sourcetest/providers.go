package sourcetest

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/registry"
	"github.com/loginauth/loginauth/loginauthtest"
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

// FindsStored checks that a Source finds a token stored under key, the
// store key that an earlier version of the provider wrote: newSource
// makes the Source with the given login client, which fails the test if
// the Source logs in, and options that hold the Store.
func FindsStored(t *testing.T, key string, newSource func(hc *http.Client, opts loginauth.Options) *loginauth.Source) {
	t.Helper()
	store := &loginauth.MemoryStore{}
	value := []byte(`{"access_token":"stored-token","expiry":"2999-01-01T00:00:00Z"}`)
	if err := store.Save(context.Background(), key, value, time.Time{}); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: loginauthtest.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		t.Errorf("the Source logged in (%s %s) instead of finding the token stored under %q", req.Method, req.URL, key)
		return nil, errors.New("no login in this test")
	})}
	tok, err := newSource(hc, loginauth.Options{Store: store}).Token()
	if err != nil || tok.AccessToken != "stored-token" {
		t.Fatalf("stored token under %q not found: %v", key, err)
	}
}
