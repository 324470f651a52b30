package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/mic/mictest"
	"github.com/loginauth/loginauth/xano/xanotest"
	"github.com/loginauth/loginauth/xpay/xpaytest"
)

// account is a fake provider with the environment of its default account.
type fakeAccount struct {
	name   string
	fake   *loginauthtest.Server
	env    map[string]string // credentials and a fresh token cache
	secret string            // the password or secret key
	call   []string          // call arguments of a protected endpoint
	want   string            // in the body of that call
}

// startFake starts the fake of provider name, closed when t ends.
func startFake(t *testing.T, name string) *fakeAccount {
	t.Helper()
	cache := filepath.Join(t.TempDir(), "cache")
	var a *fakeAccount
	switch name {
	case "mic":
		s := mictest.NewServer()
		a = &fakeAccount{fake: s.Server, secret: mictest.Password, env: map[string]string{
			"MIC_BASE_URL": s.BaseURL(), "MIC_API_KEY": mictest.APIKey,
			"MIC_USERNAME": mictest.Username, "MIC_PASSWORD": mictest.Password,
		}, call: []string{"/users/" + mictest.Username}, want: `"userName":"alice"`}
	case "xano":
		s := xanotest.NewServer()
		a = &fakeAccount{fake: s.Server, secret: xanotest.Password, env: map[string]string{
			"XANO_BASE_URL": s.BaseURL(), "XANO_EMAIL": xanotest.Email, "XANO_PASSWORD": xanotest.Password,
		}, call: []string{"/auth/me"}, want: `"email":"alice@example.test"`}
	case "crux":
		s := cruxtest.NewServer()
		a = &fakeAccount{fake: s.Server, secret: cruxtest.Password, env: map[string]string{
			"CRUX_BASE_URL": s.URL, "CRUX_USERNAME": cruxtest.Username, "CRUX_PASSWORD": cruxtest.Password,
		}, call: []string{cruxtest.PermissionsPath}, want: `"org_type":"RETAILER"`}
	case "xpay":
		s := xpaytest.NewServer()
		a = &fakeAccount{fake: s.Server, secret: xpaytest.SecretKey, env: map[string]string{
			"XPAY_BASE_URL": s.URL, "XPAY_USERNAME": xpaytest.Username, "XPAY_SECRET_KEY": xpaytest.SecretKey,
		}, call: []string{"POST", xpaytest.BillsSavePath, "-d", `{"amount":"1000000"}`}, want: `"message":"bill created"`}
	default:
		t.Fatalf("no fake %q", name)
	}
	a.name = name
	a.env["LOGINAUTH_CACHE_DIR"] = cache
	t.Cleanup(a.fake.Close)
	return a
}

// without returns a copy of env without the named variables.
func without(env map[string]string, names ...string) map[string]string {
	e := maps.Clone(env)
	for _, n := range names {
		delete(e, n)
	}
	return e
}

// result is what one run of the command did.
type result struct {
	code           int
	stdout, stderr string
}

