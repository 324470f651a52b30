package loginauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth/loginauthtest"
)

// recorder captures log records and events.
type recorder struct {
	mu      sync.Mutex
	records []map[string]string // attributes by key, plus "msg" and "level"
	events  []Event
	text    bytes.Buffer // every record, as the text handler prints it
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(ctx context.Context, rec slog.Record) error {
	m := map[string]string{"msg": rec.Message, "level": rec.Level.String()}
	rec.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, m)
	return slog.NewTextHandler(&r.text, &slog.HandlerOptions{Level: slog.LevelDebug}).Handle(ctx, rec)
}

func (r *recorder) hook(ev Event) { r.mu.Lock(); r.events = append(r.events, ev); r.mu.Unlock() }

// find returns the first record whose message is "loginauth: "+msg.
func (r *recorder) find(msg string) map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.records {
		if m["msg"] == "loginauth: "+msg {
			return m
		}
	}
	return nil
}

func (r *recorder) event(k EventKind) *Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.events {
		if r.events[i].Kind == k {
			return &r.events[i]
		}
	}
	return nil
}

func (r *recorder) options(o Options) Options {
	o.Logger = slog.New(r)
	o.OnEvent = r.hook
	return o
}

func TestEventsAndLogs(t *testing.T) {
	is := is.New(t)
	rec := &recorder{}
	a := &api{}
	src := New(Config{Provider: "test", Login: a.login, Origins: []string{"https://api.example.com"}, Options: rec.options(Options{})})
	client := &http.Client{Transport: NewTransport(src, a)}

	// login: starting, then the event with its duration.
	resp, err := client.Get("https://api.example.com/x")
	is.NoErr(err)
	resp.Body.Close()
	is.True(rec.find("start") != nil)
	m := rec.find("login")
	is.True(m != nil)
	is.Equal(m["level"], "DEBUG")
	is.Equal(m["provider"], "test")
	is.Equal(m["event"], "login")
	is.True(m["duration"] != "")
	ev := rec.event(EventLogin)
	is.True(ev != nil && ev.Provider == "test" && ev.Op == "login")

	// A refusal: invalidate, then retry.
	a.revoke()
	resp, err = client.Get("https://api.example.com/x")
	is.NoErr(err)
	resp.Body.Close()
	is.True(rec.find("invalidate") != nil)
	is.True(rec.event(EventInvalidate) != nil)
	m = rec.find("retry")
	is.True(m != nil && m["origin"] == "https://api.example.com")
	ev = rec.event(EventRetry)
	is.True(ev != nil && ev.Origin == "https://api.example.com")

	// An Invalidate with a stale token is ignored.
	src.Invalidate(&oauth2.Token{AccessToken: "tok-1"})
	is.True(rec.find("invalidate-ignored") != nil)

	// A refusal whose body cannot be replayed is handed back.
	a.revoke()
	req, _ := http.NewRequest("POST", "https://api.example.com/x", io.NopCloser(strings.NewReader("once")))
	resp, err = client.Do(req)
	is.NoErr(err)
	resp.Body.Close()
	m = rec.find("refusal returned: request body cannot be replayed")
	is.True(m != nil && m["origin"] == "https://api.example.com")

	// Another origin: passed through without credentials.
	resp, err = client.Get("https://other.example.com/x")
	is.NoErr(err)
	resp.Body.Close()
	m = rec.find("withheld")
	is.True(m != nil && m["origin"] == "https://other.example.com" && m["level"] == "DEBUG")
	is.True(rec.event(EventWithheld) != nil)

	// A plain-http request to an origin's host is a warning.
	resp, err = client.Get("http://api.example.com/x")
	is.NoErr(err)
	resp.Body.Close()
	m = rec.find("credentials withheld from plain-http origin")
	is.True(m != nil && m["level"] == "WARN" && m["origin"] == "http://api.example.com")
	is.Equal(src.Stats(), Stats{Logins: 2, Invalidations: 2, Retries: 1, Withheld: 2})
}

