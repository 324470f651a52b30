package jsonlogin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/jsonlogin"
	"github.com/loginauth/loginauth/loginauthtest"
)

// sessions is a fake of an API whose session id travels in a cookie, a
// query parameter or the Authorization field: POST /login answers
// {"sid": ...}, POST /refresh re-issues the sid of its Authorization,
// POST /logout ends the session of its cookie, and GET /me answers the
// cookies and the query it got, or 403 without a valid session.
type sessions struct {
	mu                         sync.Mutex
	valid                      map[string]bool
	n                          int
	logins, refreshes, logouts atomic.Int64
	refreshFails               atomic.Bool // /refresh answers 400, echoing the sid
}

func newSessions() *sessions { return &sessions{valid: map[string]bool{}} }

func (s *sessions) ok(sid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.valid[sid]
}

func (s *sessions) issue() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	sid := fmt.Sprintf("s-%d", s.n)
	s.valid[sid] = true
	return sid
}

func (s *sessions) end(sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.valid, sid)
}

func (s *sessions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sid := r.URL.Query().Get("_sid")
	if c, err := r.Cookie("SID"); err == nil {
		sid = c.Value
	}
	switch r.URL.Path {
	case "/login":
		s.logins.Add(1)
		loginauthtest.WriteJSON(w, 200, map[string]string{"sid": s.issue()})
	case "/refresh":
		auth := r.Header.Get("Authorization")
		if s.refreshFails.Load() || !s.ok(auth) {
			loginauthtest.WriteJSON(w, 400, map[string]string{"message": "cannot refresh " + auth})
			return
		}
		s.refreshes.Add(1)
		loginauthtest.WriteJSON(w, 200, map[string]string{"sid": s.issue()})
	case "/logout":
		if !s.ok(sid) {
			w.WriteHeader(403)
			return
		}
		s.logouts.Add(1)
		s.end(sid)
	default:
		if !s.ok(sid) && !s.ok(r.Header.Get("Authorization")) {
			w.WriteHeader(403)
			return
		}
		fmt.Fprintf(w, "cookie=%q query=%q", strings.Join(r.Header.Values("Cookie"), " | "), r.URL.RawQuery)
	}
}

// sessionSpec is a description of sessions with the given fields.
func sessionSpec(fields string) string {
	return `{
	  "name": "sess",
	  "base_url": "{{base_url}}",
	  "vars": {"base_url": {}, "password": {"secret": true}},
	  "login": {"path": "/login", "json": {"pass": "{{password}}"}},
	  "token": "/sid",
	  "refused": {"status": [403]}` + fields + `}`
}

func body(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "%d ", resp.StatusCode)
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return b.String()
}

func TestCookieSession(t *testing.T) {
	is := is.New(t)
	api := newSessions()
	srv := httptest.NewServer(api)
	defer srv.Close()
	spec := parse(t, sessionSpec(`, "cookie": {"SID": "{{token}}"}, "header": {"X-Token": "{{token}}"}, "logout": {"path": "/logout", "headers": {"Cookie": "SID={{token}}"}}`))
	src := spec.NewSource(map[string]string{"base_url": srv.URL, "password": "pw"}, loginauth.Options{})
	is.Equal(src.CredentialHeaders(), []string{"Cookie", "X-Token"})
	is.Equal(src.CredentialCookies(), []string{"SID"})
	is.Equal(src.CredentialParams(), nil)

	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "SID", Value: "stale"}, {Name: "theme", Value: "dark"}})
	c := &http.Client{Transport: loginauth.NewTransport(src, nil), Jar: jar}
	is.Equal(body(t, c, srv.URL+"/me"), `200 cookie="theme=dark; SID=s-1" query=""`) // the jar's SID replaced, its theme kept

	api.end("s-1") // revoked on the server: a refusal, a login, one re-send
	is.Equal(body(t, c, srv.URL+"/me"), `200 cookie="theme=dark; SID=s-2" query=""`)
	is.Equal(api.logins.Load(), int64(2))

	is.NoErr(src.Logout(context.Background()))
	is.Equal(api.logouts.Load(), int64(1))
	is.True(!api.ok("s-2")) // the session ended on the server
}

func TestQuerySession(t *testing.T) {
	is := is.New(t)
	api := newSessions()
	srv := httptest.NewServer(api)
	defer srv.Close()
	spec := parse(t, sessionSpec(`, "query": {"_sid": "{{token}}"}`))
	src := spec.NewSource(map[string]string{"base_url": srv.URL, "password": "pw"}, loginauth.Options{})
	is.Equal(src.CredentialParams(), []string{"_sid"})
	is.Equal(src.CredentialHeaders(), nil) // no header: the default Authorization is not sent
	c := &http.Client{Transport: loginauth.NewTransport(src, nil)}
	is.Equal(body(t, c, srv.URL+"/me?x=1&_sid=client"), `200 cookie="" query="x=1&_sid=s-1"`)
}

