package otelloginauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/otelloginauth"
)

const origin = "https://api.example.com"

// api is a fake API, as a LoginFunc and a base RoundTripper, that accepts
// only the token of its last login as a Bearer token.
type api struct {
	logins atomic.Int64
	valid  atomic.Pointer[string]
}

func (a *api) login(context.Context) (*oauth2.Token, error) {
	tok := fmt.Sprintf("tok-%d", a.logins.Add(1))
	a.valid.Store(&tok)
	return &oauth2.Token{AccessToken: tok, RefreshToken: "r"}, nil
}

func (a *api) revoke() { s := "revoked"; a.valid.Store(&s) }

func (a *api) RoundTrip(r *http.Request) (*http.Response, error) {
	status := 200
	if v := a.valid.Load(); v == nil || r.Header.Get("Authorization") != "Bearer "+*v {
		status = 401
	}
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}

// meters returns a MeterProvider and the reader that collects from it.
func meters() (*sdkmetric.MeterProvider, *sdkmetric.ManualReader) {
	r := sdkmetric.NewManualReader()
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(r)), r
}

// tracer returns a TracerProvider and the exporter that holds its ended spans.
func tracer() (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	return sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp)), exp
}

// sums returns the Int64 sums and histogram counts collected by r, by
// metric name and attribute set ("name{k=v,...}").
func sums(t *testing.T, r *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[m.Name+label(p.Attributes)] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					got[m.Name+label(p.Attributes)] += int64(p.Count)
				}
			}
		}
	}
	return got
}

func label(s attribute.Set) string {
	var b []string
	for _, kv := range s.ToSlice() {
		b = append(b, string(kv.Key)+"="+kv.Value.Emit())
	}
	return "{" + strings.Join(b, ",") + "}"
}

func TestInstrumentRecordsEachEvent(t *testing.T) {
	is := is.New(t)
	mp, reader := meters()
	metrics, err := otelloginauth.Instrument(mp)
	is.NoErr(err)
	a := &api{}
	var fail atomic.Bool
	src := loginauth.New(loginauth.Config{
		Provider: "test",
		Origins:  []string{origin},
		Login: func(ctx context.Context) (*oauth2.Token, error) {
			if fail.Load() {
				return nil, errors.New("test: down")
			}
			return a.login(ctx)
		},
		Refresh: func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			return nil, errors.New("test: refresh refused")
		},
		Options: loginauth.Options{OnEvent: metrics, MinBackoff: -1},
	})
	client := &http.Client{Transport: loginauth.NewTransport(src, a)}
	get := func(url string) {
		t.Helper()
		resp, err := client.Get(url)
		is.NoErr(err)
		resp.Body.Close()
	}
	get(origin + "/") // a login
	get(origin + "/") // cached
	a.revoke()
	get(origin + "/")             // a refusal: an invalidation, a refresh that fails, a login, a re-send
	get("https://other.example/") // withheld
	fail.Store(true)
	tok, _ := src.Token()
	src.Invalidate(tok)
	_, err = src.Token() // the refresh fails, and so does the login
	is.True(err != nil)  // the failed login

	is.Equal(sums(t, reader), map[string]int64{
		"loginauth.logins{loginauth.op=login,loginauth.provider=test}":                                     2,
		"loginauth.login.failures{loginauth.op=refresh,loginauth.provider=test}":                           2,
		"loginauth.login.failures{loginauth.op=login,loginauth.provider=test}":                             1,
		"loginauth.login.duration{loginauth.op=login,loginauth.outcome=success,loginauth.provider=test}":   2,
		"loginauth.login.duration{loginauth.op=refresh,loginauth.outcome=failure,loginauth.provider=test}": 2,
		"loginauth.login.duration{loginauth.op=login,loginauth.outcome=failure,loginauth.provider=test}":   1,
		"loginauth.retries{loginauth.provider=test}":                                                       1,
		"loginauth.invalidations{loginauth.provider=test}":                                                 2,
		"loginauth.withheld{loginauth.provider=test}":                                                      1,
	}) // every event counted once, under its pinned name
	st := src.Stats()
	is.Equal(st.Logins, int64(2))        // the Source agrees
	is.Equal(st.Failures, int64(3))      // the Source agrees
	is.Equal(st.Invalidations, int64(2)) // the Source agrees
}

