package loginauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/storetest"
	"github.com/matryer/is"
	"golang.org/x/oauth2"
)

func TestMemoryStoreConformance(t *testing.T) {
	t.Parallel() // the suite waits on the clock; the other conformance runs overlap it
	storetest.Run(t, func(t *testing.T) loginauth.Store { return &loginauth.MemoryStore{} })
}

type failingStore struct{ calls int }

func (f *failingStore) Load(context.Context, string) ([]byte, error) {
	f.calls++
	return nil, errors.New("disk on fire")
}
func (f *failingStore) Save(context.Context, string, []byte, time.Time) error {
	f.calls++
	return errors.New("disk on fire")
}
func (f *failingStore) Delete(context.Context, string, []byte) error {
	f.calls++
	return errors.New("disk on fire")
}

func storeSource(login loginauth.LoginFunc, st loginauth.Store) *loginauth.Source {
	return loginauth.New(loginauth.Config{
		Provider: "test", Origins: []string{"https://api.example.com"}, Login: login,
		StoreKey: "test https://api.example.com alice", KeepExtra: []string{"identityId"},
		Options: loginauth.Options{Store: st},
	})
}

func TestSourceUsesStore(t *testing.T) {
	is := is.New(t)
	st := &loginauth.MemoryStore{}
	logins := 0
	login := func(context.Context) (*oauth2.Token, error) {
		logins++
		return (&oauth2.Token{AccessToken: "t" + string(rune('0'+logins)), RefreshToken: "r", Expiry: time.Now().Add(time.Hour)}).
			WithExtra(map[string]any{"identityId": "eu-west-1:id", "other": "dropped"}), nil
	}
	first := storeSource(login, st)
	tok, err := first.Token()
	is.NoErr(err)
	is.Equal(logins, 1)

	// A restarted process finds the token, with its extra fields.
	second := storeSource(login, st)
	tok2, err := second.Token()
	is.NoErr(err)
	is.Equal(logins, 1)                                      // no second login
	is.Equal(tok2.AccessToken, tok.AccessToken)              // the stored token
	is.Equal(tok2.RefreshToken, "r")                         // with its refresh token
	is.Equal(tok2.Extra("identityId"), "eu-west-1:id")       // and the extra it keeps
	is.True(tok2.Expiry.Sub(tok.Expiry).Abs() < time.Second) // and its expiry

	// A refusal deletes the stored token, and the next login saves anew.
	second.Invalidate(tok2)
	b, _ := st.Load(context.Background(), "test https://api.example.com alice")
	is.True(b == nil) // deleted on Invalidate
	tok3, err := second.Token()
	is.NoErr(err)
	is.Equal(logins, 2)
	first.Invalidate(tok) // stale for the store: must not delete the new token
	b, _ = st.Load(context.Background(), "test https://api.example.com alice")
	is.True(b != nil)
	third := storeSource(login, st)
	tok4, _ := third.Token()
	is.Equal(tok4.AccessToken, tok3.AccessToken)
}

// TestRefusedStoredTokenNotReloaded checks that a token the API refused
// is not loaded again from a Store that still holds it (its Delete failed,
// or another process saved it back): the next renewal logs in.
func TestRefusedStoredTokenNotReloaded(t *testing.T) {
	is := is.New(t)
	st := &undeletable{}
	var logins atomic.Int64
	src := storeSource(func(context.Context) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", logins.Add(1))}, nil
	}, st)
	tok, err := src.Token()
	is.NoErr(err)
	src.Invalidate(tok) // the API refused it; the Store keeps it all the same
	b, _ := st.Load(context.Background(), "test https://api.example.com alice")
	is.True(b != nil) // the refused token is still stored
	tok, err = src.Token()
	is.NoErr(err)
	is.Equal(tok.AccessToken, "tok-2") // a new login, not the refused token again
	is.Equal(logins.Load(), int64(2))
}

// undeletable is a MemoryStore whose Delete does nothing.
type undeletable struct{ loginauth.MemoryStore }

func (*undeletable) Delete(context.Context, string, []byte) error { return nil }

