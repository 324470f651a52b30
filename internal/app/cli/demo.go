package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
)

// demoHelp is the help of demo.
var demoHelp = `Start the fakes of the built-in providers, ` + names("and") + `,
in this process (no account, no network) and show, for each provider,
what the library does beside golang.org/x/oauth2: an oauth2.Transport
with an oauth2.ReuseTokenSource over a TokenSource that makes the same
login call.

  cold start      N concurrent requests and no token yet: how many logins
  revoked         the API revokes the token, then N concurrent requests:
                  how many logins, how many requests fail
  near expiry     the token enters its last 30 s (on the fakes' clock): do
                  callers wait for its renewal
  redirect        the API redirects to another host: does that host get
                  the credentials
  wrong password  N concurrent requests with a wrong password, twice: how
                  many logins; the next one only once the backoff ends
  plain http      the API's base URL is plain http on a host that is not
                  loopback: do the password and the token cross in clear

The fakes answer each login after 50 ms in "cold start" and "revoked", so
that concurrent callers overlap, and oauth2's renewal in "near expiry"
after 200 ms; the times in the table are measured against that delay.
Each check judges the loginauth column only: the oauth2 column is for
comparison. Progress goes to stderr; the table, or JSON, to stdout. The
exit status is 1 when any of the library's expectations fails.
`

// demoCmdOptions are the command line of demo (demoOptions adjusts its
// Sources).
type demoCmdOptions struct {
	output string // -o: table or json
	n      int    // -n: concurrent requests per scenario
}

func (o *demoCmdOptions) flags(fs *flagSet) {
	fs.stringFlag(&o.output, "output", "o", "table", "the output `FORMAT`: table or json")
	fs.IntVar(&o.n, "n", 1000, "`N` concurrent requests per scenario, 1 to 5000")
	fs.def("n", "")
}

func (o *demoCmdOptions) parsed(_ *flagSet, pos []string) error {
	switch {
	case len(pos) > 0:
		return usagef("demo takes no arguments, got %d", len(pos))
	case o.output != "table" && o.output != "json":
		return usagef("-o %q: want table or json", o.output)
	case o.n < 1 || o.n > 5000:
		return usagef("-n %d: want 1 to 5000", o.n)
	}
	return nil
}

func (o *demoCmdOptions) run(ctx context.Context, c *cli) error { return c.demo(ctx, *o) }

// Pacing of the demo. The fakes answer logins after loginDelay, so that
// concurrent callers overlap, and oauth2's renewal near expiry after
// renewDelay, long enough to see its callers wait.
const (
	loginDelay   = 50 * time.Millisecond
	renewDelay   = 200 * time.Millisecond
	expiryMargin = 30 * time.Second // left of the token's life in "near expiry"
	oauth2Margin = 5 * time.Second  // inside oauth2's own 10 s expiry margin
	redirectPath = "/loginauth-demo/redirect"
	// stallLimit bounds how long the demo waits for a caller while it
	// holds a renewal back: once no caller has returned for that long,
	// the waiting ones are let go, and fail their expectation. It is a
	// bound on a broken library, never a measure: the checks count.
	stallLimit = 3 * time.Second
	// clearHost is the host, not loopback, of the API's base URL in "plain
	// http". No name is ever resolved: the demo's transport takes the
	// requests for it to the fake.
	clearHost = "api.example.com"
	// wrongSecret replaces the secret of the fake's account in "wrong
	// password".
	wrongSecret = "not-the-password"
)

// The scenarios, in the order they run.
var scenarios = []struct{ id, title string }{
	{"cold", "cold start"},
	{"revoked", "revoked"},
	{"expiry", "near expiry"},
	{"redirect", "redirect"},
	{"backoff", "wrong password"},
	{"http", "plain http"},
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
	// Wrong password: BackoffS is the backoff window on the fakes'
	// clock, in seconds, FailedFast the requests that failed with the
	// backoff's error without a login, and LoginsAfter the logins of one
	// request once the window ended.
	BackoffS    *float64 `json:"backoff_s,omitempty"`
	FailedFast  int      `json:"failed_fast,omitempty"`
	LoginsAfter *int64   `json:"logins_after_backoff,omitempty"`
	// ClearText lists what crossed plain http (plain http only): the
	// account's secret variables by name, and "token".
	ClearText []string `json:"clear_text,omitempty"`
	Problems  []string `json:"problems,omitempty"` // loginauth: failed expectations
}

