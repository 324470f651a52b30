package loginauth

// Benchmarks of the moments around a login: many callers without a token,
// a login that fails, a token the API revokes, and a token that reaches
// its early-refresh window under traffic. Each runs loginauth beside
// golang.org/x/oauth2's ReuseTokenSource (and its Transport) with the same
// login function, and reports what it counts with b.ReportMetric.

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// Login latencies of the scenarios.
const (
	stampedeLatency = 5 * time.Millisecond  // cold stampede
	failLatency     = 20 * time.Millisecond // failing-login herd
	reloginLatency  = 5 * time.Millisecond  // 401 storm
	refreshLatency  = 20 * time.Millisecond // early refresh
)

var loginImpls = []string{implOAuth2, implLoginauth}

// benchCrowd is n goroutines that call a function together, once per
// round, so that a benchmark spawns them once and each iteration times
// only the calls, not the spawning.
type benchCrowd struct {
	n    int
	next *benchRound
	done sync.WaitGroup
}

// benchRound is one call of a crowd's goroutines. Its fields are
// written before start is closed and only read after.
type benchRound struct {
	start chan struct{}
	fn    func(i int) // nil ends the goroutines
	next  *benchRound
}

func newBenchCrowd(b *testing.B, n int) *benchCrowd {
	c := &benchCrowd{n: n, next: &benchRound{start: make(chan struct{})}}
	for i := range n {
		go func(r *benchRound) {
			for {
				<-r.start
				if r.fn == nil {
					return
				}
				r.fn(i)
				c.done.Done()
				r = r.next
			}
		}(c.next)
	}
	b.Cleanup(func() { close(c.next.start) })
	return c
}

// run calls fn(i) on the crowd's goroutines at once and returns when all
// calls have returned.
func (c *benchCrowd) run(fn func(i int)) {
	r := c.next
	r.fn = fn
	r.next = &benchRound{start: make(chan struct{})}
	c.next = r.next
	c.done.Add(c.n)
	close(r.start)
	c.done.Wait()
}

// benchTokenSource returns a fresh token source of impl, with no token, that
// logs in with login.
func benchTokenSource(impl string, login func() (*oauth2.Token, error), opts Options) oauth2.TokenSource {
	if impl == implOAuth2 {
		return oauth2.ReuseTokenSource(nil, benchTokenFunc(login))
	}
	return New(Config{
		Provider: "bench",
		Origins:  []string{"https://api.example.com"},
		Login:    func(context.Context) (*oauth2.Token, error) { return login() },
		Options:  opts,
	})
}

// refreshClock is a clock that runs with real time from an offset that a
// benchmark moves forward.
type refreshClock struct{ offset atomic.Int64 }