// TestStoreFailuresNeverFailRequests checks that a Store's errors reach
// the log as warnings, never the caller.
func TestStoreFailuresNeverFailRequests(t *testing.T) {
	is := is.New(t)
	st := &failingStore{}
	var log bytes.Buffer
	src := loginauth.New(loginauth.Config{Provider: "test", Origins: []string{"https://api.example.com"},
		Login:   func(context.Context) (*oauth2.Token, error) { return &oauth2.Token{AccessToken: "t"}, nil },
		Options: loginauth.Options{Store: st, Logger: slog.New(slog.NewTextHandler(&log, nil))}})
	tok, err := src.Token()
	is.NoErr(err) // the store's errors do not reach the caller
	src.Invalidate(tok)
	_, err = src.Token()
	is.NoErr(err)
	is.True(st.calls >= 5) // and the store was tried
	for _, op := range []string{"load", "save", "delete"} {
		is.True(strings.Contains(log.String(), `level=WARN msg="loginauth: store-error" event=store-error provider=test op=`+op+` error="disk on fire"`)) // each failure is a warning
	}
}

func TestCorruptStoredTokenIsAbsent(t *testing.T) {
	is := is.New(t)
	st := &loginauth.MemoryStore{}
	st.Save(context.Background(), "test https://api.example.com alice", []byte(`{"access_tok`), time.Time{})
	logins := 0
	src := storeSource(func(context.Context) (*oauth2.Token, error) {
		logins++
		return &oauth2.Token{AccessToken: "fresh"}, nil
	}, st)
	tok, err := src.Token()
	is.NoErr(err)
	is.Equal(tok.AccessToken, "fresh") // a torn value is treated as absent
	is.Equal(logins, 1)
}

func TestForget(t *testing.T) {
	is := is.New(t)
	st := &loginauth.MemoryStore{}
	logins := 0
	login := func(context.Context) (*oauth2.Token, error) {
		logins++
		return &oauth2.Token{AccessToken: "t"}, nil
	}
	src := storeSource(login, st)
	_, err := src.Token()
	is.NoErr(err)
	// A Source with no way to log in can still forget the account's token.
	logout := loginauth.New(loginauth.Config{Provider: "test", Origins: []string{"https://api.example.com"},
		StoreKey: "test https://api.example.com alice", Err: errors.New("test: Config.Password is required"),
		Options: loginauth.Options{Store: st}})
	forgot, err := logout.Forget(context.Background())
	is.NoErr(err)
	is.True(forgot) // the stored token was there
	forgot, err = logout.Forget(context.Background())
	is.NoErr(err)
	is.True(!forgot) // and is gone
	forgot, err = src.Forget(context.Background())
	is.NoErr(err)
	is.True(!forgot)
	_, err = src.Token()
	is.NoErr(err)
	is.Equal(logins, 2) // the Source's own cache was dropped too
}

// noSecretSource is what a provider package builds when it has no
// password: a Config whose Err wraps ErrNoCredentials. refresh, when not
// nil, renews a token that has a refresh token.
func noSecretSource(st loginauth.Store, now func() time.Time, login loginauth.LoginFunc, refresh loginauth.RefreshFunc) *loginauth.Source {
	return loginauth.New(loginauth.Config{
		Provider: "test", Origins: []string{"https://api.example.com"}, Login: login, Refresh: refresh,
		StoreKey: "test https://api.example.com alice",
		Err:      fmt.Errorf("test: Config.Password is required: %w", loginauth.ErrNoCredentials),
		Options:  loginauth.Options{Store: st, Now: now},
	})
}

func TestNoCredentialsFailsOnlyTheLogin(t *testing.T) {
	is := is.New(t)
	clock := loginauthtest.NewClock(loginauthtest.Epoch)
	st := &loginauth.MemoryStore{Now: clock.Now}
	var logins atomic.Int64
	login := func(context.Context) (*oauth2.Token, error) {
		logins.Add(1)
		return &oauth2.Token{AccessToken: fmt.Sprintf("t%d", logins.Load()), Expiry: clock.Now().Add(time.Hour)}, nil
	}
	// Nothing stored: the login that is needed fails with Config.Err.
	src := noSecretSource(st, clock.Now, login, nil)
	_, err := src.Token()
	is.True(errors.Is(err, loginauth.ErrNoCredentials))                   // the command can recognise it
	is.True(strings.Contains(err.Error(), "Config.Password is required")) // and it names the field
	is.Equal(logins.Load(), int64(0))                                     // the Login never ran

	// A token stored by a Source with its password is handed out.
	_, err = loginauth.New(loginauth.Config{
		Provider: "test", Origins: []string{"https://api.example.com"}, Login: login,
		StoreKey: "test https://api.example.com alice", Options: loginauth.Options{Store: st, Now: clock.Now},
	}).Token()
	is.NoErr(err)
	tok, err := noSecretSource(st, clock.Now, login, nil).Token()
	is.NoErr(err)
	is.Equal(tok.AccessToken, "t1")   // the stored token
	is.Equal(logins.Load(), int64(1)) // no login for it

	// Once it has expired, a login is needed again.
	clock.Advance(2 * time.Hour)
	_, err = noSecretSource(st, clock.Now, login, nil).Token()
	is.True(errors.Is(err, loginauth.ErrNoCredentials)) // after expiry
	is.Equal(logins.Load(), int64(1))                   // still no login
}

