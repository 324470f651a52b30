package loginauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/matryer/is"
	"golang.org/x/oauth2"
)

func TestStampedeOneLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		c := &counter{gate: make(chan struct{})}
		src := testSource(c.login, Options{})
		const n = 1000
		var wg sync.WaitGroup
		var got atomic.Int64
		for range n {
			wg.Go(func() {
				tok, err := src.Token()
				if err == nil && tok.AccessToken == "tok-1" {
					got.Add(1)
				}
			})
		}
		synctest.Wait()                // every caller waits
		is.Equal(c.n.Load(), int64(1)) // behind one login
		close(c.gate)
		wg.Wait()
		is.Equal(c.n.Load(), int64(1)) // one login for all
		is.Equal(got.Load(), int64(n)) // every caller got the token
		is.Equal(src.Stats().Logins, int64(1))
	})
}

func TestCallerCancelDoesNotCancelLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		c := &counter{gate: make(chan struct{})}
		src := testSource(c.login, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		first := make(chan error, 1)
		go func() { _, err := src.TokenContext(ctx); first <- err }()
		synctest.Wait() // the first caller's login has started
		second := make(chan *oauth2.Token, 1)
		go func() { tok, _ := src.Token(); second <- tok }()
		synctest.Wait() // and the second caller waits for it too
		cancel()
		err := <-first
		is.True(errors.Is(err, context.Canceled))                           // the first caller gives up at once
		is.True(strings.Contains(err.Error(), "gave up waiting for login")) // and says so
		synctest.Wait()
		close(c.gate) // a login whose ctx ended would have returned ctx.Err() before this
		tok := <-second
		is.True(tok != nil)                // the login went on for the others
		is.Equal(tok.AccessToken, "tok-1") // and it was the same login
		is.Equal(c.n.Load(), int64(1))
	})
}

// TestCancelledWaiters starts 200 callers while a login of 100 ms is in
// flight, and ends the wait of most of them, by a deadline or a cancel,
// before or after the login returns: each caller whose context ended first
// gets an error that wraps its context's, every other one the token, and
// there is one login.
func TestCancelledWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		var logins atomic.Int64
		src := testSource(func(context.Context) (*oauth2.Token, error) {
			logins.Add(1)
			time.Sleep(100 * time.Millisecond)
			return &oauth2.Token{AccessToken: "tok"}, nil
		}, Options{})
		const login = 100 * time.Millisecond
		var wg sync.WaitGroup
		var wrong, ended, served atomic.Int64
		for i := range 200 {
			end := time.Duration(i)*time.Millisecond + time.Millisecond/2 // never at the login's end
			ctx, cancel := context.WithCancel(context.Background())
			switch i % 4 {
			case 0:
				ctx, cancel = context.WithTimeout(context.Background(), end)
			case 1:
				time.AfterFunc(end, cancel)
			case 2:
				if i == 2 {
					cancel() // gone before it asks
				}
			}
			wg.Go(func() {
				defer cancel()
				tok, err := src.TokenContext(ctx)
				gone := i%4 < 2 && end < login || i == 2
				switch {
				case gone && err != nil && errors.Is(err, ctx.Err()) && ctx.Err() != nil && strings.Contains(err.Error(), "waiting for login"):
					ended.Add(1)
				case !gone && err == nil && tok.AccessToken == "tok":
					served.Add(1)
				default:
					wrong.Add(1)
				}
			})
		}
		wg.Wait()
		is.Equal(wrong.Load(), int64(0))    // each caller got what its context allows
		is.Equal(ended.Load(), int64(51))   // 50 deadlines and cancels before the login's end, and one cancelled at once
		is.Equal(served.Load(), int64(149)) // the others got the token
		is.Equal(logins.Load(), int64(1))   // of one login
	})
}

func TestCancelledCallerStartsNoLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		c := &counter{}
		src := testSource(c.login, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := src.TokenContext(ctx)
		is.True(errors.Is(err, context.Canceled))
		synctest.Wait()                // a detached login, had one started, has run by now
		is.Equal(c.n.Load(), int64(0)) // no login for a caller already gone
	})
}

func TestLoginTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		c := &counter{gate: make(chan struct{})} // never opens
		src := testSource(c.login, Options{LoginTimeout: 10 * time.Second})
		start := time.Now()
		_, err := src.Token()
		is.True(errors.Is(err, context.DeadlineExceeded))                                   // bounded by the login's own timeout
		is.True(strings.Contains(err.Error(), "no answer within the login timeout of 10s")) // and says so
		is.Equal(time.Since(start), 10*time.Second)                                         // exactly
	})
}

func TestFailedLoginSharedAndBackedOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		clk := &loginauthtest.Clock{}
		c := &counter{gate: make(chan struct{}), err: &LoginError{Provider: "test", Status: 500, Message: "down"}}
		src := testSource(c.login, Options{Now: clk.Now})
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range 50 {
			wg.Go(func() {
				if _, err := src.Token(); err != nil {
					failed.Add(1)
				}
			})
		}
		synctest.Wait() // all 50 wait for the login
		close(c.gate)
		wg.Wait()
		is.Equal(failed.Load(), int64(50))
		is.Equal(c.n.Load(), int64(1)) // the failure is shared by all its waiters

		// During the backoff window callers get the failure at once.
		_, err := src.Token()
		var be *BackoffError
		is.True(errors.As(err, &be))
		var le *LoginError
		is.True(errors.As(err, &le)) // the cause is still reachable
		is.Equal(le.Message, "down")
		is.Equal(c.n.Load(), int64(1)) // no new attempt

		// The window is MinBackoff (a second), then doubles.
		clk.Advance(time.Second - time.Nanosecond)
		_, _ = src.Token()
		is.Equal(c.n.Load(), int64(1)) // not before the second is over
		clk.Advance(time.Nanosecond)
		_, err = src.Token()
		is.True(err != nil)
		is.Equal(c.n.Load(), int64(2))
		clk.Advance(1600*time.Millisecond - time.Nanosecond) // inside the second window (1.6 s at least)
		_, _ = src.Token()
		is.Equal(c.n.Load(), int64(2))
		clk.Advance(400*time.Millisecond + time.Nanosecond) // past the second window (2 s at most)
		c.err = nil
		tok, err := src.Token()
		is.NoErr(err)
		is.Equal(tok.AccessToken, "tok-3")
		_, err = src.Token() // success clears the backoff
		is.NoErr(err)
	})
}

func TestBadCredentialsWaitLongest(t *testing.T) {
	is := is.New(t)
	clk := &loginauthtest.Clock{}
	c := &counter{err: &LoginError{Provider: "test", Status: 401, BadCredentials: true}}
	src := testSource(c.login, Options{Now: clk.Now})
	_, err := src.Token()
	is.True(err != nil)
	clk.Advance(30 * time.Second)
	_, _ = src.Token()
	is.Equal(c.n.Load(), int64(1)) // not retried within the long window
	clk.Advance(30 * time.Second)
	_, _ = src.Token()
	is.Equal(c.n.Load(), int64(2)) // retried once MaxBackoff, the longest wait, has passed
}

func TestBackoffJitterStaysWithinBounds(t *testing.T) {
	is := is.New(t)
	for range 200 {
		clk := &loginauthtest.Clock{}
		src := testSource((&counter{err: errors.New("down")}).login, Options{Now: clk.Now, MinBackoff: time.Second, MaxBackoff: 4 * time.Second})
		for n := range 5 {
			_, err := src.Token()
			var be *BackoffError
			_, err = src.Token()
			is.True(errors.As(err, &be))
			wait := be.Until.Sub(clk.Now())
			want := min(time.Second<<n, 4*time.Second)
			is.True(wait <= want && wait >= max(time.Second, want*8/10)) // jittered downward, never below MinBackoff
			clk.Advance(wait)
		}
	}
}

func TestRateLimitedLoginWaitsRetryAfter(t *testing.T) {
	is := is.New(t)
	clk := &loginauthtest.Clock{}
	c := &counter{err: &LoginError{Provider: "test", Status: 429, RetryAfter: 90 * time.Second}}
	src := testSource(c.login, Options{Now: clk.Now})
	_, err := src.Token()
	is.True(strings.Contains(err.Error(), "retry after 1m30s"))
	_, err = src.Token()
	var be *BackoffError
	is.True(errors.As(err, &be))
	is.True(be.RateLimited)                                    // it says it is a rate limit
	is.True(strings.Contains(err.Error(), "rate limited"))     // in its message too
	is.True(!be.Until.Before(clk.Now().Add(90 * time.Second))) // past MaxBackoff, as asked
	clk.Advance(89 * time.Second)
	_, _ = src.Token()
	is.Equal(c.n.Load(), int64(1)) // no login before Retry-After has passed
	clk.Advance(time.Second)
	c.err = &LoginError{Provider: "test", Status: 503, RetryAfter: time.Hour}
	_, _ = src.Token()
	is.Equal(c.n.Load(), int64(2))
	_, err = src.Token()
	is.True(errors.As(err, &be))
	is.Equal(be.Until.Sub(clk.Now()), MaxRetryAfter) // an absurd Retry-After is capped
}

func TestLoginFuncIgnoringItsContextIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		var calls atomic.Int64
		release := make(chan struct{})
		src := testSource(func(context.Context) (*oauth2.Token, error) {
			calls.Add(1)
			<-release // like an http.Post without a context
			return &oauth2.Token{AccessToken: "late"}, nil
		}, Options{LoginTimeout: 10 * time.Second, MinBackoff: time.Second})
		start := time.Now()
		var wg sync.WaitGroup
		var bounded atomic.Int64
		for range 10 {
			wg.Go(func() {
				_, err := src.Token()
				if errors.Is(err, context.DeadlineExceeded) && strings.Contains(err.Error(), "login timeout of 10s") {
					bounded.Add(1)
				}
			})
		}
		wg.Wait()
		is.Equal(bounded.Load(), int64(10))                                          // every caller got the timeout, named
		is.True(time.Since(start) <= 10*time.Second+loginGrace)                      // within the timeout and the grace
		time.Sleep(2 * time.Second)                                                  // past the backoff (synctest's clock)
		_, err := src.Token()                                                        // the stuck call is still running:
		is.True(err != nil && strings.Contains(err.Error(), "has not returned yet")) // no second login starts
		is.Equal(calls.Load(), int64(1))
		close(release)
		synctest.Wait()
		tok, err := src.Token() // its late token was kept
		is.NoErr(err)
		is.Equal(tok.AccessToken, "late")
	})
}

func TestFlightFitsOneLoginTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		st := &slowStore{delay: 4 * time.Second}
		c := &counter{gate: make(chan struct{})} // a login that honours its ctx but never ends
		src := testSource(c.login, Options{LoginTimeout: 5 * time.Second, Store: st})
		start := time.Now()
		_, err := src.Token()
		is.True(errors.Is(err, context.DeadlineExceeded))
		is.True(time.Since(start) <= 5*time.Second) // lock wait, loads and login share one deadline
	})
}

// slowStore is a Store and Locker whose every call takes delay, or until
// its ctx ends.
type slowStore struct{ delay time.Duration }

func (s *slowStore) wait(ctx context.Context) error {
	select {
	case <-time.After(s.delay):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *slowStore) Load(ctx context.Context, _ string) ([]byte, error) { return nil, s.wait(ctx) }
func (s *slowStore) Save(ctx context.Context, _ string, _ []byte, _ time.Time) error {
	return s.wait(ctx)
}
func (s *slowStore) Delete(ctx context.Context, _ string, _ []byte) error { return s.wait(ctx) }
func (s *slowStore) Lock(ctx context.Context, _ string) (func(), error) {
	return func() {}, s.wait(ctx)
}

func TestPanicsAndGoexitBecomeErrors(t *testing.T) {
	const secret = "hunter2"
	for name, login := range map[string]LoginFunc{
		"login":  func(context.Context) (*oauth2.Token, error) { panic("bad password " + secret) },
		"error":  func(context.Context) (*oauth2.Token, error) { panic(fmt.Errorf("wrapped %w", io.ErrUnexpectedEOF)) },
		"goexit": func(context.Context) (*oauth2.Token, error) { runtime.Goexit(); return nil, nil },
	} {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			src := New(Config{Provider: "test", Login: login, Origins: []string{"https://api.example.com"}, Secrets: []string{secret}})
			var wg sync.WaitGroup
			var failed atomic.Int64
			for range 20 {
				wg.Go(func() {
					if _, err := src.Token(); err != nil && !strings.Contains(err.Error(), secret) {
						failed.Add(1)
					}
				})
			}
			wg.Wait()
			is.Equal(failed.Load(), int64(20)) // every waiter has a scrubbed error; the process lives
			_, err := src.Token()
			is.True(strings.Contains(err.Error(), map[string]string{"login": "login panicked: bad password [redacted]", "error": "login panicked", "goexit": "runtime.Goexit"}[name]))
			if name == "error" {
				is.True(errors.Is(err, io.ErrUnexpectedEOF)) // a panicked error stays reachable
			}
		})
	}
	t.Run("refresh", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			is := is.New(t)
			clk := &loginauthtest.Clock{}
			c := &counter{exp: func() time.Time { return clk.Now().Add(time.Hour) }}
			src := New(Config{Provider: "test", Login: c.login, Origins: []string{"https://api.example.com"},
				Refresh: func(context.Context, *oauth2.Token) (*oauth2.Token, error) { panic("refresh") },
				Options: Options{Now: clk.Now}})
			_, err := src.Token()
			is.NoErr(err)
			clk.Advance(59 * time.Minute) // inside the early window: a background refresh panics
			_, err = src.Token()
			is.NoErr(err) // the cached token still serves, and the process lives
			synctest.Wait()
			is.Equal(src.Stats().Failures, int64(1)) // the panic became a failed refresh
		})
	})
}

