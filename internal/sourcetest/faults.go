package sourcetest

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
)

// FaultCase is one fault of a login (or refresh) endpoint and what a
// caller must get.
type FaultCase struct {
	Fault loginauthtest.Fault
	// Want are what the error says; "{missing}" stands for the field a
	// tokenless answer lacks (Provider.Missing).
	Want []string
	// Timeout is the Source's LoginTimeout; zero means the default. A case
	// with a Timeout runs in a synctest bubble, on the fake's in-memory
	// transport.
	Timeout time.Duration
	// Is, if set, must be in the error's chain.
	Is error
}

// FaultCases are the faults every provider's login endpoint is put
// through, and the refresh endpoint of providers that have one.
var FaultCases = []FaultCase{
	{Fault: loginauthtest.Fault500, Want: []string{"HTTP 500"}},
	{Fault: loginauthtest.FaultHTML502, Want: []string{"HTTP 502", "HTML"}},
	{Fault: loginauthtest.FaultMalformedJSON, Want: []string{"not valid JSON", "read 6 bytes"}},
	{Fault: loginauthtest.FaultEmptyBody, Want: []string{"response body is empty"}},
	{Fault: loginauthtest.FaultNoToken, Want: []string{"response has no {missing}"}},
	{Fault: loginauthtest.FaultBadCredentials, Want: []string{"(credentials refused)"}},
	{Fault: loginauthtest.FaultSlow, Want: []string{"no answer within the login timeout of 300ms", "deadline exceeded"}, Timeout: 300 * time.Millisecond, Is: context.DeadlineExceeded},
	{Fault: loginauthtest.FaultHuge, Want: []string{"exceeds 1048576 bytes"}},
	{Fault: loginauthtest.FaultDropConnection, Want: []string{"reading response", "unexpected EOF"}},
	{Fault: loginauthtest.FaultDrip, Want: []string{"no answer within the login timeout of 500ms", "reading response", "deadline exceeded"}, Timeout: 500 * time.Millisecond, Is: context.DeadlineExceeded},
}

// Wants returns what an error for fc must say, for p.
func (fc FaultCase) Wants(p Provider) []string {
	var out []string
	for _, w := range fc.Want {
		out = append(out, strings.ReplaceAll(w, "{missing}", p.Missing))
	}
	return out
}

// Contains fails the test unless s holds every one of want.
func Contains(t testing.TB, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%q does not say %q", s, w)
		}
	}
}

// InBubble runs f in a synctest bubble when inBubble is set, with the
// transport that reaches fake there (its in-memory one), or directly
// with the default transport.
func InBubble(t *testing.T, fake Fake, inBubble bool, f func(t *testing.T, base http.RoundTripper)) {
	if !inBubble {
		f(t, http.DefaultTransport)
		return
	}
	synctest.Test(t, func(t *testing.T) { f(t, fake.Transport()) })
}

