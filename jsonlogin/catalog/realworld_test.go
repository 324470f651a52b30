package catalog_test

// TestRealWorld drives each catalog entry against its real server, with
// the library, the command and its proxy. It runs only when
// LOGINAUTH_REALWORLD names the servers ("qbittorrent,node-red,pocketbase")
// and they are installed under LOGINAUTH_REALWORLD_CACHE (default
// ~/.cache/loginauth-realworld), as .ci/realworld.sh does.

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/jsonlogin/catalog"
)

func TestRealWorld(t *testing.T) {
	list := os.Getenv("LOGINAUTH_REALWORLD")
	if list == "" {
		t.Skip("LOGINAUTH_REALWORLD names no server; .ci/realworld.sh sets it")
	}
	cache := os.Getenv("LOGINAUTH_REALWORLD_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "loginauth-realworld")
	}
	bin := buildCommand(t)
	for _, name := range strings.Split(list, ",") {
		start := realServers[name]
		if start == nil {
			t.Fatalf("LOGINAUTH_REALWORLD: no real server %q; want some of qbittorrent, node-red, pocketbase", name)
		}
		t.Run(name, func(t *testing.T) {
			began := time.Now()
			r := start(t, cache)
			t.Run("Library", func(t *testing.T) { libraryRun(t, name, r) })
			t.Run("Command", func(t *testing.T) { commandRun(t, bin, name, r) })
			t.Logf("timing: %s %v in all", name, time.Since(began).Round(time.Millisecond))
		})
	}
}

// client is a Go client of the entry name through its Source.
type client struct {
	src *loginauth.Source
	hc  *http.Client
	r   *running
}

func newClient(t *testing.T, name string, r *running, password string, opts loginauth.Options) *client {
	spec, err := catalog.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	src := spec.NewSource(r.vars(password), opts)
	return &client{src: src, hc: &http.Client{Transport: loginauth.NewTransport(src, nil)}, r: r}
}

// burst sends n concurrent GETs of the protected path and returns how
// many were not answered 200.
func (c *client) burst(t *testing.T, n int) int64 {
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := c.hc.Do(c.r.request(c.r.base))
			if err != nil {
				t.Log(err)
				failed.Add(1)
				return
			}
			defer resp.Body.Close()
			if !c.r.served(resp) {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	return failed.Load()
}

// renewals is the logins and refreshes of the Source so far.
func (c *client) renewals() int64 {
	s := c.src.Stats()
	return s.Logins + s.Refreshes
}

// libraryRun checks a wrong password, one login for many requests, a
// server-side revocation, expiry, a refresh and logout with the library.
func libraryRun(t *testing.T, name string, r *running) {
	is := is.New(t)
	ctx := context.Background()
	step := func(what string, began time.Time) {
		t.Logf("timing: %s: %s %v", name, what, time.Since(began).Round(time.Millisecond))
	}

	began := time.Now()
	wrong := newClient(t, name, r, "wrong-"+r.password, loginauth.Options{})
	_, err := wrong.src.Token()
	var le *loginauth.LoginError
	is.True(errors.As(err, &le) && le.BadCredentials) // a wrong password is bad credentials
	is.True(!strings.Contains(err.Error(), r.password))
	step("wrong password", began)

	began = time.Now()
	c := newClient(t, name, r, r.password, loginauth.Options{})
	before := serverLogins(t, r)
	is.Equal(c.burst(t, 200), int64(0)) // 200 concurrent requests
	is.Equal(c.src.Stats().Logins, int64(1))
	if r.logins != nil {
		is.Equal(serverLogins(t, r)-before, 1) // one login in the server's log
	}
	step("one login for 200 concurrent requests", began)

	began = time.Now()
	tok, err := c.src.Token()
	is.NoErr(err)
	r.revoke(t, tok)
	is.Equal(c.burst(t, 50), int64(0)) // after a server-side revocation
	is.Equal(c.src.Stats().Logins, int64(2))
	is.True(c.src.Stats().Retries >= 1)
	step("revocation: one re-login, the requests re-sent", began)

	if r.lifetime > 0 {
		began = time.Now()
		n := c.renewals()
		time.Sleep(r.lifetime + 2*time.Second)
		is.Equal(c.burst(t, 50), int64(0)) // after the token's lifetime
		is.Equal(c.renewals()-n, int64(1))
		step("expiry: one renewal", began)
	}

	if r.refresh {
		began = time.Now()
		// The early-refresh window is at most half the lifetime.
		rc := newClient(t, name, r, r.password, loginauth.Options{EarlyRefresh: r.lifetime / 2})
		is.Equal(rc.burst(t, 10), int64(0))
		time.Sleep(r.lifetime/2 + 1500*time.Millisecond) // into the window, the token still valid
		is.Equal(rc.burst(t, 10), int64(0))
		for deadline := time.Now().Add(5 * time.Second); rc.src.Stats().Refreshes == 0 && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		is.Equal(rc.src.Stats().Refreshes, int64(1)) // renewed by a refresh with the current token
		is.Equal(rc.src.Stats().Logins, int64(1))
		step("refresh with the current token", began)
	}

	if r.logout {
		began = time.Now()
		tok, err := c.src.Token()
		is.NoErr(err)
		is.NoErr(c.src.Logout(ctx))
		is.True(refusedWith(t, name, r, tok.AccessToken)) // the session ended at the server
		step("logout", began)
	}
}

// serverLogins is the server's count of logins, or 0 where it logs none.
func serverLogins(t *testing.T, r *running) int {
	if r.logins == nil {
		return 0
	}
	// The log is written asynchronously; give it a moment.
	time.Sleep(200 * time.Millisecond)
	return r.logins(t)
}

// refusedWith reports whether the server refuses tok, sent as the entry
// would send it, with no Source.
func refusedWith(t *testing.T, name string, r *running, tok string) bool {
	req := r.request(r.base)
	switch name {
	case "qbittorrent":
		req.Header.Set("Cookie", "SID="+tok)
	case "deluge":
		req.Header.Set("Cookie", "_session_id="+tok)
	case "node-red", "verdaccio", "matrix":
		req.Header.Set("Authorization", "Bearer "+tok)
	default:
		req.Header.Set("Authorization", tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return !r.served(resp)
}

// envName is the environment variable of a variable of the entry name.
func envName(name, v string) string {
	return strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_" + strings.ToUpper(v)
}