func TestFailureEventsAndBackoffWarning(t *testing.T) {
	is := is.New(t)
	rec := &recorder{}
	src := New(Config{Provider: "test", Origins: []string{"https://api.example.com"},
		Login: func(context.Context) (*oauth2.Token, error) {
			return nil, &LoginError{Provider: "test", Status: 403, Code: "ERROR_CODE_ACCESS_DENIED", Message: "Invalid Credentials.", BadCredentials: true}
		},
		Options: rec.options(Options{})})
	_, err := src.Token()
	is.True(err != nil)
	m := rec.find("failure")
	is.True(m != nil)
	is.Equal(m["level"], "WARN")
	is.Equal(m["status"], "403")
	is.Equal(m["code"], "ERROR_CODE_ACCESS_DENIED")
	is.Equal(m["message"], "Invalid Credentials.")
	is.Equal(m["op"], "login")
	ev := rec.event(EventFailure)
	var le *LoginError
	is.True(ev != nil && errors.As(ev.Err, &le)) // the hook gets the error
	m = rec.find("login backoff")
	is.True(m != nil && m["level"] == "WARN" && m["attempt"] == "1" && m["backoff"] != "")
	is.Equal(src.Stats().Failures, int64(1))
}

func TestRefreshEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		rec := &recorder{}
		clk := &loginauthtest.Clock{}
		c := &counter{exp: func() time.Time { return clk.Now().Add(time.Hour) }}
		src := New(Config{Provider: "test", Origins: []string{"https://api.example.com"}, Login: c.login,
			Refresh: func(ctx context.Context, old *oauth2.Token) (*oauth2.Token, error) {
				return &oauth2.Token{AccessToken: "new", Expiry: clk.Now().Add(time.Hour)}, nil
			},
			Options: rec.options(Options{Now: clk.Now})})
		_, err := src.Token()
		is.NoErr(err)
		clk.Advance(time.Hour - 10*time.Second)
		_, err = src.Token()
		is.NoErr(err)
		synctest.Wait() // the background refresh has ended
		is.True(rec.find("background-refresh") != nil)
		is.True(rec.event(EventStart) != nil)
		m := rec.find("refresh")
		is.True(m != nil && m["event"] == "refresh" && m["op"] == "refresh")
		ev := rec.event(EventRefresh)
		is.True(ev != nil && ev.Op == "refresh" && ev.Provider == "test")
		is.Equal(src.Stats().Refreshes, int64(1))
	})
}

func TestNoSecretInLogs(t *testing.T) {
	is := is.New(t)
	rec := &recorder{}
	const secret = "s3cret-TOKEN-value"
	var n int
	src := New(Config{Provider: "test", Origins: []string{"https://api.example.com"},
		Scheme: HeaderScheme{Prefix: "Bearer", Header: http.Header{"X-Api-Key": {"KEY-" + secret}}},
		Login: func(context.Context) (*oauth2.Token, error) {
			n++
			if n == 2 {
				return nil, &LoginError{Provider: "test", Status: 401, Message: "bad"}
			}
			return &oauth2.Token{AccessToken: secret + "-access", RefreshToken: secret + "-refresh"}, nil
		},
		Options: rec.options(Options{MinBackoff: -1})})
	refused := true
	client := &http.Client{Transport: NewTransport(src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		if refused {
			refused = false
			return respond(401, ""), nil
		}
		return respond(200, ""), nil
	}))}
	for range 3 {
		if resp, err := client.Get("https://api.example.com/"); err == nil {
			resp.Body.Close()
		}
	}
	is.True(len(rec.records) > 5)                           // the scenario logged
	is.True(!strings.Contains(rec.text.String(), "s3cret")) // no secret, not even a part
	for _, ev := range rec.events {
		is.True(ev.Err == nil || !strings.Contains(ev.Err.Error(), "s3cret"))
	}
}

func TestLoggerAndHookAddNoAllocation(t *testing.T) {
	is := is.New(t)
	rec := &recorder{}
	src := New(Config{Login: (&counter{}).login, Origins: []string{"https://api.example.com"}, Options: rec.options(Options{Lifetime: time.Hour})})
	_, err := src.Token()
	is.NoErr(err)
	n := len(rec.records)
	resp := respond(200, "")
	tr := NewTransport(src, loginauthtest.RoundTripperFunc(func(*http.Request) (*http.Response, error) { return resp, nil }))
	req, _ := http.NewRequest("GET", "https://api.example.com/x", nil)
	req.Header.Set("Accept", "application/json")
	allocs := testing.AllocsPerRun(1000, func() { _, _ = tr.RoundTrip(req) })
	is.True(allocs <= 4)          // at most 4 per request, logger and hook included
	is.Equal(len(rec.records), n) // and nothing logged for a cached token
}

// observer records the events of a Source and its log records, as JSON
// objects, so that a test can check that both say the same.
type observer struct {
	mu     sync.Mutex
	events []Event
	logs   bytes.Buffer
	onEv   func(Event) // called for each event, before it is recorded
}