// runCmd runs the command in this process with env as its whole
// environment and stdin as its standard input.
func runCmd(env map[string]string, stdin io.Reader, args ...string) result {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, stdin, &out, &errOut, func(k string) string { return env[k] })
	return result{code, out.String(), errOut.String()}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"demo", "token", "call", "logout"} {
		t.Run(cmd, func(t *testing.T) {
			is := is.New(t)
			for _, h := range []string{"-h", "--help"} {
				r := runCmd(nil, nil, cmd, h)
				is.Equal(r.code, 0)                                           // -h succeeds
				is.True(strings.HasPrefix(r.stdout, "Usage: loginauth "+cmd)) // help on stdout
				is.Equal(r.stderr, "")                                        // nothing on stderr
				is.Equal(runCmd(nil, nil, "help", cmd).stdout, r.stdout)      // help <cmd> is <cmd> -h
			}
		})
	}
	is := is.New(t)
	for _, env := range []string{"token", "call"} {
		r := runCmd(nil, nil, env, "-h")
		for _, v := range []string{"MIC_BASE_URL", "MIC_API_KEY", "MIC_USERNAME", "MIC_PASSWORD", "XANO_BASE_URL", "XANO_EMAIL",
			"XANO_PASSWORD", "CRUX_BASE_URL", "CRUX_USERNAME", "CRUX_PASSWORD", "XPAY_BASE_URL", "XPAY_USERNAME", "XPAY_SECRET_KEY",
			"LOGINAUTH_CACHE_DIR", "--password", "--cache-dir"} {
			is.True(strings.Contains(r.stdout, v)) // the help names every variable
		}
	}

	r := runCmd(nil, nil)
	is.Equal(r.code, 2)                                     // no command is a usage error
	is.True(strings.Contains(r.stderr, "Usage: loginauth")) // with the usage on stderr
	r = runCmd(nil, nil, "-h")
	is.Equal(r.code, 0)
	is.True(strings.Contains(r.stdout, "Commands:"))
	r = runCmd(nil, nil, "frobnicate")
	is.Equal(r.code, 2)                                                 // unknown command
	is.True(strings.Contains(r.stderr, `unknown command "frobnicate"`)) // says which
	r = runCmd(nil, nil, "--password=hunter2", "token", "mic")
	is.Equal(r.code, 2)                               // a flag before the command
	is.True(strings.Contains(r.stderr, "--password")) // says which
	is.True(!strings.Contains(r.stderr, "hunter2"))   // not its value
	r = runCmd(nil, nil, "token", "mic", "--no-such-flag")
	is.Equal(r.code, 2)                                             // unknown flag
	is.True(strings.Contains(r.stderr, "-no-such-flag"))            // says which
	is.True(strings.Contains(r.stderr, "Run 'loginauth token -h'")) // and where to look
}

func TestToken(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"mic", "xano", "crux", "xpay"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			a := startFake(t, name)
			r := runCmd(a.env, nil, "token", name)
			is.Equal(r.code, 0) // stderr: r.stderr
			tok := strings.TrimSpace(r.stdout)
			is.True(a.fake.Valid(tok))   // prints a valid token
			is.Equal(r.stdout, tok+"\n") // and nothing else
			is.Equal(a.fake.Logins(), int64(1))

			r = runCmd(a.env, nil, "token", name)
			is.Equal(r.code, 0)
			is.Equal(strings.TrimSpace(r.stdout), tok) // the stored token again
			is.Equal(a.fake.Logins(), int64(1))        // without logging in

			r = runCmd(a.env, nil, "token", "-o", "json", name)
			is.Equal(r.code, 0)
			var v tokenJSON
			is.NoErr(json.Unmarshal([]byte(r.stdout), &v))
			is.Equal(v.Provider, name)
			is.Equal(v.AccessToken, tok)
			is.True(!v.Expiry.IsZero()) // every provider's token has an expiry
			is.Equal(v.IdentityID != "", name == "mic")
		})
	}
}

func TestTokenCacheDir(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	a := startFake(t, "xano")
	env := without(a.env, "LOGINAUTH_CACHE_DIR")
	dir := filepath.Join(t.TempDir(), "flagcache")
	for range 2 {
		r := runCmd(env, nil, "token", "xano", "--cache-dir", dir)
		is.Equal(r.code, 0) // stderr: r.stderr
	}
	is.Equal(a.fake.Logins(), int64(1)) // --cache-dir keeps the token
	m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	is.Equal(len(m), 1) // in the directory given
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	a := startFake(t, "crux")
	env := map[string]string{"CRUX_BASE_URL": "http://127.0.0.1:1", "CRUX_USERNAME": "nobody", "CRUX_PASSWORD": "wrong",
		"LOGINAUTH_CACHE_DIR": a.env["LOGINAUTH_CACHE_DIR"]}
	r := runCmd(env, strings.NewReader(cruxtest.Password+"\n"), "token", "crux",
		"--base-url", a.env["CRUX_BASE_URL"], "--username", cruxtest.Username, "--password-stdin")
	is.Equal(r.code, 2) // --password-stdin with a password in the environment is ambiguous
	is.True(strings.Contains(r.stderr, "--password-stdin"))

	delete(env, "CRUX_PASSWORD")
	r = runCmd(env, strings.NewReader(cruxtest.Password+"\n"), "token", "crux",
		"--base-url", a.env["CRUX_BASE_URL"], "--username", cruxtest.Username, "--password-stdin")
	is.Equal(r.code, 0) // stderr: r.stderr
	is.True(a.fake.Valid(strings.TrimSpace(r.stdout)))
}