// loginFaults makes the login endpoint fail in each way of FaultCases:
// the caller gets an error that says what was wrong, within the login
// timeout, after one login, and the log and events show no secret;
// callers during the backoff get the same failure without another login;
// and the Source works again once the endpoint does. The timeouts run in
// a synctest bubble, and take no time.
func loginFaults(t *testing.T, p Provider) {
	for _, fc := range FaultCases {
		t.Run(fc.Fault.String(), func(t *testing.T) {
			f := p.Start()
			t.Cleanup(f.Close)
			InBubble(t, f, fc.Timeout > 0, func(t *testing.T, base http.RoundTripper) {
				is := is.New(t)
				w := newWatch(t, p)
				opts := w.options(f)
				opts.LoginTimeout = fc.Timeout
				src := p.Source(p.BaseURL(f), p.Secret, &http.Client{Transport: base}, opts)
				w.secret(p.Secret)
				c := &http.Client{Transport: loginauth.NewTransport(src, w.base(p, base))}
				f.SetFault(fc.Fault)

				var before runtime.MemStats
				if fc.Fault == loginauthtest.FaultHuge {
					runtime.GC()
					runtime.ReadMemStats(&before)
				}
				start := time.Now()
				_, err := src.Token()
				elapsed := time.Since(start)
				is.True(err != nil) // a faulty login endpoint gives no token
				if fc.Fault == loginauthtest.FaultHuge {
					var after runtime.MemStats
					runtime.ReadMemStats(&after)
					if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
						t.Errorf("a %d MiB login answer made the client allocate %d MiB", loginauthtest.DefaultHugeSize>>20, alloc>>20)
					}
				}
				msg := err.Error()
				is.True(strings.HasPrefix(msg, p.Name+": login failed")) // names the provider and the call
				Contains(t, msg, fc.Wants(p)...)
				var le *loginauth.LoginError
				is.True(errors.As(err, &le)) // a LoginError, whatever the fault
				if fc.Is != nil {
					is.True(errors.Is(err, fc.Is)) // the cause is in the chain
				}
				if fc.Timeout > 0 {
					is.Equal(elapsed, fc.Timeout) // the login timeout, to the nanosecond in the bubble
				}
				is.Equal(f.Logins(), int64(1)) // one login for the incident

				// Callers during the backoff get the failure at once.
				start = time.Now()
				_, err2 := src.Token()
				var be *loginauth.BackoffError
				is.True(errors.As(err2, &be))                // backing off
				is.True(strings.Contains(err2.Error(), msg)) // with the same failure
				if fc.Timeout > 0 {
					is.Equal(time.Since(start), time.Duration(0)) // at once
				}
				err3 := do(p, f, c)
				is.True(err3 != nil)                         // the request fails too
				is.True(strings.Contains(err3.Error(), msg)) // and says why
				is.Equal(f.Logins(), int64(1))               // still one login

				// Once the endpoint works and the backoff is over, so does
				// the Source.
				f.SetFault(loginauthtest.NoFault)
				f.Advance(2 * time.Minute)
				is.NoErr(do(p, f, c))
				is.Equal(f.Logins(), int64(2))
				tok, err := src.Token()
				is.NoErr(err)
				w.secret(tok.RefreshToken) // nor in the log, the access token being watched already
			})
		})
	}
}

