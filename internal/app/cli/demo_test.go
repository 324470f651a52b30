package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/matryer/is"
)

// runDemo runs the demo in this process, so that a test can change
// demoOptions.
func runDemo(args ...string) result {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), append([]string{"demo"}, args...), Env{Stdout: &out, Stderr: &errOut})
	return result{code, out.String(), errOut.String()}
}

// TestDemo checks the demo by its counts, never by its times.
func TestDemo(t *testing.T) {
	is := is.New(t)
	rows := len(builtins) * len(scenarios)
	r := runDemo("-n", "100")
	is.Equal(r.code, 0) // r
	is.True(strings.Contains(r.stdout, fmt.Sprintf("All %d loginauth expectations held.", rows)))
	is.True(strings.Contains(r.stdout, "1 login, 100/100 ok"))                 // 100 cold requests, 1 login
	is.True(strings.Contains(r.stdout, "1 login for 200 requests; backs off")) // a wrong password
	is.True(strings.Contains(r.stdout, "refused; nothing sent"))               // plain http
	is.True(strings.Contains(r.stdout, "CHECK judges the LOGINAUTH column"))
	is.True(strings.Contains(r.stdout, "each login after 50 ms")) // what the figures are measured against
	goDur := regexp.MustCompile(`\d(ns|µs|us|ms|s|m|h)\b|\dm\d`)
	is.True(!goDur.MatchString(r.stdout)) // one unit style, "12.3 ms": r.stdout
	is.True(!goDur.MatchString(r.stderr)) // in the progress lines too: r.stderr
	for _, line := range strings.Split(r.stdout, "\n") {
		is.True(len([]rune(line)) <= 100) // within 100 columns: line
	}
	for _, p := range builtins {
		for _, sc := range scenarios {
			row := regexp.MustCompile(`(?m)^` + p.name + ` +` + sc.title + `  `)
			is.True(row.MatchString(r.stdout)) // a row per provider and scenario: row
		}
	}
	is.True(strings.Contains(r.stderr, "demo: mic   cold start")) // progress on stderr
	is.True(!strings.Contains(r.stdout, "demo:"))                 // and not on stdout

	r = runDemo("-n", "20", "-o", "json")
	is.Equal(r.code, 0) // r
	var rep demoReport
	is.NoErr(json.Unmarshal([]byte(r.stdout), &rep))
	is.True(rep.Pass)
	is.Equal(len(rep.Results), rows)
	for _, res := range rep.Results {
		is.True(res.Pass) // res.Loginauth.Problems
		switch res.Scenario {
		case "cold":
			is.Equal(res.Loginauth.Logins, int64(1))
			is.Equal(res.Loginauth.OK, 20)
		case "revoked":
			is.Equal(res.Loginauth.OK, 20)
			is.Equal(res.OAuth2.OK, 0) // oauth2 does not retry a refusal
		case "redirect":
			is.Equal(*res.Loginauth.CredentialsLeaked, false)
			is.Equal(*res.OAuth2.CredentialsLeaked, true) // oauth2.Transport adds its token on every hop
		case "backoff":
			is.Equal(res.Loginauth.Logins, int64(1))       // one login for 40 requests
			is.True(res.Loginauth.FailedFast >= 20)        // the second burst, at least, fails at once
			is.Equal(*res.Loginauth.LoginsAfter, int64(1)) // and the window's end lets one login through
			is.True(*res.Loginauth.BackoffS > 0)
			is.Equal(res.OAuth2.Logins, int64(40)) // oauth2 logs in for every request
		case "http":
			is.Equal(len(res.Loginauth.ClearText), 0) // loginauth sends nothing
			is.Equal(res.Loginauth.Logins, int64(0))
			is.True(slices.Contains(res.OAuth2.ClearText, "token")) // oauth2 sends the token, res.OAuth2.ClearText
		}
	}
	is.Equal(runDemo("-o", "yaml").code, 2)
	is.Equal(runDemo("extra").code, 2)
}

// TestDemoCatchesFailures runs the demo with a library whose guards are
// off, one at a time, and sees the checks of that scenario fail. It
// changes demoOptions, and so must not run in parallel.
func TestDemoCatchesFailures(t *testing.T) {
	defer func() { demoOptions = func(o loginauth.Options) loginauth.Options { return o } }()
	for _, tc := range []struct {
		name     string
		options  func(*loginauth.Options)
		scenario string   // whose check fails for every provider
		want     []string // in the failures listed on stderr
	}{
		{
			name:     "no early refresh",
			options:  func(o *loginauth.Options) { o.EarlyRefresh = -1 },
			scenario: "near expiry",
			want: []string{
				"mic, near expiry: 0 background renewals started while callers took tokens, want 1",
				"xpay, near expiry: still the old token: no background renewal",
			},
		},
		{
			name:     "no backoff",
			options:  func(o *loginauth.Options) { o.MinBackoff = -1 },
			scenario: "wrong password",
			want: []string{
				"logins while backing off, want 0",
				"requests while backing off did not fail at once",
			},
		},
		{
			name:     "plain http allowed",
			options:  func(o *loginauth.Options) { o.AllowHTTP = true },
			scenario: "plain http",
			want: []string{
				"xano, plain http: 2 requests went over plain http to api.example.com, carrying [password token]",
				"plain http: the request was not refused",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			demoOptions = func(o loginauth.Options) loginauth.Options {
				tc.options(&o)
				return o
			}
			r := runDemo("-n", "20")
			is.Equal(r.code, 1) // an expectation failed
			is.True(strings.Contains(r.stdout, fmt.Sprintf("%d of %d loginauth expectations failed.", len(builtins), len(builtins)*len(scenarios))))
			is.True(strings.Contains(r.stderr, "demo: loginauth expectations failed:")) // says which: r.stderr
			for _, p := range builtins {
				is.True(strings.Contains(r.stderr, p.name+", "+tc.scenario+": ")) // every provider fails it: r.stderr
			}
			for _, w := range tc.want {
				is.True(strings.Contains(r.stderr, w)) // w: r.stderr
			}
		})
	}
}

// TestGateCountsOnlyCallsThatReturnWhileHeld has half the calls wait at
// the held gate: whileHeld lets them go once the others have returned
// and none has for stallLimit, and counts only the others.
func TestGateCountsOnlyCallsThatReturnWhileHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		g := &gate{}
		login := g.wrap(loginauthtest.RoundTripperFunc(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
		}))
		g.hold()
		ok := g.whileHeld(10, func(i int) bool {
			if i%2 == 0 {
				return true // at once
			}
			req, _ := http.NewRequest(http.MethodPost, "http://fake.test/login", nil)
			resp, err := login.RoundTrip(req) // waits at the gate
			return err == nil && resp.StatusCode == http.StatusOK
		})
		is.Equal(ok, 5)    // the calls that waited for the gate are not counted
		is.True(!g.held()) // the stall released it
	})
}