// TestEarlyWindow checks when the background refresh of a token is due:
// a tenth of its lifetime, at most DefaultEarlyRefresh, at least three
// times the login, or the configured window; never more than half the
// lifetime; never with a negative window.
func TestEarlyWindow(t *testing.T) {
	for _, tt := range []struct {
		name     string
		early    time.Duration
		login    time.Duration // how long the login takes
		lifetime time.Duration
		want     time.Duration // before expiry; 0: no early refresh
	}{
		{"default: a tenth", 0, 0, 5 * time.Minute, 30 * time.Second},
		{"default: at most DefaultEarlyRefresh", 0, 0, 2 * time.Hour, DefaultEarlyRefresh},
		{"default: three logins", 0, time.Minute, 2 * time.Hour, 3 * time.Minute},
		{"default: at most half", 0, 4 * time.Minute, 10 * time.Minute, 5 * time.Minute},
		{"set", 2 * time.Minute, 0, 10 * time.Minute, 2 * time.Minute},
		{"set: at most half", time.Hour, 0, 10 * time.Minute, 5 * time.Minute},
		{"off", -1, time.Minute, 10 * time.Minute, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				is := is.New(t)
				src := testSource(func(context.Context) (*oauth2.Token, error) {
					time.Sleep(tt.login)
					return &oauth2.Token{AccessToken: "t", Expiry: time.Now().Add(tt.lifetime)}, nil
				}, Options{EarlyRefresh: tt.early, LoginTimeout: time.Hour})
				_, err := src.Token()
				is.NoErr(err)
				e := src.cur.Load()
				if tt.want == 0 {
					is.Equal(e.early, time.Duration(0)) // no early refresh
					return
				}
				is.Equal(e.early, tt.want) // the window
			})
		})
	}
}

func TestEarlyWindowCoversSlowLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		var logins atomic.Int64
		src := testSource(func(ctx context.Context) (*oauth2.Token, error) {
			logins.Add(1)
			time.Sleep(40 * time.Millisecond)
			return &oauth2.Token{AccessToken: "t", Expiry: time.Now().Add(200 * time.Millisecond)}, nil
		}, Options{})
		_, err := src.Token()
		is.NoErr(err)
		var stalled int
		for range 100 { // a request every 10 ms for a second
			start := time.Now()
			_, err := src.Token()
			is.NoErr(err)
			if time.Since(start) > 0 {
				stalled++
			}
			time.Sleep(10 * time.Millisecond)
		}
		is.Equal(stalled, 0)        // the refresh always returned before the token expired
		is.True(logins.Load() >= 5) // renewed in the background, ahead of each expiry
	})
}

