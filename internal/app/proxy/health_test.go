package proxy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/loginauthtest"
)

// getHealth asks the proxy behind c for its health.
func getHealth(t *testing.T, c *http.Client) (int, Health) {
	t.Helper()
	resp, err := c.Get("http://localhost" + HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, h
}

func TestHealth(t *testing.T) {
	a := newAPI(t) // outside the bubble
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		src := a.source(cruxtest.Password, memClient(a.handler), loginauth.Options{})
		p, err := New(Config{Source: src, BaseURL: a.front.URL, Transport: loginauthtest.HandlerTransport{Handler: a.handler}})
		is.NoErr(err)
		c := memClient(p)

		status, h := getHealth(t, c)
		is.Equal(status, http.StatusOK) // healthy: a token
		is.Equal(h.Status, "ok")        // says so
		is.Equal(a.Logins(), int64(1))  // by logging in

		// The password changes and the token is revoked: the next request
		// is refused, and the re-login is refused too.
		a.AddUser(cruxtest.Username, "changed-pass")
		a.RevokeAll()
		resp, err := c.Get("http://localhost" + cruxtest.PermissionsPath)
		is.NoErr(err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		is.Equal(resp.StatusCode, http.StatusServiceUnavailable)                // no credentials
		is.True(strings.Contains(string(body), cruxtest.MsgInvalidCredentials)) // says why

		status, h = getHealth(t, c)
		is.Equal(status, http.StatusServiceUnavailable)          // unhealthy
		is.Equal(h.Reason, ReasonBadCredentials)                 // for the password
		is.True(h.RetryAt != nil && h.RetryAt.After(time.Now())) // with the end of the backoff
		is.True(!strings.Contains(h.Error, "changed-pass"))      // never the password
		is.True(!strings.Contains(h.Error, cruxtest.Password))   // nor the old one
		is.Equal(a.Logins(), int64(2))                           // the health check started no login during the backoff
	})
}

func TestHealthReasons(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  loginauthtest.Fault
		twice  bool // ask again during the backoff
		reason string
	}{
		{"slow login", loginauthtest.FaultSlow, false, ReasonTimeout},
		{"server error", loginauthtest.Fault500, false, ReasonLoginFailed},
		{"backoff", loginauthtest.Fault500, true, ReasonBackoff},
		{"wrong password", loginauthtest.FaultBadCredentials, false, ReasonBadCredentials},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAPI(t)
			a.SetFault(tc.fault)
			if tc.fault == loginauthtest.FaultSlow {
				a.SetLoginDelay(time.Minute) // past the health timeout and the login timeout
			}
			synctest.Test(t, func(t *testing.T) {
				is := is.New(t)
				src := a.source(cruxtest.Password, memClient(a.handler), loginauth.Options{})
				p, err := New(Config{Source: src, BaseURL: a.front.URL})
				is.NoErr(err)
				c := memClient(p)
				start := time.Now()
				status, h := getHealth(t, c)
				if tc.twice {
					status, h = getHealth(t, c)
				}
				is.Equal(status, http.StatusServiceUnavailable) // unhealthy
				is.Equal(h.Reason, tc.reason)                   // reason
				is.True(h.Error != "")                          // with the error
				if tc.reason == ReasonTimeout {
					is.Equal(time.Since(start), DefaultHealthTimeout) // after the health timeout
				}
				src.TokenContext(context.Background()) // the slow login ends at its own timeout, within the bubble
			})
		})
	}
}

func TestStats(t *testing.T) {
	is := is.New(t)
	a := newAPI(t)
	u := a.serve(t, Config{})
	for range 3 {
		status, _ := do(t, "GET", u+cruxtest.PermissionsPath, "", nil)
		is.Equal(status, http.StatusOK) // forwarded
	}
	status, body := do(t, "GET", u+StatsPath, "", nil)
	is.Equal(status, http.StatusOK) // answered
	var st loginauth.Stats
	is.NoErr(json.Unmarshal([]byte(body), &st))
	is.Equal(st, loginauth.Stats{Logins: 1}) // the Source's counters
}

func TestOwnPathsNotForwarded(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", HealthPath, http.StatusOK},
		{"GET", StatsPath, http.StatusOK},
		{"POST", HealthPath, http.StatusMethodNotAllowed},
		{"POST", StatsPath, http.StatusMethodNotAllowed},
		{"GET", "/_loginauth/other", http.StatusNotFound},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			is := is.New(t)
			a := newAPI(t)
			u := a.serve(t, Config{})
			status, _ := do(t, tc.method, u+tc.path, "", nil)
			is.Equal(status, tc.status)         // answered by the proxy
			is.Equal(a.Requests(), int64(0))    // never forwarded
			is.Equal(a.hits.Load(), a.Logins()) // the API saw at most the health check's login
		})
	}
}