// pocketSpec refreshes as PocketBase does: auth-refresh with the current
// token, which only a still-valid token can do.
const pocketSpec = `{
  "name": "pocket",
  "base_url": "{{base_url}}",
  "vars": {"base_url": {}, "password": {"secret": true}},
  "login": {"path": "/login", "json": {"pass": "{{password}}"}},
  "refresh": {"path": "/refresh", "headers": {"Authorization": "{{token}}"}, "needs_valid_token": true},
  "token": "/sid",
  "header": {"Authorization": "{{token}}"},
  "refused": {"status": [403]},
  "error": {"message": "/message"},
  "lifetime": "1h"
}`

func TestRefreshWithCurrentToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		api := newSessions()
		spec := parse(t, pocketSpec)
		spec.HTTPClient = &http.Client{Transport: loginauthtest.HandlerTransport{Handler: api}}
		var mu sync.Mutex
		var failures []error
		src := spec.NewSource(map[string]string{"base_url": "http://127.0.0.1:1", "password": "pw"}, loginauth.Options{
			OnEvent: func(ev loginauth.Event) {
				if ev.Kind == loginauth.EventFailure {
					mu.Lock()
					failures = append(failures, ev.Err)
					mu.Unlock()
				}
			},
		})
		tok, err := src.Token()
		is.NoErr(err)
		is.Equal(tok.AccessToken, "s-1")

		time.Sleep(time.Hour - 30*time.Second) // in the early window: refreshed with the valid token
		_, err = src.Token()
		is.NoErr(err)
		synctest.Wait()
		tok, err = src.Token()
		is.NoErr(err)
		is.Equal(tok.AccessToken, "s-2")
		is.Equal(api.refreshes.Load(), int64(1))

		time.Sleep(2 * time.Hour) // expired: a login, not a refresh
		tok, err = src.Token()
		is.NoErr(err)
		is.Equal(tok.AccessToken, "s-3")
		is.Equal(api.refreshes.Load(), int64(1))
		is.Equal(api.logins.Load(), int64(2))

		api.refreshFails.Store(true) // an answer that echoes the token
		time.Sleep(time.Hour - 30*time.Second)
		_, err = src.Token()
		is.NoErr(err)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		is.Equal(len(failures), 1)
		is.True(!strings.Contains(failures[0].Error(), "s-3")) // scrubbed from the refresh's error
		is.True(strings.Contains(failures[0].Error(), "cannot refresh [redacted]"))
	})
}

func TestParseSession(t *testing.T) {
	for _, tc := range []struct {
		name, fields, want string
	}{
		{"CookieOnly", `, "cookie": {"SID": "{{token}}"}`, ""},
		{"QueryOnly", `, "query": {"_sid": "{{token}}"}`, ""},
		{"NoToken", `, "cookie": {"lang": "en"}`, "jsonlogin: header: no field carries {{token}}"},
		{"BadCookieName", `, "cookie": {"S I D": "{{token}}"}`, `jsonlogin: cookie.S I D: "S I D" is not a cookie name`},
		{"BadCookieValue", `, "cookie": {"SID": "{{token}};admin=1"}`, "jsonlogin: cookie.SID: a cookie value cannot hold"},
		{"EmptyParam", `, "query": {"": "{{token}}"}`, "jsonlogin: query: a parameter name cannot be empty"},
		{"TokenInRefresh", `, "refresh": {"path": "/r", "headers": {"Authorization": "{{token}}"}, "needs_valid_token": true}`, ""},
		{"RefreshNeedsRefreshToken", `, "refresh": {"path": "/r", "headers": {"Authorization": "{{token}}"}}`, "jsonlogin: refresh: needs refresh_token"},
		{"NeedsValidTokenInLogout", `, "logout": {"path": "/logout", "needs_valid_token": true}`, "jsonlogin: logout.needs_valid_token: only refresh takes it"},
		{"TokenInLogout", `, "logout": {"path": "/logout/{{token}}", "headers": {"X-Refresh": "{{refresh_token}}"}}`, ""},
		{"LogoutUndeclared", `, "logout": {"path": "/logout", "json": {"user": "{{user}}"}}`, `jsonlogin: logout.json.user: template names undeclared variable "user"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jsonlogin.Parse([]byte(sessionSpec(tc.fields)))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Parse() = %v, want no error", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Fatalf("Parse() = %v; want an error starting %q", err, tc.want)
			}
		})
	}
}
