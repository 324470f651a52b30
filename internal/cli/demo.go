package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
)

func init() {
	register(&command{
		name:  "demo",
		args:  "[flags]",
		short: "show the library against the four fakes, beside golang.org/x/oauth2 (no account, no network)",
		long: `Start the fake mic, xano, crux and xpay servers in this process (no
account, no network) and show, for each provider, what the library does
beside golang.org/x/oauth2: an oauth2.Transport with an
oauth2.ReuseTokenSource over a TokenSource that makes the same login call.

  cold start    N concurrent requests and no token yet: how many logins
  revoked       the API revokes the token, then N concurrent requests:
                how many logins, how many requests fail
  near expiry   the token enters its last 30 s (on the fakes' clock): do
                callers wait for its renewal
  redirect      the API redirects to another host: does that host get the
                credentials

The fakes answer each login after 50 ms, so that concurrent callers
overlap; the times in the table are measured against that delay. Each
check judges the loginauth column only: the oauth2 column is for
comparison. Progress goes to stderr; the table, or JSON, to stdout. The
exit status is 1 when any of the library's expectations fails.
`,
		setup: func(fs *flagSet) func(context.Context, *cli, []string) error {
			output, n := "table", 1000
			fs.stringFlag(&output, "output", "o", "table", "the output `FORMAT`: table or json")
			fs.IntVar(&n, "n", n, "`N` concurrent requests per scenario, 1 to 5000")
			fs.def("n", "")
			return func(ctx context.Context, c *cli, pos []string) error {
				switch {
				case len(pos) > 0:
					return usagef("demo takes no arguments, got %d", len(pos))
				case output != "table" && output != "json":
					return usagef("-o %q: want table or json", output)
				case n < 1 || n > 5000:
					return usagef("-n %d: want 1 to 5000", n)
				}
				return c.demo(ctx, output, n)
			}
		},
	})
}

// Pacing of the demo. The fakes answer logins after loginDelay, so that
// concurrent callers overlap, and oauth2's renewal near expiry after
// renewDelay, long enough to see its callers wait.
const (
	loginDelay   = 50 * time.Millisecond
	renewDelay   = 200 * time.Millisecond
	expiryMargin = 30 * time.Second // left of the token's life in "near expiry"
	oauth2Margin = 5 * time.Second  // inside oauth2's own 10 s expiry margin
	redirectPath = "/loginauth-demo/redirect"
)

// credentialHeaders are the fields that carry a provider's credentials.
var credentialHeaders = []string{"Authorization", "X-Api-Key", "Identityid"}

// The scenarios, in the order they run.
var scenarios = []struct{ id, title string }{
	{"cold", "cold start"},
	{"revoked", "revoked"},
	{"expiry", "near expiry"},
	{"redirect", "redirect"},
}

// demoReport is the output of the demo, and its JSON form.
type demoReport struct {
	Requests int          `json:"requests"` // concurrent requests per scenario
	Pass     bool         `json:"pass"`     // every loginauth expectation held
	Failures []string     `json:"failures"` // the expectations that did not
	Results  []demoResult `json:"results"`
}

// demoResult is one scenario of one provider.
type demoResult struct {
	Provider  string   `json:"provider"`
	Scenario  string   `json:"scenario"`
	Expect    string   `json:"expect"` // the library's expectation
	Pass      bool     `json:"pass"`
	Loginauth demoCell `json:"loginauth"`
	OAuth2    demoCell `json:"oauth2"`
}

// demoCell is what one library did in one scenario.
type demoCell struct {
	Summary   string   `json:"summary"`
	Logins    int64    `json:"logins"`    // seen by the fake
	Refreshes int64    `json:"refreshes"` // seen by the fake
	Requests  int      `json:"requests"`
	OK        int      `json:"ok"`                // requests that succeeded
	Retried   int64    `json:"retried,omitempty"` // requests re-sent after a refusal
	MaxWaitMS *float64 `json:"max_wait_ms,omitempty"`
	// CredentialsLeaked reports whether the other host received
	// credentials, and Leaked lists their fields (redirect only).
	CredentialsLeaked *bool    `json:"credentials_leaked,omitempty"`
	Leaked            []string `json:"leaked,omitempty"`
	Problems          []string `json:"problems,omitempty"` // loginauth: failed expectations
}