func TestNoCredentialsRefreshesAStoredToken(t *testing.T) {
	is := is.New(t)
	clock := loginauthtest.NewClock(loginauthtest.Epoch)
	st := &loginauth.MemoryStore{Now: clock.Now}
	var logins, refreshes atomic.Int64
	login := func(context.Context) (*oauth2.Token, error) {
		logins.Add(1)
		return &oauth2.Token{AccessToken: "first", RefreshToken: "r1", Expiry: clock.Now().Add(time.Hour)}, nil
	}
	refreshErr := error(nil)
	refresh := func(_ context.Context, old *oauth2.Token) (*oauth2.Token, error) {
		refreshes.Add(1)
		if refreshErr != nil {
			return nil, refreshErr
		}
		is.Equal(old.RefreshToken, "r1") // the stored refresh token
		return &oauth2.Token{AccessToken: "renewed", Expiry: clock.Now().Add(time.Hour)}, nil
	}
	withSecret := loginauth.New(loginauth.Config{
		Provider: "test", Origins: []string{"https://api.example.com"}, Login: login, Refresh: refresh,
		StoreKey: "test https://api.example.com alice", Options: loginauth.Options{Store: st, Now: clock.Now},
	})
	_, err := withSecret.Token()
	is.NoErr(err)

	// Another run, without the password, after the token expired: the
	// Store kept it for its refresh token.
	clock.Advance(2 * time.Hour)
	tok, err := noSecretSource(st, clock.Now, login, refresh).Token()
	is.NoErr(err)
	is.Equal(tok.AccessToken, "renewed")
	is.Equal(tok.RefreshToken, "r1")     // kept, as the refresh returned none
	is.Equal(refreshes.Load(), int64(1)) // one refresh
	is.Equal(logins.Load(), int64(1))    // and no login

	// A refresh that fails leaves a login, which fails with Config.Err.
	clock.Advance(2 * time.Hour)
	refreshErr = errors.New("refresh token revoked")
	_, err = noSecretSource(st, clock.Now, login, refresh).Token()
	is.True(errors.Is(err, loginauth.ErrNoCredentials)) // the command's hint
	is.Equal(logins.Load(), int64(1))                   // never a login
}

// TestNoCredentialsRefusedRefreshBacksOff checks that a refused refresh
// with no login to fall back to starts the backoff at once: N sequential
// requests cost one refresh call, not N, and each says the credentials
// are missing.
func TestNoCredentialsRefusedRefreshBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		clock := loginauthtest.NewClock(loginauthtest.Epoch)
		st := &loginauth.MemoryStore{Now: clock.Now}
		login := func(context.Context) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "first", RefreshToken: "r1", Expiry: clock.Now().Add(time.Hour)}, nil
		}
		var refreshes atomic.Int64
		refresh := func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			refreshes.Add(1)
			return nil, &loginauth.LoginError{Provider: "test", Op: "refresh", Status: 401, BadCredentials: true}
		}
		_, err := loginauth.New(loginauth.Config{
			Provider: "test", Origins: []string{"https://api.example.com"}, Login: login, Refresh: refresh,
			StoreKey: "test https://api.example.com alice", Options: loginauth.Options{Store: st, Now: clock.Now},
		}).Token()
		is.NoErr(err)
		clock.Advance(2 * time.Hour)
		src := noSecretSource(st, clock.Now, login, refresh)
		for range 10 {
			_, err = src.Token()
			is.True(errors.Is(err, loginauth.ErrNoCredentials)) // the command's hint, every time
			var le *loginauth.LoginError
			is.True(errors.As(err, &le)) // with the refresh's answer
		}
		is.Equal(refreshes.Load(), int64(1)) // one refresh call for ten requests
	})
}