func TestCall(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"mic", "xano", "crux", "xpay"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			a := startFake(t, name)
			args := append([]string{"call", name}, a.call...)
			for range 2 {
				r := runCmd(a.env, nil, args...)
				is.Equal(r.code, 0)                         // stderr: r.stderr
				is.True(strings.Contains(r.stdout, a.want)) // the body: r.stdout
				is.Equal(r.stderr, "")
			}
			is.Equal(a.fake.Logins(), int64(1))   // the second call used the stored token
			is.Equal(a.fake.Requests(), int64(2)) // both calls were authorized
		})
	}
}

func TestCallFullURLAndErrors(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	a := startFake(t, "mic")
	base := a.env["MIC_BASE_URL"]

	r := runCmd(a.env, nil, "call", "mic", "GET", base+"/users/alice")
	is.Equal(r.code, 0) // a full URL is used as it is
	is.True(strings.Contains(r.stdout, `"userName":"alice"`))

	r = runCmd(a.env, nil, "call", "mic", "/users/nobody")
	is.Equal(r.code, 1)                                       // HTTP 404 fails
	is.True(strings.Contains(r.stdout, "USER_NOT_FOUND"))     // and prints the body anyway
	is.True(strings.Contains(r.stderr, "HTTP 404 Not Found")) // and the status on stderr

	r = runCmd(a.env, nil, "call", "mic")
	is.Equal(r.code, 2) // no path
	r = runCmd(a.env, nil, "call", "mic", "get", "/users/alice")
	is.Equal(r.code, 2) // not a method
	is.True(strings.Contains(r.stderr, `"get" is not an HTTP method`))
	r = runCmd(a.env, nil, "call", "mic", "ftp://example.com/")
	is.Equal(r.code, 2) // not http
	r = runCmd(a.env, nil, "call", "mic", "/users/alice", "-H", "no colon")
	is.Equal(r.code, 2) // a bad header
}

func TestCallRefusedStoredToken(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	a := startFake(t, "xpay")
	args := append([]string{"call", "xpay"}, a.call...)
	r := runCmd(a.env, nil, args...)
	is.Equal(r.code, 0) // stderr: r.stderr
	a.fake.RevokeAll()
	r = runCmd(a.env, nil, args...)
	is.Equal(r.code, 0)                         // the refused stored token is replaced
	is.True(strings.Contains(r.stdout, a.want)) // and the request re-sent
	is.Equal(a.fake.Logins(), int64(2))
	is.Equal(a.fake.Refused(), int64(1))
	r = runCmd(a.env, nil, args...)
	is.Equal(r.code, 0)
	is.Equal(a.fake.Logins(), int64(2)) // the new token was stored
}

