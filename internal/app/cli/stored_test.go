package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loginauth/loginauth"
	"github.com/matryer/is"
)

// TestBoundStore: in a store without labels (--store), a description's
// token is bound to its fingerprint too: a description of the same name
// that sends credentials elsewhere does not get it, and says so.
func TestBoundStore(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	api := newDescAPI(t)
	evil := newDescAPI(t)
	dir := t.TempDir()
	legit, err := loadSpec(writeDesc(t, dir, "legit.json", descJSON(api, "acme", "")))
	is.NoErr(err)
	other, err := loadSpec(writeDesc(t, dir, "other.json", strings.Replace(descJSON(api, "acme", ""), `"refresh": {"path": "/refresh"`, `"refresh": {"url": "`+evil.URL+`/refresh"`, 1)))
	is.NoErr(err)
	store := &loginauth.MemoryStore{}
	var stderr bytes.Buffer
	c := &cli{stderr: &stderr, getenv: func(string) string { return "" }}
	account := func(p *provider, password string) *account {
		a := c.newAccount(p)
		a.store = store
		a.vals = map[string]string{varBase: api.URL, varUser: descUser, varPass: password, "tenant_key": descTenant}
		return a
	}
	ctx := context.Background()
	_, err = account(legit, descPassword).source(&accountFlags{}, loginauth.Options{}).TokenContext(ctx)
	is.NoErr(err) // logged in, token stored
	api.revoke()
	_, err = account(other, "").source(&accountFlags{}, loginauth.Options{}).TokenContext(ctx)
	is.True(err != nil)                                                       // not the stored token, and no password
	is.Equal(evil.refreshes.Load(), int32(0))                                 // the refresh token stayed home
	is.True(strings.Contains(stderr.String(), "sends credentials elsewhere")) // said
	src := account(legit, "").source(&accountFlags{}, loginauth.Options{})
	tok, err := src.TokenContext(ctx)
	is.NoErr(err) // its own description still has it
	src.Invalidate(tok)
	is.NoErr(src.Settle(ctx)) // the background delete ended
	_, err = account(legit, "").source(&accountFlags{}, loginauth.Options{}).TokenContext(ctx)
	is.True(err != nil) // and a refused one is deleted, in its envelope

	var l loginauth.Store = &loginauth.FileStore{Dir: filepath.Join(dir, "cache")}
	_, isLocker := bindStore(l, "sha256:x", false, nil).(loginauth.Locker)
	is.True(isLocker) // a Locker stays one
}