// clockJumps moves the clocks of the Source and the fake, together and
// apart: the Source never sends a token it knows to be expired, never
// logs in more than once per expiry, and renews a token the API refuses
// although the Source thought it valid.
func clockJumps(t *testing.T, p Provider) {
	// env starts the fake on clk (offset by skew) and a Source on clk.
	env := func(t *testing.T, clk func() time.Time, skew time.Duration) (Fake, *loginauth.Source, *http.Client) {
		f := p.Start()
		t.Cleanup(f.Close)
		f.SetNow(func() time.Time { return clk().Add(skew) })
		w := newWatch(t, p)
		opts := w.options(f)
		opts.Now = clk
		src := p.Source(p.BaseURL(f), p.Secret, nil, opts)
		w.secret(p.Secret)
		return f, src, &http.Client{Transport: loginauth.NewTransport(src, w.base(p, nil))}
	}
	renewals := func(f Fake) int64 { return f.Logins() + f.Refreshes() }
	t.Run("ForwardPastExpiry", func(t *testing.T) {
		is := is.New(t)
		clk := loginauthtest.NewClock(time.Now())
		f, _, c := env(t, clk.Now, 0)
		is.NoErr(do(p, f, c))
		r, refused := renewals(f), f.Refused()
		clk.Advance(p.Lifetime + time.Minute) // both clocks jump past the expiry
		for range 5 {
			is.NoErr(do(p, f, c))
		}
		is.Equal(renewals(f)-r, int64(1)) // one renewal
		is.Equal(f.Refused(), refused)    // the expired token was never sent
	})
	t.Run("Backward", func(t *testing.T) {
		is := is.New(t)
		clk := loginauthtest.NewClock(time.Now())
		f, _, c := env(t, clk.Now, 0)
		is.NoErr(do(p, f, c))
		clk.Advance(-3 * time.Hour) // both clocks jump back
		for range 5 {
			is.NoErr(do(p, f, c))
		}
		is.Equal(renewals(f), int64(1)) // the token is still good: no renewal
		is.Equal(f.Refused(), int64(0))
	})
	t.Run("ExpiryInThePast", func(t *testing.T) {
		// The API's clock is two hours behind: a stated expiry (an xPay
		// expiresAt, a MIC exp claim) is already past when the token
		// arrives. The Source must not take the token for expired and log
		// in again and again.
		is := is.New(t)
		clk := loginauthtest.NewClock(time.Now())
		f, src, c := env(t, clk.Now, -2*time.Hour)
		for range 10 {
			is.NoErr(do(p, f, c))
		}
		is.Equal(renewals(f), int64(1)) // one login
		tok, err := src.Token()
		is.NoErr(err)
		now := clk.Now()
		is.True(tok.Expiry.After(now))                                // an expiry in the future
		is.True(!tok.Expiry.After(now.Add(p.Lifetime + time.Minute))) // no later than the lifetime
	})
	t.Run("ExpiryLaterThanTheAPIThinks", func(t *testing.T) {
		// The API's clock is two hours ahead, then moves on past the
		// token's real expiry while the Source's clock stands still: the
		// Source thinks the token valid, the API refuses it, and one
		// renewal follows.
		is := is.New(t)
		clk := loginauthtest.NewClock(time.Now())
		f, src, c := env(t, clk.Now, 2*time.Hour)
		is.NoErr(do(p, f, c))
		f.Advance(p.Lifetime + time.Minute)
		is.NoErr(do(p, f, c))           // refused, renewed, re-sent
		is.Equal(renewals(f), int64(2)) // one renewal
		is.Equal(f.Refused(), int64(1))
		is.Equal(src.Stats().Retries, int64(1))
	})
}

// cancelledWaiters starts 200 callers while a login is in flight, and
// cancels most of them at random times, in a synctest bubble: the
// cancelled ones get an error that wraps their context's, the others get
// the token, and the fake sees one login.
func cancelledWaiters(t *testing.T, p Provider) {
	f := p.Start()
	t.Cleanup(f.Close)
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		src, _, _ := source(t, p, f, false, f.Transport())
		f.SetLoginDelay(100 * time.Millisecond)
		defer f.SetLoginDelay(0)

		const n = 200
		type result struct {
			tok    *oauth2.Token
			err    error
			ctxErr error
		}
		results := make([]result, n)
		var wg sync.WaitGroup
		for i := range n {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			wait := time.Duration(rand.IntN(200)) * time.Millisecond
			switch {
			case i == 0: // waits for the login
			case i == 1: // gone before it asks
				cancel()
			case i%2 == 0:
				ctx, cancel = context.WithTimeout(ctx, wait)
				defer cancel()
			default:
				time.AfterFunc(wait, cancel)
			}
			wg.Go(func() {
				tok, err := src.TokenContext(ctx)
				results[i] = result{tok, err, ctx.Err()}
			})
		}
		wg.Wait()
		final, err := src.Token()
		is.NoErr(err)
		var got, gaveUp int
		for _, r := range results {
			if r.err == nil {
				got++
				is.Equal(r.tok.AccessToken, final.AccessToken) // the one token
				continue
			}
			gaveUp++
			is.True(r.ctxErr != nil) // only a cancelled caller fails
			is.True(errors.Is(r.err, context.Canceled) || errors.Is(r.err, context.DeadlineExceeded))
			is.True(errors.Is(r.err, r.ctxErr))                           // its own context's error
			is.True(strings.Contains(r.err.Error(), "waiting for login")) // says what it gave up
		}
		is.True(got >= 2 && gaveUp >= 2) // the callers cancelled after 100 ms got the token
		is.Equal(f.Logins(), int64(1))   // one login for all
	})
}
