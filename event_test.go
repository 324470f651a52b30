package loginauth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
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
	is.True(rec.find("login starting") != nil)
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
	is.True(rec.find("invalidate ignored: token already replaced") != nil)

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
		is.True(rec.find("background refresh") != nil)
		is.True(rec.find("refresh starting") != nil)
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