func TestInstrumentCountsRefreshes(t *testing.T) {
	is := is.New(t)
	mp, reader := meters()
	metrics, err := otelloginauth.Instrument(mp)
	is.NoErr(err)
	c := loginauthtest.NewClock(loginauthtest.Epoch)
	src := loginauth.New(loginauth.Config{
		Provider: "test",
		Origins:  []string{origin},
		Login: func(context.Context) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "a", RefreshToken: "r", Expiry: c.Now().Add(time.Hour)}, nil
		},
		Refresh: func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "b", Expiry: c.Now().Add(time.Hour)}, nil
		},
		Options: loginauth.Options{OnEvent: metrics, Now: c.Now, EarlyRefresh: -1},
	})
	_, err = src.Token()
	is.NoErr(err)
	c.Advance(2 * time.Hour)
	_, err = src.Token()
	is.NoErr(err)
	got := sums(t, reader)
	is.Equal(got["loginauth.logins{loginauth.op=refresh,loginauth.provider=test}"], int64(1)) // the refresh, as a refresh
	is.Equal(got["loginauth.logins{loginauth.op=login,loginauth.provider=test}"], int64(1))   // the login, as a login
}

func TestInstrumentTracingSpanPerLogin(t *testing.T) {
	is := is.New(t)
	tp, exp := tracer()
	a := &api{}
	src := loginauth.New(loginauth.Config{
		Provider: "test",
		Origins:  []string{origin},
		Login: func(ctx context.Context) (*oauth2.Token, error) {
			// What otelhttp on the login HTTPClient does: a span from ctx.
			_, span := tp.Tracer("http").Start(ctx, "POST /login", trace.WithSpanKind(trace.SpanKindClient))
			defer span.End()
			return a.login(ctx)
		},
		Options: loginauth.Options{OnEvent: otelloginauth.InstrumentTracing(tp)},
	})
	client := &http.Client{Transport: loginauth.NewTransport(src, a)}
	ctx, parent := tp.Tracer("app").Start(context.Background(), "GET /")
	for range 2 { // one login, then the cached token
		req, _ := http.NewRequestWithContext(ctx, "GET", origin+"/", nil)
		resp, err := client.Do(req)
		is.NoErr(err)
		resp.Body.Close()
	}
	parent.End()

	spans := map[string]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		spans[s.Name] = s
	}
	is.Equal(len(exp.GetSpans()), 3) // the request, one login, its HTTP call
	login, ok := spans["loginauth.login"]
	is.True(ok)                                                                // a span for the login
	is.Equal(login.Parent.SpanID(), spans["GET /"].SpanContext.SpanID())       // a child of the request that needed it
	is.Equal(spans["POST /login"].Parent.SpanID(), login.SpanContext.SpanID()) // the login's own request is its child
	is.True(!login.EndTime.Before(spans["POST /login"].EndTime))               // ended after the login returned
	is.Equal(login.Status.Code, codes.Unset)                                   // a success
	is.Equal(attribute.NewSet(login.Attributes...), attribute.NewSet(otelloginauth.ProviderKey.String("test"), otelloginauth.OpKey.String("login")))
}