func (c *cli) demo(ctx context.Context, output string, n int) error {
	start := time.Now()
	fmt.Fprintf(c.stderr, "demo: starting fake mic, xano, crux and xpay servers, and other hosts to redirect to\n")
	targets := startFakes()
	defer func() {
		for _, t := range targets {
			t.fake.Close()
		}
	}()

	// The providers run side by side, each against its own fake; the
	// scenarios of one provider run in turn, as they share its clock.
	var progress sync.Mutex // serialises the progress lines
	results := make([][]demoResult, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			d := &demoRun{target: t, n: n, foreign: newForeignHost(), gate: &gate{}}
			defer d.foreign.Close()
			d.tr = &http.Transport{MaxConnsPerHost: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: 5 * time.Second}
			defer d.tr.CloseIdleConnections()
			for _, sc := range scenarios {
				if ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				r := d.run(ctx, sc.id)
				r.Pass = len(r.Loginauth.Problems) == 0
				results[i] = append(results[i], r)
				progress.Lock()
				fmt.Fprintf(c.stderr, "demo: %-4s  %-22s  %-4s  %v\n", t.name, sc.title, check(r.Pass), time.Since(t0).Round(time.Millisecond))
				progress.Unlock()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "demo: done in %v\n", time.Since(start).Round(time.Millisecond))

	rep := demoReport{Requests: n, Pass: true, Failures: []string{}}
	for _, rs := range results {
		for _, r := range rs {
			for _, p := range r.Loginauth.Problems {
				rep.Pass = false
				rep.Failures = append(rep.Failures, fmt.Sprintf("%s, %s: %s", r.Provider, scenarioTitle(r.Scenario), p))
			}
			rep.Results = append(rep.Results, r)
		}
	}

	if output == "json" {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		writeTable(c.stdout, &rep)
	}
	if !rep.Pass {
		fmt.Fprintf(c.stderr, "demo: loginauth expectations failed:\n")
		for _, f := range rep.Failures {
			fmt.Fprintf(c.stderr, "  %s\n", f)
		}
		return errSilent
	}
	return nil
}

// writeTable writes rep as an aligned table, within 100 columns.
func writeTable(w io.Writer, rep *demoReport) {
	fmt.Fprintf(w, "loginauth beside oauth2 (oauth2.Transport + oauth2.ReuseTokenSource over the same login\n")
	fmt.Fprintf(w, "call), %d concurrent requests per scenario, against in-process fakes that answer\n", rep.Requests)
	fmt.Fprintf(w, "each login after %v. CHECK judges the LOGINAUTH column; OAUTH2 is for comparison.\n\n", loginDelay)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tSCENARIO\tLOGINAUTH\tOAUTH2\tCHECK")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Provider, scenarioTitle(r.Scenario), r.Loginauth.Summary, r.OAuth2.Summary, check(r.Pass))
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Figures: logins and refreshes as the fake counted them; \"ok\" requests that succeeded,\n")
	fmt.Fprintf(w, "\"re-sent\" the refused ones sent again after the renewal; times are the longest wait\n")
	fmt.Fprintf(w, "of a caller, on this machine.\n\n")
	if rep.Pass {
		fmt.Fprintf(w, "All %d loginauth expectations held.\n", len(rep.Results))
	} else {
		failed := 0
		for _, r := range rep.Results {
			if !r.Pass {
				failed++
			}
		}
		fmt.Fprintf(w, "%d of %d loginauth expectations failed.\n", failed, len(rep.Results))
	}
}

// scenarioTitle returns the title of the scenario id.
func scenarioTitle(id string) string {
	for _, sc := range scenarios {
		if sc.id == id {
			return sc.title
		}
	}
	return id
}

// check is the CHECK column of a result.
func check(pass bool) string {
	if pass {
		return "ok"
	}
	return "FAIL"
}