func (c *refreshClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// benchStoreMax raises m to v if v is larger.
func benchStoreMax(m *atomic.Int64, v int64) {
	for old := m.Load(); v > old && !m.CompareAndSwap(old, v); old = m.Load() {
	}
}

// The traffic and token of BenchmarkEarlyRefresh.
const (
	refreshWorkers  = 4                      // goroutines sending requests
	refreshInterval = 250 * time.Microsecond // pause between a goroutine's requests
	refreshDuration = 60 * time.Millisecond  // traffic per iteration
	refreshEnterAt  = 10 * time.Millisecond  // when the token enters its window
	refreshLifetime = 10 * time.Minute
	refreshWindow   = time.Minute
)

// refreshTransport returns a transport of impl over a no-op base, holding
// a token that enters its early-refresh window refreshEnterAt from now
// when cross is set, or not within the traffic otherwise; enter, if not
// nil, must be called at that moment. logins counts the logins, the first
// one included.
func refreshTransport(impl string, cross bool, logins *atomic.Int64) (tr http.RoundTripper, enter func()) {
	switch impl {
	case implOAuth2:
		// oauth2 reads the real clock, so the first token is issued to
		// reach the window at the right moment.
		login := func() (*oauth2.Token, error) {
			exp := time.Now().Add(refreshLifetime)
			if logins.Add(1) == 1 {
				if cross {
					exp = time.Now().Add(refreshWindow + refreshEnterAt)
				}
			} else {
				time.Sleep(refreshLatency)
			}
			return &oauth2.Token{AccessToken: benchToken, Expiry: exp}, nil
		}
		ts := oauth2.ReuseTokenSourceWithExpiry(nil, benchTokenFunc(login), refreshWindow)
		ts.Token()
		return &oauth2.Transport{Source: ts, Base: newNoop()}, nil
	case implLoginauth:
		clk := new(refreshClock)
		login := func() (*oauth2.Token, error) {
			if logins.Add(1) > 1 {
				time.Sleep(refreshLatency)
			}
			return &oauth2.Token{AccessToken: benchToken, Expiry: clk.Now().Add(refreshLifetime)}, nil
		}
		src := benchTokenSource(impl, login, Options{Now: clk.Now, EarlyRefresh: refreshWindow}).(*Source)
		src.Token()
		if cross {
			enter = func() { clk.offset.Add(int64(refreshLifetime - refreshWindow)) }
		}
		return NewTransport(src, newNoop()), enter
	default:
		logins.Add(1)
		return newNoop(), nil
	}
}

// BenchmarkEarlyRefresh sends steady traffic (4 goroutines, a request
// every 250µs each, for 60ms) through a transport whose token enters its
// one-minute early-refresh window 10ms in (window=crossed), or does not
// (window=none, the control); the refresh takes refreshLatency. For
// loginauth a controllable clock (Options.Now) jumps into the window;
// oauth2 has no clock to set, so its token is issued to reach the same
// point (oauth2.ReuseTokenSourceWithExpiry with the same window) 10ms in
// by the real clock. impl=bare is the same traffic without credentials.
//
// max-ns is the slowest request of the whole run; stalls/op counts the
// requests per iteration that took longer than half the refresh latency,
// that is, that waited for it; refreshes/op counts logins after the first.
// ns/op is suppressed: an iteration is a fixed 60ms of traffic.
func BenchmarkEarlyRefresh(b *testing.B) {
	for _, cross := range []bool{true, false} {
		name, impls := "window=crossed", []string{implOAuth2, implLoginauth, implBare}
		if !cross {
			name, impls = "window=none", loginImpls
		}
		b.Run(name, func(b *testing.B) {
			for _, impl := range impls {
				b.Run("impl="+impl, func(b *testing.B) { benchEarlyRefresh(b, impl, cross) })
			}
		})
	}
}

func benchEarlyRefresh(b *testing.B, impl string, cross bool) {
	c := newBenchCrowd(b, refreshWorkers)
	var maxNs, stalls, refreshes atomic.Int64
	iters := 0
	for b.Loop() {
		var logins atomic.Int64
		tr, enter := refreshTransport(impl, cross, &logins)
		start := time.Now()
		if enter != nil {
			time.AfterFunc(refreshEnterAt, enter)
		}
		c.run(func(int) {
			req := benchRequest(benchURL)
			var worst time.Duration
			for time.Since(start) < refreshDuration {
				t0 := time.Now()
				resp, err := tr.RoundTrip(req)
				d := time.Since(t0)
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				worst = max(worst, d)
				if d > refreshLatency/2 {
					stalls.Add(1)
				}
				time.Sleep(refreshInterval)
			}
			benchStoreMax(&maxNs, int64(worst))
		})
		refreshes.Add(logins.Load() - 1)
		iters++
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(maxNs.Load()), "max-ns")
	b.ReportMetric(float64(stalls.Load())/float64(iters), "stalls/op")
	b.ReportMetric(float64(refreshes.Load())/float64(iters), "refreshes/op")
}

// BenchmarkShortTokenSlowLogin sends steady traffic (4 goroutines, a
// request every millisecond each, for a second) with tokens that live
// 200ms and a login that takes 40ms, longer than a tenth of the
// lifetime. loginauth uses its default early-refresh window, which is at
// least three times the last login; oauth2.ReuseTokenSourceWithExpiry
// gets a window of a tenth of the lifetime (20ms). stalls/op counts the
// requests per iteration that waited longer than half a login;
// logins/op counts every login.
func BenchmarkShortTokenSlowLogin(b *testing.B) {
	const (
		lifetime = 200 * time.Millisecond
		latency  = 40 * time.Millisecond
		traffic  = time.Second
	)
	for _, impl := range loginImpls {
		b.Run("impl="+impl, func(b *testing.B) {
			c := newBenchCrowd(b, refreshWorkers)
			var stalls, logins atomic.Int64
			iters := 0
			for b.Loop() {
				login := func() (*oauth2.Token, error) {
					logins.Add(1)
					time.Sleep(latency)
					return &oauth2.Token{AccessToken: benchToken, TokenType: "Bearer", Expiry: time.Now().Add(lifetime)}, nil
				}
				var ts oauth2.TokenSource
				if impl == implOAuth2 {
					ts = oauth2.ReuseTokenSourceWithExpiry(nil, benchTokenFunc(login), lifetime/10)
				} else {
					ts = benchTokenSource(impl, login, Options{})
				}
				ts.Token()
				start := time.Now()
				c.run(func(int) {
					for time.Since(start) < traffic {
						t0 := time.Now()
						if _, err := ts.Token(); err != nil {
							b.Error(err)
							return
						}
						if time.Since(t0) > latency/2 {
							stalls.Add(1)
						}
						time.Sleep(time.Millisecond)
					}
				})
				iters++
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(stalls.Load())/float64(iters), "stalls/op")
			b.ReportMetric(float64(logins.Load())/float64(iters), "logins/op")
		})
	}
}

// stormAPI is an in-memory API that holds the first n requests with the
// token it issued first until all n are in flight, then revokes that
// token and refuses them all with 401. Every later login issues a token
// that it accepts.
type stormAPI struct {
	n       int32
	first   string // Authorization value of the first token
	valid   atomic.Pointer[string]
	arrived atomic.Int32
	gate    chan struct{}
	logins  atomic.Int64
}

func newStormAPI(n int) *stormAPI {
	return &stormAPI{n: int32(n), first: "Bearer tok-1", gate: make(chan struct{})}
}

// login issues tok-1 at once, and later tokens after reloginLatency.
func (a *stormAPI) login() (*oauth2.Token, error) {
	n := a.logins.Add(1)
	if n > 1 {
		time.Sleep(reloginLatency)
	}
	tok := "tok-" + strconv.FormatInt(n, 10)
	v := "Bearer " + tok
	a.valid.Store(&v)
	return &oauth2.Token{AccessToken: tok, TokenType: "Bearer"}, nil
}

func (a *stormAPI) RoundTrip(req *http.Request) (*http.Response, error) {
	auth := req.Header.Get("Authorization")
	if auth == a.first {
		if a.arrived.Add(1) == a.n {
			a.valid.Store(nil)
			close(a.gate)
		}
		<-a.gate
	}
	status := http.StatusUnauthorized
	if v := a.valid.Load(); v != nil && auth == *v {
		status = http.StatusOK
	}
	return &http.Response{StatusCode: status, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

// BenchmarkRefusalStorm sends 50 requests at once with a token that the
// API revokes while all 50 are in flight (a 401 storm). relogins/op counts
// the logins after the first; ok/op counts the requests that end in 200,
// out of 50. ns/op is the time until all 50 have their response.
func BenchmarkRefusalStorm(b *testing.B) {
	const requests = 50
	for _, impl := range loginImpls {
		b.Run("impl="+impl, func(b *testing.B) {
			c := newBenchCrowd(b, requests)
			var relogins, ok atomic.Int64
			iters := 0
			for b.Loop() {
				api := newStormAPI(requests)
				var tr http.RoundTripper
				if impl == implOAuth2 {
					ts := oauth2.ReuseTokenSource(nil, benchTokenFunc(api.login))
					ts.Token()
					tr = &oauth2.Transport{Source: ts, Base: api}
				} else {
					src := benchTokenSource(impl, api.login, Options{}).(*Source)
					src.Token()
					tr = NewTransport(src, api)
				}
				c.run(func(int) {
					resp, err := tr.RoundTrip(benchRequest(benchURL))
					if err != nil {
						return
					}
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						ok.Add(1)
					}
				})
				relogins.Add(api.logins.Load() - 1)
				iters++
			}
			b.ReportMetric(float64(relogins.Load())/float64(iters), "relogins/op")
			b.ReportMetric(float64(ok.Load())/float64(iters), "ok/op")
		})
	}
}

// BenchmarkFailingLoginHerd starts 50 callers at once on a token source
// whose login fails after failLatency. ns/op is the time until the last
// caller has its error; logins/op counts login attempts.
func BenchmarkFailingLoginHerd(b *testing.B) {
	const callers = 50
	errDown := errors.New("bench: login service unavailable")
	for _, impl := range loginImpls {
		b.Run("impl="+impl, func(b *testing.B) {
			c := newBenchCrowd(b, callers)
			var attempts, succeeded atomic.Int64
			login := func() (*oauth2.Token, error) {
				attempts.Add(1)
				time.Sleep(failLatency)
				return nil, errDown
			}
			iters := 0
			for b.Loop() {
				ts := benchTokenSource(impl, login, Options{})
				c.run(func(int) {
					if _, err := ts.Token(); err == nil {
						succeeded.Add(1)
					}
				})
				iters++
			}
			if succeeded.Load() != 0 {
				b.Fatalf("%d callers got a token from a failing login", succeeded.Load())
			}
			b.ReportMetric(float64(attempts.Load())/float64(iters), "logins/op")
		})
	}
}

// BenchmarkColdStampede starts n goroutines at once on a token source
// that holds no token, with a login that takes stampedeLatency. ns/op is
// the time until every goroutine has a token; logins/op counts logins.
func BenchmarkColdStampede(b *testing.B) {
	for _, n := range []int{10, 1000, 100000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			for _, impl := range loginImpls {
				b.Run("impl="+impl, func(b *testing.B) {
					c := newBenchCrowd(b, n)
					var logins, failed atomic.Int64
					login := func() (*oauth2.Token, error) {
						time.Sleep(stampedeLatency)
						logins.Add(1)
						return &oauth2.Token{AccessToken: benchToken}, nil
					}
					iters := 0
					for b.Loop() {
						ts := benchTokenSource(impl, login, Options{})
						c.run(func(int) {
							if _, err := ts.Token(); err != nil {
								failed.Add(1)
							}
						})
						iters++
					}
					if failed.Load() != 0 {
						b.Fatalf("%d callers got no token", failed.Load())
					}
					b.ReportMetric(float64(logins.Load())/float64(iters), "logins/op")
				})
			}
		})
	}
}