func (o *observer) options(opts Options) Options {
	opts.OnEvent = func(ev Event) {
		if o.onEv != nil {
			o.onEv(ev)
		}
		o.mu.Lock()
		o.events = append(o.events, ev)
		o.mu.Unlock()
	}
	opts.Logger = slog.New(slog.NewJSONHandler(&lockedWriter{o: o}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return opts
}

type lockedWriter struct{ o *observer }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	return w.o.logs.Write(p)
}

// of returns the events of kind k.
func (o *observer) of(k EventKind) []Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	var evs []Event
	for _, ev := range o.events {
		if ev.Kind == k {
			evs = append(evs, ev)
		}
	}
	return evs
}

// records returns the log records whose "event" attribute is k's name.
func (o *observer) records(t *testing.T, k EventKind) []map[string]any {
	o.mu.Lock()
	defer o.mu.Unlock()
	var recs []map[string]any
	for line := range strings.Lines(o.logs.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log record %q: %v", line, err)
		}
		if m["event"] == k.String() {
			recs = append(recs, m)
		}
	}
	return recs
}

// sameAsLog checks that ev was logged once, with the attributes named
// after its fields.
func (o *observer) sameAsLog(t *testing.T, ev Event) {
	t.Helper()
	is := is.NewRelaxed(t)
	recs := o.records(t, ev.Kind)
	is.Equal(len(recs), 1) // one log record per event of this kind
	if len(recs) != 1 {
		return
	}
	m := recs[0]
	is.Equal(m["msg"], "loginauth: "+ev.Kind.String()) // the message names the kind
	is.Equal(m["provider"], ev.Provider)               // provider as in the Event
	if ev.Op != "" {
		is.Equal(m["op"], ev.Op) // op as in the Event
	}
	if ev.Err != nil {
		is.Equal(m["error"], ev.Err.Error()) // error as in the Event
		is.Equal(m["level"], "WARN")         // a failure is a warning
	}
}

type startKey struct{}

// TestEventStartContext checks that an EventStart hook can hand the login
// a derived context, as a tracing span would: the LoginFunc runs with it,
// it keeps the login's deadline, and the event that ends the login
// carries it, for a login that succeeds and for one that fails.
func TestEventStartContext(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprint("fail=", fail), func(t *testing.T) {
			is := is.New(t)
			o := &observer{}
			o.onEv = func(ev Event) {
				if ev.Kind == EventStart {
					ev.SetContext(context.WithValue(ev.Context, startKey{}, "span"))
				}
			}
			var inLogin atomic.Value
			src := New(Config{Provider: "test", Origins: []string{"https://api.example.com"},
				Login: func(ctx context.Context) (*oauth2.Token, error) {
					_, hasDeadline := ctx.Deadline()
					inLogin.Store(fmt.Sprintln(ctx.Value(startKey{}), hasDeadline))
					if fail {
						return nil, errors.New("refused")
					}
					return &oauth2.Token{AccessToken: "t"}, nil
				},
				Options: o.options(Options{MinBackoff: -1})})
			_, err := src.Token()
			is.Equal(err != nil, fail)
			is.Equal(inLogin.Load(), "span true\n") // the LoginFunc runs with the hook's context, under the login's deadline

			starts := o.of(EventStart)
			is.Equal(len(starts), 1) // one EventStart per login
			is.Equal(starts[0].Op, "login")
			is.True(starts[0].Context != nil)                  // the EventStart carries the login's context
			is.Equal(starts[0].Context.Value(startKey{}), nil) // the one before the hook's
			end := EventLogin
			if fail {
				end = EventFailure
			}
			ends := o.of(end)
			is.Equal(len(ends), 1)                              // one end event
			is.True(ends[0].Context != nil)                     // with a context
			is.Equal(ends[0].Context.Value(startKey{}), "span") // the end event carries the hook's context
			o.sameAsLog(t, starts[0])
			o.sameAsLog(t, ends[0])
		})
	}
}