// demo runs the scenarios against the providers' fakes and reports
// them: a failure when an expectation of the library fails.
func (c *cli) demo(ctx context.Context, o demoCmdOptions) error {
	start := time.Now()
	results := c.runDemo(ctx, o.n)
	if err := ctx.Err(); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "demo: done in %s\n", fmtDur(time.Since(start)))

	rep := demoReport{Requests: o.n, Pass: true, Failures: []string{}}
	for _, rs := range results {
		for _, r := range rs {
			for _, p := range r.Loginauth.Problems {
				rep.Pass = false
				rep.Failures = append(rep.Failures, fmt.Sprintf("%s, %s: %s", r.Provider, scenarioTitle(r.Scenario), p))
			}
			rep.Results = append(rep.Results, r)
		}
	}

	if o.output == "json" {
		if err := writeJSON(c.stdout, rep); err != nil {
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

// runDemo runs the scenarios with n concurrent requests against the
// fakes, and returns the results of each provider, writing progress on
// stderr. The providers run side by side, each against its own fake; the
// scenarios of one provider run in turn, as they share its clock.
func (c *cli) runDemo(ctx context.Context, n int) [][]demoResult {
	fmt.Fprintf(c.stderr, "demo: starting the fakes of %s, and other hosts to redirect to\n", strings.Join(builtinNames(), ", "))
	targets := startFakes()
	defer func() {
		for _, t := range targets {
			t.fake.Close()
		}
	}()
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
				fmt.Fprintf(c.stderr, "demo: %-4s  %-22s  %-4s  %s\n", t.p.name, sc.title, check(r.Pass), fmtDur(time.Since(t0)))
				progress.Unlock()
			}
		})
	}
	wg.Wait()
	return results
}