// TestExpirySources checks where a token's expiry comes from: the stated
// expiry, else the JWT exp claim, else the Lifetime, else never; and that
// an absurd or unreadable one falls back to the next, without a login per
// call.
func TestExpirySources(t *testing.T) {
	clk := &loginauthtest.Clock{}
	now := clk.Now()
	jwt := func(exp any) string { return loginauthtest.RawJWT(fmt.Sprintf(`{"exp":%v}`, exp)) }
	life := now.Add(time.Minute)
	tests := []struct {
		name     string
		tok      oauth2.Token
		lifetime time.Duration
		want     time.Time
	}{
		{"stated", oauth2.Token{AccessToken: loginauthtest.JWT(now.Add(time.Hour), nil), Expiry: now.Add(2 * time.Hour)}, time.Minute, now.Add(2 * time.Hour)},
		{"jwt", oauth2.Token{AccessToken: loginauthtest.JWT(now.Add(time.Hour), nil)}, time.Minute, now.Add(time.Hour)},
		{"jwt year 9999", oauth2.Token{AccessToken: jwt(253402300799)}, time.Minute, time.Unix(253402300799, 0)},
		{"lifetime", oauth2.Token{AccessToken: "opaque"}, time.Minute, life},
		{"never", oauth2.Token{AccessToken: "opaque"}, 0, time.Time{}},
		{"stated in the past", oauth2.Token{AccessToken: "opaque", Expiry: now.Add(-time.Hour)}, time.Minute, life},
		{"stated now", oauth2.Token{AccessToken: "opaque", Expiry: now}, time.Minute, life},
		{"stated beyond year 9999", oauth2.Token{AccessToken: "opaque", Expiry: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, time.Minute, life},
		{"jwt in the past", oauth2.Token{AccessToken: loginauthtest.RawJWT(fmt.Sprintf(`{"exp":%d,"iat":%d}`, now.Add(-time.Hour).Unix(), now.Unix()))}, time.Minute, life},
		{"jwt now", oauth2.Token{AccessToken: jwt(now.Unix())}, time.Minute, life},
		{"jwt negative", oauth2.Token{AccessToken: jwt(-5)}, time.Minute, life},
		{"jwt zero", oauth2.Token{AccessToken: jwt(0)}, time.Minute, life},
		{"jwt tiny", oauth2.Token{AccessToken: jwt("1e-10")}, time.Minute, life},
		{"jwt year 10000", oauth2.Token{AccessToken: jwt(253402300800)}, time.Minute, life},
		{"jwt float overflow", oauth2.Token{AccessToken: jwt("1e300")}, time.Minute, life},
		{"jwt int overflow", oauth2.Token{AccessToken: jwt("99999999999999999999")}, time.Minute, life},
		{"jwt exp a string", oauth2.Token{AccessToken: jwt(`"tomorrow"`)}, time.Minute, life},
		{"jwt exp null", oauth2.Token{AccessToken: jwt("null")}, time.Minute, life},
		{"jwt without exp", oauth2.Token{AccessToken: loginauthtest.RawJWT(`{"sub":"alice"}`)}, time.Minute, life},
		{"jwt payload not JSON", oauth2.Token{AccessToken: loginauthtest.RawJWT(`exp`)}, time.Minute, life},
		{"jwt payload not base64", oauth2.Token{AccessToken: "eyJhbGciOiJub25lIn0.%%%.c2ln"}, time.Minute, life},
		{"jwt over 16 KiB", oauth2.Token{AccessToken: loginauthtest.RawJWT(fmt.Sprintf(`{"exp":%d,"pad":"%s"}`, now.Add(time.Hour).Unix(), strings.Repeat("a", 20<<10)))}, time.Minute, life},
		{"jwt exp a string, no lifetime", oauth2.Token{AccessToken: jwt(`"soon"`)}, 0, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var logins atomic.Int64
			src := testSource(func(context.Context) (*oauth2.Token, error) {
				logins.Add(1)
				tok := tt.tok
				return &tok, nil
			}, Options{Now: clk.Now, Lifetime: tt.lifetime})
			for range 5 {
				got, err := src.Token()
				is.NoErr(err)
				is.True(got.Expiry.Equal(tt.want)) // expiry as documented
			}
			is.Equal(logins.Load(), int64(1)) // one login for 5 calls
		})
	}
}

func TestEarlyRefreshInBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		clk := &loginauthtest.Clock{}
		c := &counter{exp: func() time.Time { return clk.Now().Add(time.Hour) }}
		src := testSource(c.login, Options{Now: clk.Now})
		tok, err := src.Token()
		is.NoErr(err)
		is.Equal(tok.AccessToken, "tok-1")

		// Block the next login, and enter the early window (one minute).
		c.gate = make(chan struct{})
		clk.Advance(time.Hour - 30*time.Second)
		for range 100 {
			tok, err := src.Token() // must not wait for the refresh
			is.NoErr(err)
			is.Equal(tok.AccessToken, "tok-1") // the still-valid token, at once
		}
		synctest.Wait()
		is.Equal(c.n.Load(), int64(2)) // one background refresh for 100 calls
		close(c.gate)
		synctest.Wait()
		tok, err = src.Token()
		is.NoErr(err)
		is.Equal(tok.AccessToken, "tok-2") // its token serves from then on
		is.Equal(c.n.Load(), int64(2))
	})
}

func TestRefreshFuncUsedThenLoginFallback(t *testing.T) {
	is := is.New(t)
	clk := &loginauthtest.Clock{}
	c := &counter{exp: func() time.Time { return clk.Now().Add(time.Hour) }}
	var refreshes atomic.Int64
	var refreshErr error
	src := New(Config{
		Login: c.login, Origins: []string{"https://api.example.com"},
		Refresh: func(ctx context.Context, old *oauth2.Token) (*oauth2.Token, error) {
			refreshes.Add(1)
			is.Equal(old.RefreshToken, "refresh") // the old token's refresh token
			if refreshErr != nil {
				return nil, refreshErr
			}
			return &oauth2.Token{AccessToken: "refreshed", Expiry: clk.Now().Add(time.Hour)}, nil
		},
		Options: Options{Now: clk.Now, EarlyRefresh: -1},
	})
	_, err := src.Token()
	is.NoErr(err)
	clk.Advance(2 * time.Hour)
	tok, err := src.Token()
	is.NoErr(err)
	is.Equal(tok.AccessToken, "refreshed")
	is.Equal(tok.RefreshToken, "refresh") // kept when none came back
	is.Equal(c.n.Load(), int64(1))        // no second login

	refreshErr = errors.New("refresh token expired")
	clk.Advance(2 * time.Hour)
	tok, err = src.Token()
	is.NoErr(err)
	is.Equal(tok.AccessToken, "tok-2") // fell back to a full login
	is.Equal(refreshes.Load(), int64(2))
}

