package loginauth_test

// Fault injection against the four providers' fakes: every way a login
// endpoint can misbehave, a token revoked between the check and the
// request, clock jumps, and waiters cancelled while a login is in flight.
// Each case checks what the caller gets, how many logins the fake saw,
// and that no goroutine is left behind. RELIABILITY.md lists the cases.

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/loginauthtest"
)

// hEnv is one provider's fake with a Source and a client that uses it.
type hEnv struct {
	p      sourcetest.Provider
	f      sourcetest.Fake
	base   string // the API's base URL on the fake
	tr     *http.Transport
	src    *loginauth.Source
	client *http.Client
}

// hSetup checks that the test leaves no goroutine behind, starts p's fake
// and returns a Source (with opts) for its default account. The fake and
// the connections are closed when the test ends.
func hSetup(t *testing.T, p sourcetest.Provider, opts loginauth.Options) *hEnv {
	t.Helper()
	hNoLeak(t)
	e := &hEnv{p: p, f: p.Start(), tr: &http.Transport{}}
	t.Cleanup(e.tr.CloseIdleConnections)
	t.Cleanup(e.f.Close)
	e.base = p.URL(e.f) + p.Prefix
	if opts.Now == nil {
		opts.Now = e.f.Now
	}
	e.src = p.Source(e.base, p.Secret, &http.Client{Transport: e.tr}, opts)
	e.client = &http.Client{Transport: loginauth.NewTransport(e.src, e.tr), Timeout: 30 * time.Second}
	return e
}

// do sends the protected request and reports why it did not succeed.
func (e *hEnv) do(ctx context.Context) error {
	resp, err := e.client.Do(e.p.Request(ctx, e.base))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || strings.Contains(string(b), `"error"`) {
		return errors.New(e.p.Name + ": protected request answered " + resp.Status + ": " + string(b))
	}
	return nil
}

// renewals is the number of logins and refreshes the fake has seen.
func (e *hEnv) renewals() int64 { return e.f.Logins() + e.f.Refreshes() }

// hNoLeak records the number of goroutines and, when the test ends (after
// the cleanups registered later, which close servers and connections),
// waits up to 2 s for it to settle back.
func hNoLeak(t *testing.T) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= base {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("%d goroutines left behind (%d, baseline %d):\n%s", n-base, n, base, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// hContains fails the test unless s holds every one of want.
func hContains(t *testing.T, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%q does not say %q", s, w)
		}
	}
}

// hFaultCase is one fault of a login endpoint and what a caller must get.
type hFaultCase struct {
	fault loginauthtest.Fault
	// want are what the error says; "{missing}" stands for the field a
	// tokenless answer lacks.
	want []string
	// timeout is the Source's LoginTimeout; zero means the default.
	timeout time.Duration
	// is, if set, must be in the error's chain.
	is error
}

var hFaultCases = []hFaultCase{
	{fault: loginauthtest.Fault500, want: []string{"HTTP 500"}},
	{fault: loginauthtest.FaultHTML502, want: []string{"HTTP 502", "HTML"}},
	{fault: loginauthtest.FaultMalformedJSON, want: []string{"not valid JSON", "read 6 bytes"}},
	{fault: loginauthtest.FaultEmptyBody, want: []string{"response body is empty"}},
	{fault: loginauthtest.FaultNoToken, want: []string{"response has no {missing}"}},
	{fault: loginauthtest.FaultBadCredentials, want: []string{"(credentials refused)"}},
	{fault: loginauthtest.FaultSlow, want: []string{"no answer within the login timeout of 300ms", "deadline exceeded"}, timeout: 300 * time.Millisecond, is: context.DeadlineExceeded},
	{fault: loginauthtest.FaultHuge, want: []string{"exceeds 1048576 bytes"}},
	{fault: loginauthtest.FaultDropConnection, want: []string{"reading response", "unexpected EOF"}},
	{fault: loginauthtest.FaultDrip, want: []string{"no answer within the login timeout of 500ms", "reading response", "deadline exceeded"}, timeout: 500 * time.Millisecond, is: context.DeadlineExceeded},
}