// writeTable writes rep as an aligned table, within 100 columns.
func writeTable(w io.Writer, rep *demoReport) {
	fmt.Fprintf(w, "loginauth beside oauth2 (oauth2.Transport + oauth2.ReuseTokenSource over the same login\n")
	fmt.Fprintf(w, "call), %d concurrent requests per scenario, against each API's fake, in this process.\n", rep.Requests)
	fmt.Fprintf(w, "CHECK judges the LOGINAUTH column; OAUTH2 is for comparison.\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "API\tSCENARIO\tLOGINAUTH\tOAUTH2\tCHECK")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Provider, scenarioTitle(r.Scenario), r.Loginauth.Summary, r.OAuth2.Summary, check(r.Pass))
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Figures: logins and refreshes as the fake counted them, failed ones included; \"ok\" the\n")
	fmt.Fprintf(w, "requests that succeeded, \"re-sent\" the refused ones sent again after the renewal. The\n")
	fmt.Fprintf(w, "fakes answer each login after %s in cold start and revoked, so that concurrent callers\n", fmtDur(loginDelay))
	fmt.Fprintf(w, "overlap, and oauth2's renewal near expiry after %s, at once elsewhere; times are the\n", fmtDur(renewDelay))
	fmt.Fprintf(w, "longest wait of a caller, on this machine. Wrong password: two bursts of %d requests,\n", rep.Requests)
	fmt.Fprintf(w, "then one once the backoff (at most %s, on the fakes' clock) ends. Plain http: the base\n", fmtDur(loginauth.DefaultMaxBackoff))
	fmt.Fprintf(w, "URL on %s, not loopback, which the demo's transport takes to the fake.\n\n", clearHost)
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

// target is a fake provider and its demo account.
type target struct {
	p    *provider
	fake *loginauthtest.Server
	acct values // the fake's demo account
}

// values are the values of a provider's variables for one account.
type values map[string]string

// with returns a copy of a with name set to value.
func (a values) with(name, value string) values {
	c := maps.Clone(a)
	c[name] = value
	return c
}

// startFakes starts the fake of every built-in provider.
func startFakes() []*target {
	var ts []*target
	for _, p := range builtins {
		srv, vals := p.fake()
		ts = append(ts, &target{p: p, fake: srv, acct: vals()})
	}
	return ts
}

// source returns a Source for acct whose login calls go through hc.
func (t *target) source(acct values, o loginauth.Options, hc *http.Client) *loginauth.Source {
	return t.p.source(acct, hc, o)
}

// request returns the provider's protected call for the API of acct.
func (t *target) request(ctx context.Context, acct values) *http.Request {
	method, path, body := t.p.sample[0], t.p.sample[1], t.p.sample[2]
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(ctx, method, acct[varBase]+path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// ok reports whether an answer is a success.
func (t *target) ok(status int, body []byte) bool {
	return status < 400 && (t.p.failed == nil || !t.p.failed(status, body))
}

// secrets returns the names and values of the secret variables of acct.
func (t *target) secrets(acct values) map[string]string {
	s := map[string]string{}
	for _, v := range t.p.vars {
		if v.secret && acct[v.name] != "" {
			s[v.name] = acct[v.name]
		}
	}
	return s
}

// adapt wraps the base of an oauth2.Transport to put the token where
// the provider wants it, as an oauth2 user would have to: MIC wants it
// raw, with its API key and identityId. oauth2.Transport can only send
// "Authorization: <type> <token>", with the provider's tokenType.
func (t *target) adapt(acct values, next http.RoundTripper, last func() *oauth2.Token) http.RoundTripper {
	if !t.p.raw {
		return next
	}
	base, apiKey := acct[varBase], acct[varAPIKey]
	return loginauthtest.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
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

// gate holds back the login calls of the demo's Sources while it is
// held, so that the demo can tell a caller that waits for a renewal from
// one that does not, whatever the machine's speed.
type gate struct {
	mu sync.Mutex    // guards ch
	ch chan struct{} // closed on release; nil when not held
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

func (g *gate) held() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ch != nil
}

// whileHeld runs fn(i) for i in [0, n) in n goroutines released at once,
// and returns how many reported true before the gate was released. It
// releases the gate itself when no call has returned for stallLimit, so
// that the calls that wait for a held renewal return, and are not
// counted.
func (g *gate) whileHeld(n int, fn func(i int) bool) int {
	var ok atomic.Int64
	returned := make(chan struct{}, n)
	start := make(chan struct{})
	for i := range n {
		go func() {
			<-start
			if fn(i) && g.held() {
				ok.Add(1)
			}
			returned <- struct{}{}
		}()
	}
	close(start)
	stall := time.NewTimer(stallLimit)
	defer stall.Stop()
	for left := n; left > 0; {
		select {
		case <-returned:
			left--
			stall.Reset(stallLimit)
		case <-stall.C:
			g.release()
		}
	}
	return int(ok.Load())
}

// wrap returns next behind the gate.
func (g *gate) wrap(next http.RoundTripper) http.RoundTripper {
	return loginauthtest.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		g.mu.Lock()
		ch := g.ch
		g.mu.Unlock()
		if ch != nil {
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
	r := demoResult{Provider: t.p.name, Scenario: id}
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
	case "backoff":
		r.Expect = fmt.Sprintf("1 login for %d requests with a wrong password, each told the "+
			"credentials were refused; 1 login again once the backoff ends", 2*d.n)
		r.Loginauth = d.backoffLoginauth(ctx)
		r.OAuth2 = d.backoffOAuth2(ctx)
	case "http":
		r.Expect = "a plain http base URL on a host that is not loopback is refused: nothing is sent"
		r.Loginauth = d.clearLoginauth(ctx)
		r.OAuth2 = d.clearOAuth2(ctx)
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
// burst sends d.n requests through client at once, and records in cell
// how many succeeded and the renewals the fake counted meanwhile.
func (d *demoRun) burst(ctx context.Context, client *http.Client, cell *demoCell) {
	before := d.counts()
	cell.Requests = d.n
	cell.OK = together(d.n, func(int) bool { return d.do(ctx, client) })
	d.since(before, cell)
}

func (d *demoRun) since(c counts, cell *demoCell) {
	now := d.counts()
	cell.Logins, cell.Refreshes = now.logins-c.logins, now.refreshes-c.refreshes
}

// demoOptions adjusts the options of the demo's Sources; tests replace it
// to see the demo catch a library that misbehaves.
var demoOptions = func(o loginauth.Options) loginauth.Options { return o }

// events counts the events of one of the demo's Sources.
type events struct {
	background atomic.Int64  // background renewals started
	ended      atomic.Int64  // logins and refreshes that ended, failed or not
	end        chan struct{} // a value for each end, dropped when full
}

func (e *events) on(ev loginauth.Event) {
	switch ev.Kind {
	case loginauth.EventBackgroundRefresh:
		e.background.Add(1)
	case loginauth.EventLogin, loginauth.EventRefresh, loginauth.EventFailure:
		e.ended.Add(1)
		select {
		case e.end <- struct{}{}:
		default:
		}
	}
}

// awaitEnd waits until more than n logins or refreshes have ended, for
// at most the library's own bound on one, and reports whether they did.
func (e *events) awaitEnd(n int64) bool {
	limit := time.NewTimer(loginauth.DefaultLoginTimeout + stallLimit)
	defer limit.Stop()
	for e.ended.Load() <= n {
		select {
		case <-e.end:
		case <-limit.C:
			return false
		}
	}
	return true
}

// loginauthClient returns a fresh Source for acct, a client that uses it
// over base, and the Source's events. The Source's login calls go
// through base too, behind the gate.
func (d *demoRun) loginauthClient(acct values, base http.RoundTripper) (*loginauth.Source, *http.Client, *events) {
	ev := &events{end: make(chan struct{}, 1)}
	o := demoOptions(loginauth.Options{Now: d.target.fake.Now, OnEvent: ev.on})
	src := d.target.source(acct, o, &http.Client{Transport: d.gate.wrap(base)})
	return src, &http.Client{Transport: loginauth.NewTransport(src, base)}, ev
}

// oauth2Client returns a client of oauth2.Transport over base for acct,
// the TokenSource that logs in, and the TokenSource that the demo can
// replace. The login calls go through base too.
func (d *demoRun) oauth2Client(acct values, base http.RoundTripper) (*http.Client, *loginTokenSource, *switchTokenSource) {
	lts := &loginTokenSource{target: d.target, acct: acct, client: &http.Client{Transport: base}}
	sw := &switchTokenSource{}
	sw.set(oauth2.ReuseTokenSource(nil, lts))
	base = d.target.adapt(acct, base, lts.last)
	return &http.Client{Transport: &oauth2.Transport{Source: sw, Base: base}}, lts, sw
}

// do sends the provider's protected call for the fake's demo account
// and reports whether it succeeded.
func (d *demoRun) do(ctx context.Context, client *http.Client) bool {
	ok, _ := d.send(ctx, client, d.target.acct)
	return ok
}

// send sends the provider's protected call for acct, and reports whether
// it succeeded, or the error of the client.
func (d *demoRun) send(ctx context.Context, client *http.Client, acct values) (bool, error) {
	resp, err := client.Do(d.target.request(ctx, acct))
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return err == nil && d.target.ok(resp.StatusCode, body), nil
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
	_, client, _ := d.loginauthClient(d.target.acct, d.tr)
	var cell demoCell
	d.burst(ctx, client, &cell)
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
	client, _, _ := d.oauth2Client(d.target.acct, d.tr)
	var cell demoCell
	d.burst(ctx, client, &cell)
	cell.Summary = fmt.Sprintf("%s, %d/%d ok", renewals(cell), cell.OK, d.n)
	return cell
}

func (d *demoRun) revokedLoginauth(ctx context.Context) demoCell {
	var cell demoCell
	d.target.fake.SetLoginDelay(0)
	src, client, _ := d.loginauthClient(d.target.acct, d.tr)
	if !d.do(ctx, client) {
		cell.problem("the first request failed")
	}
	d.target.fake.SetLoginDelay(loginDelay)
	d.target.fake.RevokeAll()
	d.burst(ctx, client, &cell)
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
	d.target.fake.SetLoginDelay(0)
	client, _, _ := d.oauth2Client(d.target.acct, d.tr)
	d.do(ctx, client)
	d.target.fake.SetLoginDelay(loginDelay)
	d.target.fake.RevokeAll()
	d.burst(ctx, client, &cell)
	cell.Summary = fmt.Sprintf("%s, %d/%d ok", renewals(cell), cell.OK, d.n)
	return cell
}

// expiryLoginauth logs in, moves the fake clock to 30 s before the token
// expires, and has n callers take a token and n requests go out while the
// renewal is held back: a caller that waited for the renewal would not
// return until the demo let it go, and is not counted.
func (d *demoRun) expiryLoginauth(ctx context.Context) demoCell {
	var cell demoCell
	cell.Requests = d.n
	fake := d.target.fake
	fake.SetLoginDelay(0)
	src, client, ev := d.loginauthClient(d.target.acct, d.tr)
	old, err := src.TokenContext(ctx)
	if err != nil {
		cell.problem("first login: %v", err)
		cell.Summary = "first login failed"
		return cell
	}
	ended := ev.ended.Load()
	fake.Advance(fake.Lifetime() - expiryMargin)
	before := d.counts()

	d.gate.hold()
	waits := make([]time.Duration, d.n)
	gotOld := d.gate.whileHeld(d.n, func(i int) bool {
		t0 := time.Now()
		tok, err := src.TokenContext(ctx)
		waits[i] = time.Since(t0)
		return err == nil && tok.AccessToken == old.AccessToken
	})
	maxWait := maxOf(waits)
	cell.MaxWaitMS = ms(maxWait)
	request := func(int) bool { return d.do(ctx, client) }
	if d.gate.held() {
		cell.OK = d.gate.whileHeld(d.n, request)
	} else {
		cell.OK = together(d.n, request) // a caller stalled: the renewal is free
	}
	d.gate.release()
	tok, err := old, error(nil)
	if bg := ev.background.Load(); bg != 1 {
		cell.problem("%d background renewals started while callers took tokens, want 1", bg)
		tok, err = src.TokenContext(ctx)
	} else if !ev.awaitEnd(ended) {
		cell.problem("the background renewal did not end")
	} else {
		tok, err = newToken(ctx, src, old)
	}
	if err != nil {
		cell.problem("token after the renewal: %v", err)
	} else if tok.AccessToken == old.AccessToken {
		cell.problem("still the old token: no background renewal")
	}
	if !d.do(ctx, client) {
		cell.problem("a request with the new token failed")
	}
	d.since(before, &cell)

	cell.Summary = fmt.Sprintf("old token in %s, %s behind", fmtDur(maxWait), renewals(cell))
	if gotOld != d.n {
		cell.problem("%d of %d callers did not get the old token at once during the renewal", d.n-gotOld, d.n)
	}
	if cell.OK != d.n {
		cell.problem("%d of %d requests did not succeed at once during the renewal", d.n-cell.OK, d.n)
	}
	switch {
	case d.target.p.refresh && (cell.Refreshes != 1 || cell.Logins != 0):
		cell.problem("%d refreshes and %d logins, want 1 refresh", cell.Refreshes, cell.Logins)
	case !d.target.p.refresh && cell.Logins+cell.Refreshes != 1:
		cell.problem("%d renewals, want 1", cell.Logins+cell.Refreshes)
	}
	return cell
}

// newToken returns the token of src once it is not old: a renewal makes
// its token the cached one just after the event that ends it. It gives
// up after stallLimit, and returns the old token.
func newToken(ctx context.Context, src *loginauth.Source, old *oauth2.Token) (*oauth2.Token, error) {
	deadline := time.Now().Add(stallLimit)
	for {
		tok, err := src.TokenContext(ctx)
		if err != nil || tok.AccessToken != old.AccessToken || time.Now().After(deadline) {
			return tok, err
		}
		time.Sleep(time.Millisecond)
	}
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
	client, lts, sw := d.oauth2Client(d.target.acct, d.tr)
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
	base := loginauthtest.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
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
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(d.target.acct[varBase], "/")+redirectPath, nil)
	resp, err := client(base).Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ok = resp.StatusCode == http.StatusOK
	}
	hs := d.foreign.take()
	// The names from a Source of the provider, which knows them before it
	// logs in: the oauth2 client sends the same fields.
	for _, name := range d.target.source(d.target.acct, loginauth.Options{}, nil).CredentialHeaders() {
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
		src, c, _ = d.loginauthClient(d.target.acct, base)
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
		c, _, _ := d.oauth2Client(d.target.acct, base)
		return c
	})
	d.since(before, &cell)
	cell.setLeaked(leaked, ok)
	return cell
}

// backoffLoginauth sends n concurrent requests with a wrong password,
// then n more, then one once the backoff has ended on the fakes' clock.
func (d *demoRun) backoffLoginauth(ctx context.Context) demoCell {
	var cell demoCell
	cell.Requests = 2 * d.n
	fake := d.target.fake
	fake.SetLoginDelay(0)
	acct := d.target.acct.with(d.target.p.secretVar().name, wrongSecret)
	_, client, _ := d.loginauthClient(acct, d.tr)
	var refused, fast atomic.Int64 // errors that say so; BackoffErrors
	var until atomic.Pointer[time.Time]
	try := func(int) bool {
		ok, err := d.send(ctx, client, acct)
		var le *loginauth.LoginError
		if errors.As(err, &le) && le.BadCredentials {
			refused.Add(1)
		}
		var be *loginauth.BackoffError
		if errors.As(err, &be) {
			fast.Add(1)
			until.Store(&be.Until)
		}
		return ok
	}
	t0 := fake.Now()
	before := d.counts()
	cell.OK = together(d.n, try)
	var first demoCell
	d.since(before, &first)
	fastFirst := fast.Load()
	cell.OK += together(d.n, try)
	d.since(before, &cell)
	cell.FailedFast = int(fast.Load())
	second := cell.Logins + cell.Refreshes - first.Logins - first.Refreshes

	// The window ends on the fakes' clock: the next request logs in.
	var after demoCell
	if u := until.Load(); u != nil {
		w := u.Sub(t0).Round(time.Millisecond).Seconds()
		cell.BackoffS = &w
		fake.Advance(u.Sub(fake.Now()))
	}
	beforeAfter := d.counts()
	d.send(ctx, client, acct)
	d.since(beforeAfter, &after)
	again := after.Logins + after.Refreshes
	cell.LoginsAfter = &again

	cell.Summary = fmt.Sprintf("%s for %d requests", renewals(cell), 2*d.n)
	if got := first.Logins + first.Refreshes; got != 1 {
		cell.problem("%d logins for %d concurrent requests with a wrong password, want 1", got, d.n)
	}
	if second != 0 {
		cell.problem("%d logins while backing off, want 0", second)
	} else if fast.Load()-fastFirst == int64(d.n) {
		cell.Summary += "; backs off"
	}
	if got := fast.Load() - fastFirst; got != int64(d.n) {
		cell.problem("%d of %d requests while backing off did not fail at once", int64(d.n)-got, d.n)
	}
	if got := refused.Load(); got != int64(2*d.n) {
		cell.problem("%d of %d errors did not say the credentials were refused", int64(2*d.n)-got, 2*d.n)
	}
	if cell.OK != 0 {
		cell.problem("%d requests succeeded with a wrong password", cell.OK)
	}
	if again != 1 {
		cell.problem("%d logins once the backoff ended, want 1", again)
	}
	return cell
}

func (d *demoRun) backoffOAuth2(ctx context.Context) demoCell {
	var cell demoCell
	cell.Requests = 2 * d.n
	d.target.fake.SetLoginDelay(0)
	acct := d.target.acct.with(d.target.p.secretVar().name, wrongSecret)
	client, _, _ := d.oauth2Client(acct, d.tr)
	try := func(int) bool {
		ok, _ := d.send(ctx, client, acct)
		return ok
	}
	before := d.counts()
	cell.OK = together(d.n, try) + together(d.n, try)
	d.since(before, &cell)
	cell.Summary = fmt.Sprintf("%s for %d requests", renewals(cell), 2*d.n)
	return cell
}

// clearText is the base transport of "plain http": it takes the requests
// for clearHost to the fake, and keeps them, to tell what crossed in
// clear text.
type clearText struct {
	next http.RoundTripper
	host string // host:port of the fake
	acct values // the account, its base URL on clearHost
	mu   sync.Mutex
	sent []sentRequest // guarded by mu
}

// sentRequest is what a request carried.
type sentRequest struct {
	header http.Header
	body   string
}

// clearText returns a clearText for the fake's demo account.
func (d *demoRun) clearText() *clearText {
	u, err := url.Parse(d.target.acct[varBase])
	if err != nil {
		panic(err) // the fakes' URLs parse
	}
	c := &clearText{next: d.tr, host: u.Host}
	u.Host = clearHost
	c.acct = d.target.acct.with(varBase, u.String())
	return c
}

// RoundTrip keeps req and sends it to the fake.
func (c *clearText) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
	}
	c.mu.Lock()
	c.sent = append(c.sent, sentRequest{req.Header.Clone(), string(body)})
	c.mu.Unlock()
	r := req.Clone(req.Context())
	r.URL.Host, r.Host = c.host, ""
	r.Body = io.NopCloser(bytes.NewReader(body))
	if req.Body == nil {
		r.Body = nil
	}
	return c.next.RoundTrip(r)
}

// leaked returns how many requests were sent, and the names of the
// account's secrets they carried, then "token" if one carried tok.
func (c *clearText) leaked(t *target, tok string) (int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	carried := func(v string) bool {
		for _, r := range c.sent {
			if strings.Contains(r.body, v) {
				return true
			}
			for _, vs := range r.header {
				for _, hv := range vs {
					if strings.Contains(hv, v) {
						return true
					}
				}
			}
		}
		return false
	}
	var names []string
	for _, name := range slices.Sorted(maps.Keys(t.secrets(c.acct))) {
		if carried(c.acct[name]) {
			names = append(names, name)
		}
	}
	if tok != "" && carried(tok) {
		names = append(names, "token")
	}
	return len(c.sent), names
}

// clearSummary describes what crossed in clear: the secret that logs in
// and the token; ClearText lists every secret.
func (d *demoRun) clearSummary(names []string) string {
	var shown []string
	for _, n := range names {
		if n == d.target.p.secretVar().name || n == "token" {
			shown = append(shown, n)
		}
	}
	if len(shown) == 0 {
		shown = names
	}
	return "in clear: " + strings.Join(shown, ", ")
}

func (d *demoRun) clearLoginauth(ctx context.Context) demoCell {
	cell := demoCell{Requests: 1}
	d.target.fake.SetLoginDelay(0)
	ct := d.clearText()
	src, client, _ := d.loginauthClient(ct.acct, ct)
	before := d.counts()
	ok, err := d.send(ctx, client, ct.acct)
	if ok {
		cell.OK = 1
	}
	d.since(before, &cell)
	var tok string
	if t, err := src.TokenContext(ctx); err == nil {
		tok = t.AccessToken
	}
	sent, names := ct.leaked(d.target, tok)
	cell.ClearText = names
	cell.Summary = "refused; nothing sent"
	if sent > 0 {
		cell.Summary = fmt.Sprintf("%d sent, %s", sent, d.clearSummary(names))
		cell.problem("%d requests went over plain http to %s, carrying %v", sent, clearHost, names)
	}
	if err == nil {
		cell.problem("the request was not refused")
	}
	return cell
}

func (d *demoRun) clearOAuth2(ctx context.Context) demoCell {
	cell := demoCell{Requests: 1}
	d.target.fake.SetLoginDelay(0)
	ct := d.clearText()
	client, lts, _ := d.oauth2Client(ct.acct, ct)
	lts.allowHTTP = true // oauth2 has no such guard; the login call is the provider package's
	before := d.counts()
	if ok, _ := d.send(ctx, client, ct.acct); ok {
		cell.OK = 1
	}
	d.since(before, &cell)
	var tok string
	if t := lts.last(); t != nil {
		tok = t.AccessToken
	}
	_, names := ct.leaked(d.target, tok)
	cell.ClearText = names
	cell.Summary = "nothing sent"
	if len(names) > 0 {
		cell.Summary = d.clearSummary(names)
	}
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

// fmtDur writes d in the one unit style of the demo's progress lines,
// table and notes: milliseconds below a second, seconds above, with 3
// significant digits at most, and a space before the unit ("0.25 ms",
// "12.3 ms", "250 ms", "1.23 s", "300 s").
func fmtDur(d time.Duration) string {
	v, unit := float64(d)/float64(time.Millisecond), "ms"
	if d >= time.Second {
		v, unit = d.Seconds(), "s"
	}
	prec := 0
	switch {
	case v < 10:
		prec = 2
	case v < 100:
		prec = 1
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + " " + unit
}

// loginTokenSource is the oauth2.TokenSource of the comparison: each
// Token call makes one login, through the provider package's own login
// call (a fresh Source that has never logged in). Its tokens expire on
// the real clock, which oauth2 reads, at the time they expire on the
// fake's.
type loginTokenSource struct {
	target *target
	acct   values
	client *http.Client // sends the login calls
	// allowHTTP lets the login call go over plain http, as oauth2 would.
	allowHTTP bool
	mu        sync.Mutex    // guards tok
	tok       *oauth2.Token // the last token, expiry on the fake's clock
}

// Token logs in.
func (s *loginTokenSource) Token() (*oauth2.Token, error) {
	o := loginauth.Options{Now: s.target.fake.Now, MinBackoff: -1, AllowHTTP: s.allowHTTP}
	tok, err := s.target.source(s.acct, o, s.client).Token()
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
	t.TokenType = s.target.p.tokenType
	if !t.Expiry.IsZero() {
		t.Expiry = time.Now().Add(tok.Expiry.Sub(s.target.fake.Now()))
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