func TestInvalidateComparesFirst(t *testing.T) {
	is := is.New(t)
	c := &counter{}
	src := testSource(c.login, Options{})
	old, _ := src.Token()
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src.Invalidate(old)
			tok, err := src.Token()
			if err != nil || tok.AccessToken != "tok-2" {
				t.Errorf("got %v, %v; want tok-2", tok, err)
			}
		}()
	}
	wg.Wait()
	is.Equal(c.n.Load(), int64(2)) // one re-login for 50 invalidations
	src.Invalidate(old)            // stale: ignored
	tok, _ := src.Token()
	is.Equal(tok.AccessToken, "tok-2")
	is.Equal(src.Stats().Invalidations, int64(1))
	src.Invalidate(tok)
	src.Invalidate(tok)                           // already forgotten: ignored
	is.Equal(src.Stats().Invalidations, int64(2)) // counted once
}

func TestHotPathAllocatesNothing(t *testing.T) {
	is := is.New(t)
	src := testSource((&counter{}).login, Options{Lifetime: time.Hour})
	_, err := src.Token()
	is.NoErr(err)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() { _, _ = src.TokenContext(ctx) })
	is.Equal(allocs, 0.0) // a cached token costs no allocation
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no login", Config{Origins: []string{"https://a.example"}}, "Config.Login is required"},
		{"no origin", Config{Login: (&counter{}).login}, "Config.Origins is required"},
		{"relative origin", Config{Login: (&counter{}).login, Origins: []string{"/api"}}, "not an absolute"},
		{"plain http", Config{Login: (&counter{}).login, Origins: []string{"http://api.example.com"}}, "plain http"},
		{"provider error", Config{Provider: "p", Err: errors.New("p: Config.Password is required")}, "Config.Password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			_, err := New(tt.cfg).Token()
			is.True(err != nil && strings.Contains(err.Error(), tt.want)) // names the problem
		})
	}
	is := is.New(t)
	_, err := New(Config{Login: (&counter{}).login, Origins: []string{"http://api.example.com"}, Options: Options{AllowHTTP: true}}).Token()
	is.NoErr(err) // when explicitly allowed
}

func TestNoSecretsInFmt(t *testing.T) {
	is := is.New(t)
	const secret = "tok-SECRET-123"
	src := testSource(func(context.Context) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: secret, RefreshToken: secret + "r"}, nil
	}, Options{})
	_, err := src.Token()
	is.NoErr(err)
	tr := NewTransport(src, nil)
	sch := HeaderScheme{Header: map[string][]string{"X-Api-Key": {secret}}}
	for _, v := range []any{src, tr, sch} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, v)
			is.True(!strings.Contains(out, "SECRET")) // no secret in fmt output
		}
	}
	is.True(strings.Contains(fmt.Sprint(src), "cached"))
}

// TestEarlyWindowDuringBackoffAllocatesNothing checks that a token in its
// early-refresh window starts no background refresh while a failed one
// backs off. Each call lets a refresh it started run to its end (it fails
// at once, inside the backoff), so that the next call could start another:
// without the check, every call would allocate a goroutine's closure and a
// flight.
func TestEarlyWindowDuringBackoffAllocatesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		clk := &loginauthtest.Clock{}
		c := &counter{exp: func() time.Time { return clk.Now().Add(time.Hour) }}
		src := testSource(c.login, Options{Now: clk.Now})
		_, err := src.Token()
		is.NoErr(err)
		c.err = errors.New("login down")
		clk.Advance(time.Hour - 30*time.Second) // into the early window
		_, err = src.Token()
		is.NoErr(err) // the valid token, while the refresh fails in the background
		synctest.Wait()
		is.Equal(src.Stats().Failures, int64(1))
		ctx := context.Background()
		allocs := testing.AllocsPerRun(100, func() {
			_, _ = src.TokenContext(ctx)
			runtime.Gosched() // a refresh, had one started, runs now
		})
		is.Equal(allocs, 0.0) // backing off costs a cached-token caller nothing
		synctest.Wait()
		is.Equal(c.n.Load(), int64(2)) // and starts no refresh
		is.Equal(src.Stats().Failures, int64(1))
	})
}