// target is a fake provider and how to talk to it.
type target struct {
	name string
	p    *provider
	fake *loginauthtest.Server
	base string // the API's base URL
	// source returns a Source for the fake's default account, whose
	// login calls go through client.
	source func(o loginauth.Options, client *http.Client) *loginauth.Source
	// tokenType is the oauth2.Token.TokenType that makes oauth2 send the
	// provider's Authorization prefix ("" means Bearer).
	tokenType string
	// adapt, if set, wraps the base of the oauth2.Transport to put the
	// token where the provider wants it (MIC: raw, with its API key and
	// identityId), as an oauth2 user would have to.
	adapt func(base http.RoundTripper, last func() *oauth2.Token) http.RoundTripper
	// request returns the provider's protected call.
	request func(ctx context.Context) *http.Request
	// ok reports whether a response is a success.
	ok func(status int, body []byte) bool
}

// startFakes starts the fake of every built-in provider.
func startFakes() []*target {
	var ts []*target
	for _, p := range builtins {
		srv, vals := p.fake()
		v := vals()
		base := v[varBase]
		method, path, body := p.sample[0], p.sample[1], p.sample[2]
		t := &target{
			name: p.name, p: p, fake: srv, base: base,
			source: func(o loginauth.Options, hc *http.Client) *loginauth.Source {
				return p.source(v, hc, o)
			},
			tokenType: p.tokenType,
			request: func(ctx context.Context) *http.Request {
				var r io.Reader
				if body != "" {
					r = strings.NewReader(body)
				}
				req, _ := http.NewRequestWithContext(ctx, method, base+path, r)
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				return req
			},
			ok: func(status int, b []byte) bool {
				return status < 400 && (p.failed == nil || !p.failed(status, b))
			},
		}
		if p.raw {
			t.adapt = rawAdapter(base, v[varAPIKey])
		}
		ts = append(ts, t)
	}
	return ts
}

// rawAdapter puts an oauth2 token where MIC wants it: the token raw in
// Authorization, and the API key and identityId on requests to the API.
// oauth2.Transport can only send "Authorization: <type> <token>".
func rawAdapter(base, apiKey string) func(http.RoundTripper, func() *oauth2.Token) http.RoundTripper {
	return func(next http.RoundTripper, last func() *oauth2.Token) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			r := req.Clone(req.Context())
			if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
				r.Header.Set("Authorization", v)
			}
			if strings.HasPrefix(r.URL.String(), base) {
				r.Header.Set("X-Api-Key", apiKey)
				if t := last(); t != nil {
					id, _ := t.Extra("identityId").(string)
					r.Header.Set("identityId", id)
				}
			}
			return next.RoundTrip(r)
		})
	}
}

// gate holds back the login calls of the demo's Sources while it is
// held, so that the demo can tell a caller that waits for a renewal from
// one that does not, whatever the machine's speed.
type gate struct {
	mu      sync.Mutex    // guards ch
	ch      chan struct{} // closed on release; nil when not held
	waiters atomic.Int64  // calls waiting at the gate
}

func (g *gate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ch = make(chan struct{})
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
}

// waiting returns the number of calls waiting at the gate, after giving
// a call that is on its way a moment to arrive.
func (g *gate) waiting() int64 {
	for range 100 {
		if n := g.waiters.Load(); n > 0 {
			return n
		}
		time.Sleep(time.Millisecond)
	}
	return 0
}

// wrap returns next behind the gate.
func (g *gate) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		g.mu.Lock()
		ch := g.ch
		g.mu.Unlock()
		if ch != nil {
			g.waiters.Add(1)
			defer g.waiters.Add(-1)
			select {
			case <-ch:
			case <-req.Context().Done():
				if req.Body != nil {
					req.Body.Close()
				}
				return nil, req.Context().Err()
			}
		}
		return next.RoundTrip(req)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// foreignHost is another origin that records the header of every request.
type foreignHost struct {
	*httptest.Server
	mu      sync.Mutex // guards headers
	headers []http.Header
}

func newForeignHost() *foreignHost {
	h := &foreignHost{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.headers = append(h.headers, r.Header.Clone())
		h.mu.Unlock()
		io.WriteString(w, "the foreign host\n")
	}))
	return h
}

// take returns the recorded headers and forgets them.
func (h *foreignHost) take() []http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	hs := h.headers
	h.headers = nil
	return hs
}

// demoRun runs the scenarios against one target.
type demoRun struct {
	target  *target
	n       int
	tr      *http.Transport // the base transport of both libraries
	gate    *gate           // on the login calls of loginauth's Sources
	foreign *foreignHost
}

