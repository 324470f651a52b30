package loginauthtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/matryer/is"
)

// newToy starts a minimal provider fake: POST /login mints a token,
// GET /me needs "Authorization: <token>".
func newToy() *loginauthtest.Server {
	var s *loginauthtest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		f, handled := s.BeginLogin(w, r)
		if handled {
			return
		}
		switch f {
		case loginauthtest.FaultNoToken:
			loginauthtest.WriteJSON(w, http.StatusOK, map[string]string{"user": "alice"})
			return
		case loginauthtest.FaultBadCredentials:
			loginauthtest.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "bad credentials"})
			return
		}
		tok := "tok-" + loginauthtest.RandomHex(16)
		s.Issue(tok, "alice", s.Now().Add(s.Lifetime()))
		loginauthtest.WriteJSON(w, http.StatusOK, map[string]string{"token": tok})
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		sub, err := s.Authorize(r.Header.Get("Authorization"))
		if err != nil {
			loginauthtest.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": err.Error()})
			return
		}
		loginauthtest.WriteJSON(w, http.StatusOK, map[string]string{"user": sub})
	})
	s = loginauthtest.NewServer(mux)
	return s
}

func login(t *testing.T, c *http.Client, s *loginauthtest.Server) (*http.Response, string) {
	t.Helper()
	resp, err := c.Post(s.URL+"/login", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer resp.Body.Close()
	var body struct{ Token string }
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &body)
	return resp, body.Token
}

func me(t *testing.T, c *http.Client, s *loginauthtest.Server, tok string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+"/me", nil)
	req.Header.Set("Authorization", tok)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("me: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestTokensAndCounters(t *testing.T) {
	is := is.New(t)
	s := newToy()
	defer s.Close()
	c := s.Client()

	resp, tok := login(t, c, s)
	is.Equal(resp.StatusCode, 200)     // login succeeds
	is.True(tok != "")                 // login returns a token
	is.True(s.Valid(tok))              // the token is registered
	is.Equal(me(t, c, s, tok), 200)    // token accepted
	is.Equal(me(t, c, s, "nope"), 401) // unknown token refused
	is.Equal(me(t, c, s, ""), 401)     // missing token refused

	s.Advance(loginauthtest.DefaultLifetime - time.Second)
	is.Equal(me(t, c, s, tok), 200) // still valid one second before expiry
	s.Advance(time.Second)
	is.True(!s.Valid(tok)) // expired at its expiry
	_, err := s.Check(tok)
	is.True(errors.Is(err, loginauthtest.ErrTokenExpired)) // expiry reported
	is.Equal(me(t, c, s, tok), 401)                        // expired token refused

	_, tok2 := login(t, c, s)
	is.Equal(me(t, c, s, tok2), 200) // a new login works after expiry
	s.RevokeAll()
	_, err = s.Check(tok2)
	is.True(errors.Is(err, loginauthtest.ErrTokenRevoked)) // revocation reported
	is.Equal(me(t, c, s, tok2), 401)                       // revoked token refused
	_, tok3 := login(t, c, s)
	is.Equal(me(t, c, s, tok3), 200) // logins after RevokeAll work

	is.Equal(s.Logins(), int64(3))   // three logins
	is.Equal(s.Requests(), int64(4)) // four accepted requests
	is.Equal(s.Refused(), int64(4))  // four refused requests
	is.Equal(s.Refreshes(), int64(0))
}

func TestClock(t *testing.T) {
	is := is.New(t)
	s := loginauthtest.NewUnstartedServer(http.NotFoundHandler())
	base := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s.SetNow(func() time.Time { return base })
	is.Equal(s.Now(), base)
	s.Advance(time.Hour)
	is.Equal(s.Now(), base.Add(time.Hour)) // Advance adds to SetNow
	s.SetNow(func() time.Time { return base })
	is.Equal(s.Now(), base) // SetNow clears the offset
	s.SetNow(nil)
	is.True(time.Since(s.Now()).Abs() < time.Minute) // nil restores time.Now

	is.Equal(s.Lifetime(), loginauthtest.DefaultLifetime)
	s.SetLifetime(2 * time.Hour)
	is.Equal(s.Lifetime(), 2*time.Hour)
	s.Close() // an unstarted server can be closed
	s.Close() // twice
}

func TestConcurrentLogins(t *testing.T) {
	is := is.New(t)
	s := newToy()
	defer s.Close()
	s.SetLoginDelay(20 * time.Millisecond) // latency on every login
	c := s.Client()
	var wg sync.WaitGroup
	start := time.Now()
	for range 20 {
		wg.Go(func() {
			resp, tok := login(t, c, s)
			if resp.StatusCode != 200 || me(t, c, s, tok) != 200 {
				t.Error("login or request failed")
			}
		})
	}
	wg.Wait()
	is.True(time.Since(start) >= 20*time.Millisecond) // the delay applies
	is.Equal(s.Logins(), int64(20))
	is.Equal(s.Requests(), int64(20))
}

func TestJWTAndHex(t *testing.T) {
	is := is.New(t)
	exp := time.Unix(2000000000, 0)
	tok := loginauthtest.JWT(exp, map[string]any{"sub": "alice"})
	parts := strings.Split(tok, ".")
	is.Equal(len(parts), 3) // header.payload.signature
	var claims map[string]any
	b, err := base64URL(parts[1])
	is.NoErr(err)
	is.NoErr(json.Unmarshal(b, &claims))
	is.Equal(claims["exp"], float64(2000000000))
	is.Equal(claims["sub"], "alice")
	is.Equal(len(loginauthtest.RandomHex(40)), 40)
	is.Equal(len(loginauthtest.RandomHex(7)), 7)

	raw := strings.Split(loginauthtest.RawJWT(`{"exp":"tomorrow"`), ".")
	is.Equal(len(raw), 3)
	b, err = base64URL(raw[1])
	is.NoErr(err)
	is.Equal(string(b), `{"exp":"tomorrow"`) // the payload as given, even broken
}

func TestCloseEndsStalledHandlers(t *testing.T) {
	loginauthtest.CheckLeaks(t)
	s := newToy()
	s.SetFault(loginauthtest.FaultSlow) // 5 s by default
	tr := &http.Transport{}
	c := &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/login", nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for s.Logins() == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	s.Close() // must not wait for the 5 s delay
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %v", d)
	}
	<-done
	tr.CloseIdleConnections()
}

func TestRandomUUID(t *testing.T) {
	is := is.New(t)
	u := loginauthtest.RandomUUID()
	is.Equal(len(u), 36)
	is.Equal(u[14], byte('4'))                         // version 4
	is.True(strings.ContainsRune("89ab", rune(u[19]))) // variant
	is.True(u != loginauthtest.RandomUUID())
}
