package compat

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
)

// users is a fake API whose GET /me answers the name of the user whose
// token the request carries: each user's logins hand out the tokens
// "<user>-1", "<user>-2", and so on. Tokens in revoked are refused.
type users struct {
	Vary          bool // answers carry Vary: Authorization
	CacheRefusals bool // refusals carry Cache-Control: max-age=60, as some gateways send

	mu       sync.Mutex // guards revoked, logins and seen
	revoked  map[string]bool
	logins   map[string]int
	seen     []http.Header // of every request, as received
	requests atomic.Int64
}

func newUsers() *users { return &users{revoked: map[string]bool{}, logins: map[string]int{}} }

// source returns a Source that logs user in to the API at origin.
func (u *users) source(user, origin string, opts loginauth.Options) *loginauth.Source {
	return loginauth.New(loginauth.Config{
		Provider: "users",
		Origins:  []string{origin},
		Login: func(context.Context) (*oauth2.Token, error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			u.logins[user]++
			return &oauth2.Token{AccessToken: fmt.Sprintf("%s-%d", user, u.logins[user])}, nil
		},
		Options: opts,
	})
}

// revoke makes the API refuse tok.
func (u *users) revoke(tok string) { u.mu.Lock(); u.revoked[tok] = true; u.mu.Unlock() }

// loginsOf returns how many times user logged in.
func (u *users) loginsOf(user string) int { u.mu.Lock(); defer u.mu.Unlock(); return u.logins[user] }

// headers returns the headers of the requests received so far.
func (u *users) headers() []http.Header { u.mu.Lock(); defer u.mu.Unlock(); return u.seen }

func (u *users) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.requests.Add(1)
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	u.mu.Lock()
	u.seen = append(u.seen, r.Header.Clone())
	refused := tok == "" || u.revoked[tok]
	u.mu.Unlock()
	if u.Vary {
		w.Header().Set("Vary", "Authorization")
	}
	if refused {
		if u.CacheRefusals {
			w.Header().Set("Cache-Control", "max-age=60")
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	name, _, _ := strings.Cut(tok, "-")
	w.Header().Set("Cache-Control", "max-age=60")
	fmt.Fprint(w, name)
}

// loginauthClient returns a client that sends through a Transport of src.
func loginauthClient(src *loginauth.Source) *http.Client {
	return &http.Client{Transport: loginauth.NewTransport(src, nil)}
}