func (d *demoRun) run(ctx context.Context, id string) demoResult {
	t := d.target
	r := demoResult{Provider: t.name, Scenario: id}
	switch id {
	case "cold":
		r.Expect = fmt.Sprintf("1 login; %d/%d requests succeed", d.n, d.n)
		r.Loginauth = d.coldLoginauth(ctx)
		r.OAuth2 = d.coldOAuth2(ctx)
	case "revoked":
		r.Expect = fmt.Sprintf("1 renewal; %d/%d requests succeed, the refused ones on their retry", d.n, d.n)
		r.Loginauth = d.revokedLoginauth(ctx)
		r.OAuth2 = d.revokedOAuth2(ctx)
	case "expiry":
		r.Expect = "callers get the old token at once; 1 background renewal; then the new token"
		if t.p.refresh {
			r.Expect += " (a refresh)"
		}
		r.Loginauth = d.expiryLoginauth(ctx)
		r.OAuth2 = d.expiryOAuth2(ctx)
	case "redirect":
		r.Expect = "credentials on the API's requests only; the other host gets none"
		r.Loginauth = d.redirectLoginauth(ctx)
		r.OAuth2 = d.redirectOAuth2(ctx)
	}
	t.fake.SetLoginDelay(0)
	return r
}

// counts is a snapshot of the fake's login and refresh counters.
type counts struct{ logins, refreshes int64 }

func (d *demoRun) counts() counts {
	return counts{d.target.fake.Logins(), d.target.fake.Refreshes()}
}

// since returns the logins and refreshes since c, into cell.
func (d *demoRun) since(c counts, cell *demoCell) {
	now := d.counts()
	cell.Logins, cell.Refreshes = now.logins-c.logins, now.refreshes-c.refreshes
}

// options are the Source options of the demo: the fake's clock.
func (d *demoRun) options() loginauth.Options {
	return demoOptions(loginauth.Options{Now: d.target.fake.Now})
}

// demoOptions adjusts the options of the demo's Sources; tests replace it
// to see the demo catch a library that misbehaves.
var demoOptions = func(o loginauth.Options) loginauth.Options { return o }

// loginauthClient returns a fresh Source and a client that uses it.
func (d *demoRun) loginauthClient(base http.RoundTripper) (*loginauth.Source, *http.Client) {
	src := d.target.source(d.options(), &http.Client{Transport: d.gate.wrap(d.tr)})
	return src, &http.Client{Transport: loginauth.NewTransport(src, base)}
}

// oauth2Client returns a client of oauth2.Transport over ts, and the
// TokenSource that logs in.
func (d *demoRun) oauth2Client(base http.RoundTripper) (*http.Client, *loginTokenSource, *switchTokenSource) {
	lts := &loginTokenSource{target: d.target, fake: d.target.fake, client: &http.Client{Transport: d.tr}}
	sw := &switchTokenSource{}
	sw.set(oauth2.ReuseTokenSource(nil, lts))
	if d.target.adapt != nil {
		base = d.target.adapt(base, lts.last)
	}
	return &http.Client{Transport: &oauth2.Transport{Source: sw, Base: base}}, lts, sw
}

// do sends the provider's protected call and reports whether it
// succeeded.
func (d *demoRun) do(ctx context.Context, client *http.Client) bool {
	resp, err := client.Do(d.target.request(ctx))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return err == nil && d.target.ok(resp.StatusCode, body)
}