func TestCredentialHeaders(t *testing.T) {
	is := is.New(t)
	mic := HeaderScheme{Header: http.Header{"x-api-key": {"k"}}, FromExtra: map[string]string{"identityId": "identityId"}}
	src := New(Config{Login: (&counter{}).login, Origins: []string{"https://api.example.com"}, Scheme: mic})
	is.Equal(src.CredentialHeaders(), []string{"Authorization", "Identityid", "X-Api-Key"}) // before the first login
	xano := New(Config{Login: (&counter{}).login, Origins: []string{"https://api.example.com"}, Scheme: HeaderScheme{Prefix: "Bearer", TokenHeader: "x-xano-authorization"}})
	is.Equal(xano.CredentialHeaders(), []string{"X-Xano-Authorization"})

	custom := New(Config{Login: (&counter{}).login, Origins: []string{"https://api.example.com"}, Scheme: customScheme{}})
	is.Equal(custom.CredentialHeaders(), nil) // a Scheme that cannot say: nothing before a token
	_, err := custom.Token()
	is.NoErr(err)
	is.Equal(custom.CredentialHeaders(), []string{"X-Session", "X-Tenant"}) // then the fields of its credentials
}

// customScheme is a Scheme that is not a HeaderNamer.
type customScheme struct{}

func (customScheme) Credentials(tok *oauth2.Token) http.Header {
	return http.Header{"X-Tenant": {"t"}, "X-Session": {tok.AccessToken}}
}
func (customScheme) Refused(resp *http.Response) bool { return resp.StatusCode == 401 }

func TestTokenTypeFromScheme(t *testing.T) {
	is := is.New(t)
	store := &MemoryStore{}
	for _, want := range []string{"Token", "Token"} { // a login, then a token loaded from the Store
		src := New(Config{Login: (&counter{}).login, Origins: []string{"https://api.example.com"}, Scheme: TokenScheme, Options: Options{Store: store}})
		tok, err := src.Token()
		is.NoErr(err)
		is.Equal(tok.TokenType, want) // so that oauth2.Transport sends "Token <t>"
	}
	raw := New(Config{Login: (&counter{}).login, Origins: []string{"https://api.example.com"}, Scheme: HeaderScheme{}})
	tok, _ := raw.Token()
	is.Equal(tok.TokenType, "") // a raw scheme leaves it alone
}

// TestDefaultLifetime checks the precedence of a token's expiry when the
// LoginFunc states none and the token is no JWT: Options.Lifetime, else
// Config.DefaultLifetime, else never.
func TestDefaultLifetime(t *testing.T) {
	for _, c := range []struct {
		name               string
		lifetime, fallback time.Duration
		want               time.Duration // zero: never expires
	}{
		{"default only", 0, time.Hour, time.Hour},
		{"lifetime wins", 2 * time.Hour, time.Hour, 2 * time.Hour},
		{"neither", 0, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			clock := loginauthtest.NewClock(loginauthtest.Epoch)
			src := New(Config{
				Login:           func(context.Context) (*oauth2.Token, error) { return &oauth2.Token{AccessToken: "opaque"}, nil },
				Origins:         []string{"https://api.example.com"},
				DefaultLifetime: c.fallback,
				Options:         Options{Lifetime: c.lifetime, Now: clock.Now},
			})
			tok, err := src.Token()
			is.NoErr(err)
			if c.want == 0 {
				is.True(tok.Expiry.IsZero()) // no lifetime: the token never expires locally
				return
			}
			is.Equal(tok.Expiry, loginauthtest.Epoch.Add(c.want)) // the expiry follows the precedence
		})
	}
}

// TestConfigFmtHidesSchemeSecrets prints a Config whose HeaderScheme
// holds a secret field and whose Login is a closure, and a pointer to
// it, with every verb: the secret never shows.
func TestConfigFmtHidesSchemeSecrets(t *testing.T) {
	is := is.New(t)
	const secret = "hdr-SECRET-5150"
	cfg := Config{
		Provider: "example",
		Login:    func(context.Context) (*oauth2.Token, error) { return &oauth2.Token{AccessToken: secret}, nil },
		Scheme:   HeaderScheme{Header: http.Header{"X-Api-Key": {secret}}},
		Origins:  []string{"https://api.example.com"},
		Secrets:  []string{secret},
	}
	for _, v := range []any{cfg, &cfg, cfg.Options} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			is.True(!strings.Contains(fmt.Sprintf(verb, v), "SECRET")) // no secret in fmt output
		}
	}
}