// TestHardeningLoginFaults makes each provider's login endpoint fail in
// each way, and checks that the caller gets an error that says what was
// wrong, within the login timeout, after one login; that callers during
// the backoff get the same failure without another login; and that the
// Source works again once the endpoint does.
func TestHardeningLoginFaults(t *testing.T) {
	for _, p := range sourcetest.Providers {
		for _, fc := range hFaultCases {
			t.Run(p.Name+"/"+fc.fault.String(), func(t *testing.T) {
				is := is.New(t)
				e := hSetup(t, p, loginauth.Options{LoginTimeout: fc.timeout})
				e.f.SetFault(fc.fault)

				var before runtime.MemStats
				if fc.fault == loginauthtest.FaultHuge {
					runtime.GC()
					runtime.ReadMemStats(&before)
				}
				start := time.Now()
				_, err := e.src.Token()
				elapsed := time.Since(start)
				is.True(err != nil) // a faulty login endpoint gives no token
				if fc.fault == loginauthtest.FaultHuge {
					var after runtime.MemStats
					runtime.ReadMemStats(&after)
					alloc := after.TotalAlloc - before.TotalAlloc
					if alloc > 16<<20 {
						t.Errorf("a %d MiB login answer made the client allocate %d MiB", loginauthtest.DefaultHugeSize>>20, alloc>>20)
					}
				}
				msg := err.Error()
				t.Logf("caller got: %v", err)
				is.True(strings.HasPrefix(msg, p.Name+": login failed")) // names the provider and the call
				for _, w := range fc.want {
					hContains(t, msg, strings.ReplaceAll(w, "{missing}", p.Missing))
				}
				var le *loginauth.LoginError
				is.True(errors.As(err, &le)) // a LoginError, whatever the fault
				if fc.is != nil {
					is.True(errors.Is(err, fc.is)) // the cause is in the chain
				}
				limit := 5 * time.Second
				if fc.timeout > 0 {
					limit = fc.timeout + time.Second
				}
				if elapsed > limit {
					t.Errorf("the failed login took %v; want under %v", elapsed, limit)
				}
				is.Equal(e.f.Logins(), int64(1)) // one login for the incident

				// Callers during the backoff get the failure at once.
				start = time.Now()
				_, err2 := e.src.Token()
				var be *loginauth.BackoffError
				is.True(errors.As(err2, &be))                     // backing off
				is.True(strings.Contains(err2.Error(), msg))      // with the same failure
				is.True(time.Since(start) < 500*time.Millisecond) // at once
				err3 := e.do(context.Background())
				is.True(err3 != nil)                         // the request fails too
				is.True(strings.Contains(err3.Error(), msg)) // and says why
				is.Equal(e.f.Logins(), int64(1))             // still one login

				// Once the endpoint works and the backoff is over, so does
				// the Source.
				e.f.SetFault(loginauthtest.NoFault)
				e.f.Advance(2 * time.Minute)
				is.NoErr(e.do(context.Background()))
				is.Equal(e.f.Logins(), int64(2))
			})
		}
	}
}

// TestHardeningRevokedBetweenCheckAndRequest revokes every token after
// the Source has checked its own as valid: every refused request is
// re-sent once and succeeds, and one renewal serves them all.
func TestHardeningRevokedBetweenCheckAndRequest(t *testing.T) {
	for _, p := range sourcetest.Providers {
		t.Run(p.Name, func(t *testing.T) {
			is := is.New(t)
			e := hSetup(t, p, loginauth.Options{})
			is.NoErr(e.do(context.Background()))
			old, err := e.src.Token()
			is.NoErr(err)
			renewals, refused, requests := e.renewals(), e.f.Refused(), e.f.Requests()
			retries := e.src.Stats().Retries

			e.f.RevokeAll()
			const n = 20
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = e.do(context.Background())
				}()
			}
			wg.Wait()
			for _, err := range errs {
				is.NoErr(err) // every request succeeds
			}
			refusals := e.f.Refused() - refused
			is.True(refusals >= 1)                            // the revoked token was sent and refused
			is.Equal(e.src.Stats().Retries-retries, refusals) // each refused request re-sent once
			is.Equal(e.f.Requests()-requests, int64(n))       // and accepted
			is.Equal(e.renewals()-renewals, int64(1))         // one renewal for all
			tok, err := e.src.Token()
			is.NoErr(err)
			is.True(tok.AccessToken != old.AccessToken) // a new token
		})
	}
}