// together runs fn(i) for i in [0, n) in n goroutines released at once,
// and returns how many reported true.
func together(n int, fn func(i int) bool) int {
	var ok atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			if fn(i) {
				ok.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(ok.Load())
}

func (d *demoRun) coldLoginauth(ctx context.Context) demoCell {
	d.target.fake.SetLoginDelay(loginDelay)
	_, client := d.loginauthClient(d.tr)
	before := d.counts()
	var cell demoCell
	cell.Requests = d.n
	cell.OK = together(d.n, func(int) bool { return d.do(ctx, client) })
	d.since(before, &cell)
	cell.Summary = fmt.Sprintf("%s, %d/%d ok", renewals(cell), cell.OK, d.n)
	if got := cell.Logins + cell.Refreshes; got != 1 {
		cell.problem("%d logins, want 1", got)
	}
	if cell.OK != d.n {
		cell.problem("%d of %d requests failed", d.n-cell.OK, d.n)
	}
	return cell
}

func (d *demoRun) coldOAuth2(ctx context.Context) demoCell {
	d.target.fake.SetLoginDelay(loginDelay)
	client, _, _ := d.oauth2Client(d.tr)
	before := d.counts()
	var cell demoCell
	cell.Requests = d.n
	cell.OK = together(d.n, func(int) bool { return d.do(ctx, client) })
	d.since(before, &cell)
	cell.Summary = fmt.Sprintf("%s, %d/%d ok", renewals(cell), cell.OK, d.n)
	return cell
}

func (d *demoRun) revokedLoginauth(ctx context.Context) demoCell {
	var cell demoCell
	cell.Requests = d.n
	d.target.fake.SetLoginDelay(0)
	src, client := d.loginauthClient(d.tr)
	if !d.do(ctx, client) {
		cell.problem("the first request failed")
	}
	d.target.fake.SetLoginDelay(loginDelay)
	d.target.fake.RevokeAll()
	before := d.counts()
	cell.OK = together(d.n, func(int) bool { return d.do(ctx, client) })
	d.since(before, &cell)
	cell.Retried = src.Stats().Retries
	cell.Summary = fmt.Sprintf("%s, %d/%d ok (%d re-sent)", renewals(cell), cell.OK, d.n, cell.Retried)
	if got := cell.Logins + cell.Refreshes; got != 1 {
		cell.problem("%d renewals, want 1", got)
	}
	if cell.OK != d.n {
		cell.problem("%d of %d requests failed", d.n-cell.OK, d.n)
	}
	return cell
}

func (d *demoRun) revokedOAuth2(ctx context.Context) demoCell {
	var cell demoCell
	cell.Requests = d.n
	d.target.fake.SetLoginDelay(0)
	client, _, _ := d.oauth2Client(d.tr)
	d.do(ctx, client)
	d.target.fake.SetLoginDelay(loginDelay)
	d.target.fake.RevokeAll()
	before := d.counts()
	cell.OK = together(d.n, func(int) bool { return d.do(ctx, client) })
	d.since(before, &cell)
	cell.Summary = fmt.Sprintf("%s, %d/%d ok", renewals(cell), cell.OK, d.n)
	return cell
}

// expiryLoginauth logs in, moves the fake clock to 30 s before the token
// expires, and has n callers take a token and n requests go out while the
// renewal is held back.
func (d *demoRun) expiryLoginauth(ctx context.Context) demoCell {
	var cell demoCell
	cell.Requests = d.n
	fake := d.target.fake
	fake.SetLoginDelay(0)
	src, client := d.loginauthClient(d.tr)
	old, err := src.TokenContext(ctx)
	if err != nil {
		cell.problem("first login: %v", err)
		cell.Summary = "first login failed"
		return cell
	}
	done := src.Stats()
	fake.Advance(fake.Lifetime() - expiryMargin)
	before := d.counts()

	// The renewal is held at the gate while n callers take a token and n
	// requests go out: a caller that waited for the renewal would wait
	// until its context ends, and fail.
	d.gate.hold()
	waits := make([]time.Duration, d.n)
	gotOld := together(d.n, func(i int) bool {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		t0 := time.Now()
		tok, err := src.TokenContext(ctx)
		waits[i] = time.Since(t0)
		return err == nil && tok.AccessToken == old.AccessToken
	})
	maxWait := maxOf(waits)
	cell.MaxWaitMS = ms(maxWait)
	cell.OK = together(d.n, func(int) bool {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return d.do(ctx, client)
	})
	held := d.gate.waiting()
	d.gate.release()
	if held != 1 {
		cell.problem("%d renewals under way while callers took tokens, want 1", held)
	} else {
		// Wait for the background renewal.
		deadline := time.Now().Add(5 * time.Second)
		for renewed(src.Stats()) == renewed(done) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	tok, err := src.TokenContext(ctx)
	if err != nil {
		cell.problem("token after the renewal: %v", err)
	} else if tok.AccessToken == old.AccessToken {
		cell.problem("still the old token: no background renewal")
	}
	if !d.do(ctx, client) {
		cell.problem("a request with the new token failed")
	}
	d.since(before, &cell)

	what := "login"
	if d.target.p.refresh {
		what = "refresh"
	}
	cell.Summary = fmt.Sprintf("old token in %s, %s behind", fmtDur(maxWait), renewals(cell))
	if gotOld != d.n {
		cell.problem("%d of %d callers did not get the old token during the renewal", d.n-gotOld, d.n)
	}
	if cell.OK != d.n {
		cell.problem("%d of %d requests failed", d.n-cell.OK, d.n)
	}
	switch {
	case what == "refresh" && (cell.Refreshes != 1 || cell.Logins != 0):
		cell.problem("%d refreshes and %d logins, want 1 refresh", cell.Refreshes, cell.Logins)
	case what == "login" && cell.Logins+cell.Refreshes != 1:
		cell.problem("%d renewals, want 1", cell.Logins+cell.Refreshes)
	}
	return cell
}

// expiryOAuth2 does what expiryLoginauth does with oauth2, which reads
// the real clock: at each step the demo seeds a new ReuseTokenSource with
// the token and the life it has left on the fake clock, which is what
// oauth2 would see at that point in real time.
func (d *demoRun) expiryOAuth2(ctx context.Context) demoCell {
	var cell demoCell
	cell.Requests = d.n
	fake := d.target.fake
	fake.SetLoginDelay(0)
	client, lts, sw := d.oauth2Client(d.tr)
	d.do(ctx, client)

	// 30 s left: oauth2 keeps using the token and renews nothing.
	fake.Advance(fake.Lifetime() - expiryMargin)
	sw.set(oauth2.ReuseTokenSource(lts.seed(), lts))
	fake.SetLoginDelay(renewDelay)
	before := d.counts()
	together(d.n, func(int) bool {
		_, err := sw.Token()
		return err == nil
	})
	var early demoCell
	d.since(before, &early)

	// 5 s left: inside oauth2's 10 s margin, every caller waits for a login.
	fake.Advance(expiryMargin - oauth2Margin)
	sw.set(oauth2.ReuseTokenSource(lts.seed(), lts))
	waits := make([]time.Duration, d.n)
	together(d.n, func(i int) bool {
		t0 := time.Now()
		_, err := sw.Token()
		waits[i] = time.Since(t0)
		return err == nil
	})
	maxWait := maxOf(waits)
	cell.MaxWaitMS = ms(maxWait)
	cell.OK = together(d.n, func(int) bool { return d.do(ctx, client) })
	d.since(before, &cell)
	late := demoCell{Logins: cell.Logins - early.Logins, Refreshes: cell.Refreshes - early.Refreshes}
	cell.Summary = fmt.Sprintf("callers wait %s for %s", fmtDur(maxWait), renewals(late))
	if early.Logins+early.Refreshes > 0 {
		cell.Summary = fmt.Sprintf("%s ahead, wait %s for %s", renewals(early), fmtDur(maxWait), renewals(late))
	}
	return cell
}

// redirect sends a request that the API redirects to the foreign host,
// and returns the credential fields that host received.
func (d *demoRun) redirect(ctx context.Context, client func(base http.RoundTripper) *http.Client) (apiHop bool, leaked []string, ok bool) {
	d.target.fake.SetLoginDelay(0)
	var sawCreds atomic.Bool
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if strings.HasSuffix(req.URL.Path, redirectPath) {
			if req.Body != nil {
				req.Body.Close()
			}
			sawCreds.Store(req.Header.Get("Authorization") != "")
			return &http.Response{
				StatusCode: http.StatusFound, Status: "302 Found",
				Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header:  http.Header{"Location": {d.foreign.URL + "/landing"}},
				Body:    http.NoBody,
				Request: req,
			}, nil
		}
		return d.tr.RoundTrip(req)
	})
	d.foreign.take()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(d.target.base, "/")+redirectPath, nil)
	resp, err := client(base).Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ok = resp.StatusCode == http.StatusOK
	}
	hs := d.foreign.take()
	for _, name := range credentialHeaders {
		for _, h := range hs {
			if h.Get(name) != "" {
				leaked = append(leaked, name)
				break
			}
		}
	}
	return sawCreds.Load(), leaked, ok && len(hs) == 1
}