// refreshing returns a Source whose first login hands out "tok-1" with a
// refresh token and an hour's expiry, whose Refresh fails with refreshErr
// (counted in refreshes), and whose later logins wait for c.gate. It
// returns the Source after the first login, with the clock past expiry.
func refreshing(t *testing.T, c *counter, refreshErr error, refreshes *atomic.Int64, opts Options) *Source {
	t.Helper()
	clk := &loginauthtest.Clock{}
	c.exp = func() time.Time { return clk.Now().Add(time.Hour) }
	gate := c.gate
	c.gate = nil
	opts.Now = clk.Now
	opts.EarlyRefresh = -1
	src := New(Config{
		Provider: "test", Login: c.login, Origins: []string{testOrigin},
		Refresh: func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			refreshes.Add(1)
			return nil, refreshErr
		},
		Options: opts,
	})
	if _, err := src.Token(); err != nil {
		t.Fatal(err)
	}
	c.gate = gate
	clk.Advance(2 * time.Hour)
	return src
}

// TestRefusedRefreshThenLoginIsOneIncident refuses a refresh, and starts
// callers after that failure and before the fallback login returns: they
// join the login and get its token, and there is one login. A test that
// starts every caller at once would pass without the rule.
func TestRefusedRefreshThenLoginIsOneIncident(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		refused := make(chan struct{})
		onEvent := func(ev Event) {
			if ev.Kind == EventFailure && ev.Op == "refresh" {
				close(refused)
			}
		}
		c := &counter{gate: make(chan struct{})}
		var refreshes atomic.Int64
		bad := &LoginError{Provider: "test", Op: "refresh", Status: 401, BadCredentials: true}
		src := refreshing(t, c, bad, &refreshes, Options{OnEvent: onEvent})
		first := make(chan error, 1)
		go func() { _, err := src.Token(); first <- err }()
		<-refused       // the refresh has failed
		synctest.Wait() // and the fallback login waits at its gate
		is.Equal(c.n.Load(), int64(2))
		const n = 50
		var wg sync.WaitGroup
		var got atomic.Int64
		for range n {
			wg.Go(func() {
				if tok, err := src.Token(); err == nil && tok.AccessToken == "tok-2" {
					got.Add(1)
				}
			})
		}
		synctest.Wait() // every late caller waits for the login
		close(c.gate)
		wg.Wait()
		is.NoErr(<-first)
		is.Equal(got.Load(), int64(n))           // every caller got the login's token
		is.Equal(c.n.Load(), int64(2))           // of one login after the first
		is.Equal(refreshes.Load(), int64(1))     // and one refresh
		is.Equal(src.Stats().Failures, int64(1)) // the refresh's failure is counted
		_, err := src.Token()
		is.NoErr(err) // no backoff is left
	})
}

// TestRefusedRefreshThenFailedLoginBacksOffOnce checks that a refused
// refresh and the failed login after it count as one failure in a row:
// the backoff is MinBackoff, not its double.
func TestRefusedRefreshThenFailedLoginBacksOffOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		c := &counter{}
		var refreshes atomic.Int64
		src := refreshing(t, c, errors.New("refresh down"), &refreshes, Options{MinBackoff: time.Second, MaxBackoff: time.Hour})
		c.err = errors.New("login down")
		_, err := src.Token()
		is.True(err != nil)
		f := src.fail.Load()
		is.True(f != nil)                        // the incident backs off
		is.Equal(f.n, 1)                         // counted once
		is.Equal(src.Stats().Failures, int64(2)) // both failures are counted
	})
}

// TestRateLimitedRefreshDoesNotLogIn checks that a refresh answered 429,
// or 503 with Retry-After, backs off as a failed login would instead of
// logging in against the same server.
func TestRateLimitedRefreshDoesNotLogIn(t *testing.T) {
	for _, le := range []*LoginError{
		{Provider: "test", Op: "refresh", Status: 429},
		{Provider: "test", Op: "refresh", Status: 503, RetryAfter: 90 * time.Second},
	} {
		t.Run(fmt.Sprint(le.Status), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				is := is.New(t)
				c := &counter{}
				var refreshes atomic.Int64
				src := refreshing(t, c, le, &refreshes, Options{})
				_, err := src.Token()
				is.True(errors.As(err, new(*LoginError))) // the refresh's failure
				_, err = src.Token()
				var be *BackoffError
				is.True(errors.As(err, &be)) // backing off
				is.True(be.RateLimited)
				is.Equal(c.n.Load(), int64(1))       // no login after the first
				is.Equal(refreshes.Load(), int64(1)) // one refresh
			})
		})
	}
}

// TestServiceUnavailableRefreshLogsIn checks that a 503 without
// Retry-After is an ordinary refresh failure, followed by a login.
func TestServiceUnavailableRefreshLogsIn(t *testing.T) {
	is := is.New(t)
	c := &counter{}
	var refreshes atomic.Int64
	src := refreshing(t, c, &LoginError{Provider: "test", Op: "refresh", Status: 503}, &refreshes, Options{})
	tok, err := src.Token()
	is.NoErr(err)
	is.Equal(tok.AccessToken, "tok-2")
}