// hClock is a clock the test moves.
type hClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *hClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *hClock) Set(t time.Time)         { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *hClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestHardeningClockJumps moves the clocks of the Source and the fake,
// together and apart, and checks that the Source never sends a token it
// knows to be expired, never logs in more than once per expiry, and
// renews a token the API refuses although the Source thought it valid.
func TestHardeningClockJumps(t *testing.T) {
	for _, p := range sourcetest.Providers {
		t.Run(p.Name+"/ForwardPastExpiry", func(t *testing.T) {
			is := is.New(t)
			clk := &hClock{t: time.Now()}
			e := hSetup(t, p, loginauth.Options{Now: clk.Now})
			e.f.SetNow(clk.Now)
			is.NoErr(e.do(context.Background()))
			renewals, refused := e.renewals(), e.f.Refused()

			clk.Advance(p.Lifetime + time.Minute) // both clocks jump past the expiry
			for range 5 {
				is.NoErr(e.do(context.Background()))
			}
			is.Equal(e.renewals()-renewals, int64(1)) // one renewal
			is.Equal(e.f.Refused(), refused)          // the expired token was never sent
		})
		t.Run(p.Name+"/Backward", func(t *testing.T) {
			is := is.New(t)
			clk := &hClock{t: time.Now()}
			e := hSetup(t, p, loginauth.Options{Now: clk.Now})
			e.f.SetNow(clk.Now)
			is.NoErr(e.do(context.Background()))

			clk.Advance(-3 * time.Hour) // both clocks jump back
			for range 5 {
				is.NoErr(e.do(context.Background()))
			}
			is.Equal(e.renewals(), int64(1)) // the token is still good: no renewal
			is.Equal(e.f.Refused(), int64(0))
		})
		t.Run(p.Name+"/ExpiryInThePast", func(t *testing.T) {
			// The API's clock is two hours behind: a stated expiry (an
			// xPay expiresAt, a MIC exp claim) is already past when the
			// token arrives. The Source must not take the token for
			// expired and log in again and again.
			is := is.New(t)
			e := hSetup(t, p, loginauth.Options{Now: time.Now})
			e.f.SetNow(func() time.Time { return time.Now().Add(-2 * time.Hour) })
			for range 10 {
				is.NoErr(e.do(context.Background()))
			}
			is.Equal(e.renewals(), int64(1)) // one login
			tok, err := e.src.Token()
			is.NoErr(err)
			now := time.Now()
			is.True(tok.Expiry.After(now))                                // an expiry in the future
			is.True(!tok.Expiry.After(now.Add(p.Lifetime + time.Minute))) // no later than the lifetime
		})
		t.Run(p.Name+"/ExpiryLaterThanTheAPIThinks", func(t *testing.T) {
			// The API's clock is two hours ahead, then moves on past the
			// token's real expiry while the Source's clock stands still:
			// the Source thinks the token valid, the API refuses it, and
			// one renewal follows.
			is := is.New(t)
			clk := &hClock{t: time.Now()}
			e := hSetup(t, p, loginauth.Options{Now: clk.Now})
			e.f.SetNow(func() time.Time { return clk.Now().Add(2 * time.Hour) })
			is.NoErr(e.do(context.Background()))
			e.f.Advance(p.Lifetime + time.Minute)
			is.NoErr(e.do(context.Background())) // refused, renewed, re-sent
			is.Equal(e.renewals(), int64(2))     // one renewal
			is.Equal(e.f.Refused(), int64(1))
			is.Equal(e.src.Stats().Retries, int64(1))
		})
	}
}

// TestHardeningCancelledWaiters starts 200 callers while a login is in
// flight, and cancels most of them at random: the cancelled ones get an
// error that wraps their context's, the others get the token, and the
// fake sees one login.
func TestHardeningCancelledWaiters(t *testing.T) {
	for _, p := range sourcetest.Providers {
		t.Run(p.Name, func(t *testing.T) {
			is := is.New(t)
			e := hSetup(t, p, loginauth.Options{})
			e.f.SetLoginDelay(100 * time.Millisecond)

			const n = 200
			type result struct {
				tok    *oauth2.Token
				err    error
				ctxErr error
			}
			results := make([]result, n)
			var timers []*time.Timer
			var wg sync.WaitGroup
			start := make(chan struct{})
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
					timers = append(timers, time.AfterFunc(wait, cancel))
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					tok, err := e.src.TokenContext(ctx)
					results[i] = result{tok, err, ctx.Err()}
				}()
			}
			close(start)
			wg.Wait()
			for _, tm := range timers {
				tm.Stop()
			}
			final, err := e.src.Token()
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
			is.True(got >= 1 && gaveUp >= 1)
			is.Equal(e.f.Logins(), int64(1)) // one login for all
			t.Logf("%d callers got the token, %d gave up", got, gaveUp)
		})
	}
}