func TestInstrumentTracingRecordsScrubbedError(t *testing.T) {
	is := is.New(t)
	tp, exp := tracer()
	mp, reader := meters()
	metrics, err := otelloginauth.Instrument(mp)
	is.NoErr(err)
	const secret = "hunter2-secret"
	src := loginauth.New(loginauth.Config{
		Provider: "test",
		Origins:  []string{origin},
		Secrets:  []string{secret},
		Login: func(context.Context) (*oauth2.Token, error) {
			// A provider that echoes the password in its answer.
			return nil, &loginauth.LoginError{Provider: "test", Op: "login", Status: 401, Message: "wrong password " + secret, Err: errors.New("body: " + secret)}
		},
		Options: loginauth.Options{OnEvent: otelloginauth.Chain(metrics, otelloginauth.InstrumentTracing(tp))},
	})
	_, err = src.Token()
	is.True(err != nil) // the login failed

	spans := exp.GetSpans()
	is.Equal(len(spans), 1) // the failed login's span, ended
	s := spans[0]
	is.Equal(s.Status.Code, codes.Error)                   // marked failed
	is.True(strings.Contains(s.Status.Description, "401")) // with the scrubbed error
	is.Equal(len(s.Events), 1)                             // an exception event
	dump := fmt.Sprintf("%+v", s)                          // every attribute, event and status
	is.True(!strings.Contains(dump, secret))               // never the secret
	is.True(strings.Contains(dump, "http.response.status_code"))
	is.True(!strings.Contains(fmt.Sprint(sums(t, reader)), secret)) // nor in a metric
}

func TestInstrumentTracingEndsOnlyItsOwnSpans(t *testing.T) {
	is := is.New(t)
	tp, exp := tracer()
	fn := otelloginauth.InstrumentTracing(tp)
	ctx, parent := tp.Tracer("app").Start(context.Background(), "caller")
	// An end event whose Context has no span of this hook: a login
	// whose EventStart another hook handled.
	fn(loginauth.Event{Kind: loginauth.EventLogin, Op: "login", Context: ctx})
	fn(loginauth.Event{Kind: loginauth.EventFailure, Op: "login", Err: errors.New("x")}) // no Context at all
	is.Equal(len(exp.GetSpans()), 0)                                                     // the caller's span is not ended
	parent.End()
	is.Equal(len(exp.GetSpans()), 1)
}

func TestCachedPathCostsNothing(t *testing.T) {
	is := is.New(t)
	tp, _ := tracer()
	mp, _ := meters()
	metrics, err := otelloginauth.Instrument(mp)
	is.NoErr(err)
	allocs := func(onEvent loginauth.EventFunc) float64 {
		a := &api{}
		src := loginauth.New(loginauth.Config{Provider: "test", Origins: []string{origin}, Login: a.login, Options: loginauth.Options{OnEvent: onEvent}})
		tr := loginauth.NewTransport(src, a)
		req, _ := http.NewRequest("GET", origin+"/", nil)
		_, err := src.Token()
		is.NoErr(err)
		return testing.AllocsPerRun(200, func() {
			resp, err := tr.RoundTrip(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatal("request failed")
			}
		})
	}
	bare := allocs(nil)
	is.Equal(allocs(otelloginauth.Chain(metrics, otelloginauth.InstrumentTracing(tp))), bare) // no allocation more on the cached path
}

func TestChain(t *testing.T) {
	is := is.New(t)
	is.True(otelloginauth.Chain(nil, nil) == nil) // nothing to call: a nil OnEvent
	var got []string
	one := func(e loginauth.Event) { got = append(got, "one:"+e.Kind.String()) }
	two := func(e loginauth.Event) { got = append(got, "two:"+e.Kind.String()) }
	otelloginauth.Chain(one, nil, two)(loginauth.Event{Kind: loginauth.EventRetry})
	is.Equal(got, []string{"one:retry", "two:retry"}) // each non-nil function, in order
}

func TestInstrumentSkipsDurationOfLoginNeverStarted(t *testing.T) {
	is := is.New(t)
	mp, reader := meters()
	metrics, err := otelloginauth.Instrument(mp)
	is.NoErr(err)
	// What a Source reports when the last login ignored its timeout and
	// has not returned: a failure without a duration.
	metrics(loginauth.Event{Kind: loginauth.EventFailure, Provider: "test", Op: "login", Err: errors.New("x")})
	is.Equal(sums(t, reader), map[string]int64{"loginauth.login.failures{loginauth.op=login,loginauth.provider=test}": 1}) // counted, but no duration of 0 s
}