// TestEventBackgroundRefresh checks that a caller inside the early-refresh
// window gets one EventBackgroundRefresh, however many callers find the
// token there, and that it is logged.
func TestEventBackgroundRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		o := &observer{}
		var logins atomic.Int64
		gate := make(chan struct{})
		src := New(Config{Provider: "test", Origins: []string{"https://api.example.com"},
			Login: func(ctx context.Context) (*oauth2.Token, error) {
				if logins.Add(1) > 1 {
					<-gate
				}
				return &oauth2.Token{AccessToken: "t", Expiry: time.Now().Add(time.Hour)}, nil
			},
			Options: o.options(Options{})})
		_, err := src.Token()
		is.NoErr(err)
		is.Equal(len(o.of(EventBackgroundRefresh)), 0) // none for a fresh token
		time.Sleep(time.Hour - 30*time.Second)
		for range 3 {
			_, err = src.Token()
			is.NoErr(err) // the still-valid token, at once
		}
		close(gate)
		synctest.Wait()
		evs := o.of(EventBackgroundRefresh)
		is.Equal(len(evs), 1) // one background refresh for all callers in the window
		is.Equal(evs[0].Provider, "test")
		is.Equal(logins.Load(), int64(2)) // and it logged in
		o.sameAsLog(t, evs[0])
	})
}

// TestEventInvalidateIgnored checks that an Invalidate that keeps the
// cached token, because it was given a token already replaced, is an
// EventInvalidateIgnored, and the one that forgets it is not.
func TestEventInvalidateIgnored(t *testing.T) {
	is := is.New(t)
	o := &observer{}
	src := New(Config{Provider: "test", Origins: []string{"https://api.example.com"},
		Login:   func(context.Context) (*oauth2.Token, error) { return &oauth2.Token{AccessToken: "t"}, nil },
		Options: o.options(Options{})})
	tok, err := src.Token()
	is.NoErr(err)
	src.Invalidate(tok)
	is.Equal(len(o.of(EventInvalidate)), 1)        // the first forgets the token
	is.Equal(len(o.of(EventInvalidateIgnored)), 0) // and is not ignored
	src.Invalidate(tok)
	evs := o.of(EventInvalidateIgnored)
	is.Equal(len(evs), 1)                   // the second is ignored
	is.Equal(len(o.of(EventInvalidate)), 1) // and forgets nothing
	is.Equal(evs[0].Provider, "test")
	o.sameAsLog(t, evs[0])
}

// failingStore is a Store whose every call fails.
type failingStore struct{}

func (failingStore) Load(context.Context, string) ([]byte, error) {
	return nil, errors.New("load: disk full")
}
func (failingStore) Save(context.Context, string, []byte, time.Time) error {
	return errors.New("save: disk full")
}
func (failingStore) Delete(context.Context, string, []byte) error { return nil }

// TestEventStoreError checks that each failed Store call is one
// EventStoreError that names the operation and carries the error, logged
// as a warning with the same attributes, and that the login goes on.
func TestEventStoreError(t *testing.T) {
	is := is.New(t)
	o := &observer{}
	src := New(Config{Provider: "test", Origins: []string{"https://api.example.com"},
		Login:   func(context.Context) (*oauth2.Token, error) { return &oauth2.Token{AccessToken: "t"}, nil },
		Options: o.options(Options{Store: failingStore{}})})
	_, err := src.Token()
	is.NoErr(err) // a failing Store does not fail the login
	evs := o.of(EventStoreError)
	is.Equal(len(evs), 2) // one for the load, one for the save
	for i, op := range []string{"load", "save"} {
		is.Equal(evs[i].Op, op)                                                 // the event names the operation
		is.True(evs[i].Err != nil && strings.HasPrefix(evs[i].Err.Error(), op)) // and carries its error
	}
	recs := o.records(t, EventStoreError)
	is.Equal(len(recs), 2) // each is logged
	for i, m := range recs {
		is.Equal(m["op"], evs[i].Op)
		is.Equal(m["error"], evs[i].Err.Error())
		is.Equal(m["level"], "WARN")
	}
}

// TestEventStartContextOnPanic checks that a login that panics still ends
// its EventStart: the EventFailure carries the context the hook handed
// back, so that a span never stays open.
func TestEventStartContextOnPanic(t *testing.T) {
	is := is.New(t)
	o := &observer{}
	o.onEv = func(ev Event) {
		if ev.Kind == EventStart {
			ev.SetContext(context.WithValue(ev.Context, startKey{}, "span"))
		}
	}
	src := New(Config{Provider: "test", Origins: []string{"https://api.example.com"},
		Login:   func(context.Context) (*oauth2.Token, error) { panic("boom") },
		Options: o.options(Options{})})
	_, err := src.Token()
	is.True(err != nil) // the panic is an error
	fails := o.of(EventFailure)
	is.Equal(len(fails), 1)                                                          // one end event
	is.True(fails[0].Context != nil && fails[0].Context.Value(startKey{}) == "span") // with the hook's context
}