func (d *demoRun) redirectLoginauth(ctx context.Context) demoCell {
	var cell demoCell
	var src *loginauth.Source
	before := d.counts()
	apiHop, leaked, ok := d.redirect(ctx, func(base http.RoundTripper) *http.Client {
		var c *http.Client
		src, c = d.loginauthClient(base)
		return c
	})
	d.since(before, &cell)
	cell.setLeaked(leaked, ok)
	if !ok {
		cell.problem("the redirected request did not reach the other host")
	}
	if !apiHop {
		cell.problem("the request to the API carried no credentials")
	}
	if len(leaked) > 0 {
		cell.problem("the other host received %s", strings.Join(leaked, ", "))
	}
	if w := src.Stats().Withheld; w != 1 {
		cell.problem("%d requests counted as withheld, want 1", w)
	}
	return cell
}

func (d *demoRun) redirectOAuth2(ctx context.Context) demoCell {
	var cell demoCell
	before := d.counts()
	_, leaked, ok := d.redirect(ctx, func(base http.RoundTripper) *http.Client {
		c, _, _ := d.oauth2Client(base)
		return c
	})
	d.since(before, &cell)
	cell.setLeaked(leaked, ok)
	return cell
}

// setLeaked records the outcome of the redirect.
func (c *demoCell) setLeaked(leaked []string, ok bool) {
	c.Requests = 1
	if ok {
		c.OK = 1
	}
	c.Leaked = leaked
	l := len(leaked) > 0
	c.CredentialsLeaked = &l
	c.Summary = "no credentials leaked"
	if l {
		c.Summary = "leaked " + strings.Join(leaked, ", ")
	}
}