func TestCallVerbose(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	a := startFake(t, "mic")
	tok := strings.TrimSpace(runCmd(a.env, nil, "token", "mic").stdout)
	a.fake.RevokeAll() // so that the call logs in again, and shows it

	r := runCmd(a.env, nil, "call", "-v", "mic", "/users/alice")
	is.Equal(r.code, 0) // stderr: r.stderr
	for _, want := range []string{
		"> GET /prod/users/alice HTTP/1.1",
		"> Authorization: [redacted]",
		"> X-Api-Key: [redacted]",
		"> Identityid: [redacted]",
		"< HTTP/1.1 401 Unauthorized",
		"< HTTP/1.1 200 OK",
		"level=DEBUG",
		"token loaded from store",
		"event=invalidate",
		"event=refresh", // MIC renews a refused token with its refresh token
		"event=retry",
	} {
		is.True(strings.Contains(r.stderr, want)) // -v shows it: want
	}
	for _, secret := range []string{tok, mictest.APIKey, mictest.Password, mictest.IdentityID} {
		is.True(!strings.Contains(r.stderr, secret)) // -v never shows a credential
		is.True(!strings.Contains(r.stdout, secret))
	}
	is.Equal(a.fake.Logins(), int64(1))    // by the token command
	is.Equal(a.fake.Refreshes(), int64(1)) // by the call
}

func TestLogout(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"mic", "xano", "crux", "xpay"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			a := startFake(t, name)
			r := runCmd(a.env, nil, "token", name)
			is.Equal(r.code, 0) // stderr: r.stderr

			// logout needs no password.
			env := without(a.env, "MIC_PASSWORD", "XANO_PASSWORD", "CRUX_PASSWORD", "XPAY_SECRET_KEY", "MIC_API_KEY")
			r = runCmd(env, nil, "logout", name)
			is.Equal(r.code, 0) // stderr: r.stderr
			is.True(strings.Contains(r.stderr, "Forgot the stored token"))

			r = runCmd(a.env, nil, "token", name)
			is.Equal(r.code, 0)
			is.Equal(a.fake.Logins(), int64(2)) // the token after logout is a new login

			r = runCmd(env, nil, "logout", name, "--username", "somebody-else")
			is.Equal(r.code, 0)
			is.True(strings.Contains(r.stderr, "No stored token")) // other accounts are other keys
			r = runCmd(a.env, nil, "token", name)
			is.Equal(a.fake.Logins(), int64(2)) // and ours is still there
		})
	}
}

func TestUnknownProvider(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"token", "github"}, {"call", "github", "/user"}, {"logout", "github"}, {"token"}} {
		is := is.New(t)
		r := runCmd(nil, nil, args...)
		is.Equal(r.code, 2)                                            // a usage error: args
		is.True(strings.Contains(r.stderr, "mic, xano, crux or xpay")) // names the providers: r.stderr
		if len(args) > 1 {
			is.True(strings.Contains(r.stderr, `unknown provider "github"`))
		}
		is.Equal(r.stdout, "")
	}
}

func TestMissingCredentials(t *testing.T) {
	t.Parallel()
	a := startFake(t, "mic")
	for _, tc := range []struct {
		unset string
		want  string
	}{
		{"MIC_BASE_URL", "set MIC_BASE_URL or --base-url"},
		{"MIC_API_KEY", "set MIC_API_KEY or --api-key"},
		{"MIC_USERNAME", "set MIC_USERNAME or --username"},
		{"MIC_PASSWORD", "set MIC_PASSWORD"},
	} {
		for _, cmd := range [][]string{{"token", "mic"}, {"call", "mic", "/users/alice"}} {
			is := is.New(t)
			r := runCmd(without(a.env, tc.unset), strings.NewReader("not a terminal"), cmd...)
			is.Equal(r.code, 2)                          // missing: tc.unset
			is.True(strings.Contains(r.stderr, tc.want)) // names the variable: r.stderr
		}
	}
	is := is.New(t)
	is.Equal(a.fake.Logins(), int64(0)) // nothing was tried

	b := startFake(t, "xpay")
	r := runCmd(without(b.env, "XPAY_SECRET_KEY"), nil, "token", "xpay")
	is.Equal(r.code, 2)
	is.True(strings.Contains(r.stderr, "no secret key: set XPAY_SECRET_KEY"))

	r = runCmd(without(b.env, "XPAY_BASE_URL", "XPAY_SECRET_KEY"), nil, "token", "xpay")
	is.Equal(r.code, 2) // the default base URL is used; the secret is still missing
	is.True(strings.Contains(r.stderr, "XPAY_SECRET_KEY"))

	r = runCmd(map[string]string{"XANO_BASE_URL": "not a url", "XANO_EMAIL": "a@b", "XANO_PASSWORD": "x"}, nil, "token", "xano")
	is.Equal(r.code, 2)
	is.True(strings.Contains(r.stderr, "not an absolute http or https URL"))
}