// The cold stampede of BenchmarkStampedeWaiters.
const (
	waiterCount   = 10_000
	waiterLatency = 100 * time.Millisecond
)

// BenchmarkStampedeWaiters measures what each waiter of a cold stampede
// allocates: waiterCount callers at once on a token source that holds no
// token, with a login of waiterLatency, after a warm-up stampede of the
// same size. The garbage collector is off while it counts
// (runtime.MemStats), and the same crowd running the harness alone
// (starting the callers, and with ctx=timeout making and cancelling each
// caller's context) is counted and subtracted. With ctx=background each
// caller calls Token; with ctx=timeout, TokenContext with its own
// context.WithTimeout (oauth2 has no context to give: its callers make
// one and drop it). The one login's own allocations are shared by all.
func BenchmarkStampedeWaiters(b *testing.B) {
	for _, timeout := range []bool{false, true} {
		name := "ctx=background"
		if timeout {
			name = "ctx=timeout"
		}
		b.Run(name, func(b *testing.B) {
			for _, impl := range loginImpls {
				b.Run("impl="+impl, func(b *testing.B) { benchStampedeWaiters(b, impl, timeout) })
			}
		})
	}
}

func benchStampedeWaiters(b *testing.B, impl string, timeout bool) {
	c := newBenchCrowd(b, waiterCount)
	login := func() (*oauth2.Token, error) {
		time.Sleep(waiterLatency)
		return &oauth2.Token{AccessToken: benchToken}, nil
	}
	var failed atomic.Int64
	call := func(ts oauth2.TokenSource) func(int) {
		return func(int) {
			var err error
			switch src, ok := ts.(*Source); {
			case !timeout:
				_, err = ts.Token()
			case ok:
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				_, err = src.TokenContext(ctx)
				cancel()
			default:
				_, cancel := context.WithTimeout(context.Background(), time.Minute)
				_, err = ts.Token()
				cancel()
			}
			if err != nil {
				failed.Add(1)
			}
		}
	}
	harness := func(int) {
		if timeout {
			_, cancel := context.WithTimeout(context.Background(), time.Minute)
			cancel()
		}
	}
	count := func(fn func(int)) (mallocs, bytes int64) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c.run(fn)
		runtime.ReadMemStats(&after)
		return int64(after.Mallocs - before.Mallocs), int64(after.TotalAlloc - before.TotalAlloc)
	}
	// A collection empties the runtime's caches of what parks a goroutine
	// (sudogs): the warm-up after the last one fills them again.
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	c.run(call(benchTokenSource(impl, login, Options{}))) // warm-up
	var allocs, bytes float64
	iters := 0
	for b.Loop() {
		hm, hb := count(harness)
		m, by := count(call(benchTokenSource(impl, login, Options{})))
		allocs += float64(m - hm)
		bytes += float64(by - hb)
		iters++
	}
	if failed.Load() != 0 {
		b.Fatalf("%d callers got no token", failed.Load())
	}
	per := float64(iters * waiterCount)
	b.ReportMetric(allocs/per, "allocs/waiter")
	b.ReportMetric(bytes/per, "B/waiter")
}