func (c *demoCell) problem(format string, args ...any) {
	c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
}

// renewals describes the logins and refreshes of c.
func renewals(c demoCell) string {
	plural := func(n int64, what string) string {
		if n == 1 {
			return "1 " + what
		}
		return fmt.Sprintf("%d %ss", n, what)
	}
	switch {
	case c.Refreshes == 0:
		return plural(c.Logins, "login")
	case c.Logins == 0:
		return plural(c.Refreshes, "refresh")
	}
	return plural(c.Logins, "login") + " + " + plural(c.Refreshes, "refresh")
}

func renewed(s loginauth.Stats) int64 { return s.Logins + s.Refreshes }

func maxOf(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

func ms(d time.Duration) *float64 {
	v := float64(d.Microseconds()) / 1000
	return &v
}

// fmtDur rounds d for the table: 3 significant places at most.
func fmtDur(d time.Duration) string {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// loginTokenSource is the oauth2.TokenSource of the comparison: each
// Token call makes one login, through the provider package's own login
// call (a fresh Source that has never logged in). Its tokens expire on
// the real clock, which oauth2 reads, at the time they expire on the
// fake's.
type loginTokenSource struct {
	target *target
	fake   *loginauthtest.Server
	client *http.Client  // sends the login calls
	mu     sync.Mutex    // guards tok
	tok    *oauth2.Token // the last token, expiry on the fake's clock
}

// Token logs in.
func (s *loginTokenSource) Token() (*oauth2.Token, error) {
	tok, err := s.target.source(loginauth.Options{Now: s.fake.Now, MinBackoff: -1}, s.client).Token()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.tok = tok
	s.mu.Unlock()
	return s.seed(), nil
}

// last returns the last token.
func (s *loginTokenSource) last() *oauth2.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok
}

// seed returns a copy of the last token whose expiry is on the real
// clock: the life it has left on the fake clock, from now.
func (s *loginTokenSource) seed() *oauth2.Token {
	tok := s.last()
	if tok == nil {
		return nil
	}
	t := *tok
	t.TokenType = s.target.tokenType
	if !t.Expiry.IsZero() {
		t.Expiry = time.Now().Add(tok.Expiry.Sub(s.fake.Now()))
	}
	return &t
}

// switchTokenSource is an oauth2.TokenSource that the demo can replace
// between steps.
type switchTokenSource struct {
	cur atomic.Pointer[oauth2.TokenSource]
}

func (s *switchTokenSource) set(ts oauth2.TokenSource) { s.cur.Store(&ts) }

// Token returns the current TokenSource's token.
func (s *switchTokenSource) Token() (*oauth2.Token, error) {
	ts := s.cur.Load()
	if ts == nil {
		return nil, errors.New("no token source")
	}
	return (*ts).Token()
}