func TestRefusedLogin(t *testing.T) {
	t.Parallel()
	const wrong = "Wr0ng-Secret-Do-Not-Print"
	for _, tc := range []struct {
		name, flag, msg string
	}{
		{"mic", "--password", `"Invalid login"`},
		{"xano", "--password", `"Invalid Credentials."`},
		{"crux", "--password", `"Invalid username/password."`},
		{"xpay", "--secret-key", `"invalid credentials"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := startFake(t, tc.name)
			for _, args := range [][]string{
				{"token", tc.name, tc.flag, wrong},
				append(append([]string{"call", tc.name}, a.call...), tc.flag, wrong),
				append(append([]string{"call", "-v", tc.name}, a.call...), tc.flag+"="+wrong),
			} {
				is := is.New(t)
				r := runCmd(a.env, nil, args...)
				is.Equal(r.code, 1)                         // a refused login fails
				is.True(strings.Contains(r.stderr, tc.msg)) // with the provider's message: r.stderr
				is.True(strings.Contains(r.stderr, "credentials refused"))
				is.True(!strings.Contains(r.stderr, wrong)) // never the secret
				is.True(!strings.Contains(r.stdout, wrong))
				is.True(!strings.Contains(r.stderr, a.secret)) // nor the real one in the environment
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	a := startFake(t, "crux")
	env := maps.Clone(a.env)
	env["CRUX_BASE_URL"] = "http://127.0.0.1:1"
	for _, args := range [][]string{{"token", "crux"}, {"call", "crux", "/timp/organizations/permissions/"}} {
		is := is.New(t)
		r := runCmd(env, nil, args...)
		is.Equal(r.code, 1)                                         // an unreachable host fails
		is.True(strings.Contains(r.stderr, "127.0.0.1:1"))          // says which: r.stderr
		is.True(strings.Contains(r.stderr, "cannot reach the API")) // and what to check
		is.True(strings.Contains(r.stderr, "CRUX_BASE_URL"))
		is.True(!strings.Contains(r.stderr, cruxtest.Password))
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	r := runCmd(nil, nil, "demo", "-n", "50")
	is.Equal(r.code, 0) // stderr: r.stderr
	is.True(strings.Contains(r.stdout, "All 16 loginauth expectations held."))
	for _, p := range []string{"mic", "xano", "crux", "xpay"} {
		for _, sc := range scenarios {
			is.True(strings.Contains(r.stdout, p+"  ")) // a row per provider
			is.True(strings.Contains(r.stdout, sc.title))
		}
	}
	is.True(strings.Contains(r.stderr, "demo: mic   cold start")) // progress on stderr
	is.True(!strings.Contains(r.stdout, "demo:"))                 // and not on stdout

	r = runCmd(nil, nil, "demo", "-n", "20", "-o", "json")
	is.Equal(r.code, 0) // stderr: r.stderr
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

	r = runCmd(nil, nil, "demo", "-o", "yaml")
	is.Equal(r.code, 2)
	r = runCmd(nil, nil, "demo", "extra")
	is.Equal(r.code, 2)
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
	r := runCmd(nil, nil, "demo", "-n", "20")
	is.Equal(r.code, 1) // an expectation failed
	is.True(strings.Contains(r.stdout, "4 of 16 loginauth expectations failed."))
	is.True(strings.Contains(r.stderr, "demo: loginauth expectations failed:")) // says which: r.stderr
	is.True(strings.Contains(r.stderr, "mic, near expiry: 0 renewals under way while callers took tokens, want 1"))
	is.True(strings.Contains(r.stderr, "xpay, near expiry: still the old token: no background renewal"))
}
