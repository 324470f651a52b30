package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/loginauth/loginauth"
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
	r := runDemo("-n", "100")
	is.Equal(r.code, 0) // r
	is.True(strings.Contains(r.stdout, "All 16 loginauth expectations held."))
	is.True(strings.Contains(r.stdout, "1 login, 100/100 ok")) // 100 cold requests, 1 login
	is.True(strings.Contains(r.stdout, "CHECK judges the LOGINAUTH column"))
	is.True(strings.Contains(r.stdout, "after 50ms")) // what the figures are measured against
	for _, line := range strings.Split(r.stdout, "\n") {
		is.True(len([]rune(line)) <= 100) // within 100 columns: line
	}
	for _, p := range builtins {
		for _, sc := range scenarios {
			is.True(strings.Contains(r.stdout, p.name+"  ")) // a row per provider of the table
			is.True(strings.Contains(r.stdout, sc.title))
		}
	}
	is.True(strings.Contains(r.stderr, "demo: mic   cold start")) // progress on stderr
	is.True(!strings.Contains(r.stdout, "demo:"))                 // and not on stdout

	r = runDemo("-n", "20", "-o", "json")
	is.Equal(r.code, 0) // r
	var rep demoReport
	is.NoErr(json.Unmarshal([]byte(r.stdout), &rep))
	is.True(rep.Pass)
	is.Equal(len(rep.Results), 16)
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
		}
	}
	is.Equal(runDemo("-o", "yaml").code, 2)
	is.Equal(runDemo("extra").code, 2)
}

// TestDemoCatchesFailures changes demoOptions, and so must not run in
// parallel.
func TestDemoCatchesFailures(t *testing.T) {
	is := is.New(t)
	// A library without early refresh fails the near-expiry scenario.
	demoOptions = func(o loginauth.Options) loginauth.Options {
		o.EarlyRefresh = -1
		return o
	}
	defer func() { demoOptions = func(o loginauth.Options) loginauth.Options { return o } }()
	r := runDemo("-n", "20")
	is.Equal(r.code, 1) // an expectation failed
	is.True(strings.Contains(r.stdout, "4 of 16 loginauth expectations failed."))
	is.True(strings.Contains(r.stderr, "demo: loginauth expectations failed:")) // says which: r.stderr
	is.True(strings.Contains(r.stderr, "mic, near expiry: 0 renewals under way while callers took tokens, want 1"))
	is.True(strings.Contains(r.stderr, "xpay, near expiry: still the old token: no background renewal"))
}
