package otelloginauth

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/loginauth/loginauth"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/loginauth/loginauth/otelloginauth"

// The attributes of every measurement and span.
const (
	// ProviderKey is the Source's provider ([loginauth.Event] Provider),
	// on every measurement and span.
	ProviderKey = attribute.Key("loginauth.provider")
	// OpKey is "login" or "refresh", on the logins, failures and
	// durations, and on the spans.
	OpKey = attribute.Key("loginauth.op")
	// OutcomeKey is "success" or "failure", on the durations.
	OutcomeKey = attribute.Key("loginauth.outcome")
)

// durationBounds are the histogram buckets of loginauth.login.duration,
// in seconds: those of OpenTelemetry's http.client.request.duration.
var durationBounds = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// Instrument returns an EventFunc that records a Source's events on mp.
// A nil mp means the global provider (otel.GetMeterProvider). Hand the
// function to [loginauth.Options] OnEvent, alone or with [Chain]. The
// instruments, each with the attribute loginauth.provider:
//
//   - loginauth.logins: Int64 counter of successful logins and refreshes,
//     with loginauth.op "login" or "refresh";
//   - loginauth.login.failures: Int64 counter of failed logins and
//     refreshes, with loginauth.op;
//   - loginauth.login.duration: Float64 histogram of how long each login
//     or refresh took, in seconds, with loginauth.op and loginauth.outcome
//     ("success" or "failure");
//   - loginauth.retries: Int64 counter of requests that a
//     [loginauth.Transport] re-sent after a refusal;
//   - loginauth.invalidations: Int64 counter of cached tokens forgotten
//     after a refusal;
//   - loginauth.withheld: Int64 counter of requests sent to other origins
//     without credentials.
//
// It returns an error only when mp refuses to create an instrument.
func Instrument(mp metric.MeterProvider) (loginauth.EventFunc, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(ScopeName)
	r := &recorder{attrs: map[string]*providerAttrs{}}
	var err error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, e := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		err = errors.Join(err, e)
		return c
	}
	r.logins = counter("loginauth.logins", "{login}", "Successful logins and refreshes.")
	r.failures = counter("loginauth.login.failures", "{failure}", "Failed logins and refreshes.")
	r.retries = counter("loginauth.retries", "{request}", "Requests re-sent with fresh credentials after a refusal.")
	r.invalidations = counter("loginauth.invalidations", "{token}", "Cached tokens forgotten after a refusal.")
	r.withheld = counter("loginauth.withheld", "{request}", "Requests sent to other origins without credentials.")
	d, e := m.Float64Histogram("loginauth.login.duration", metric.WithUnit("s"),
		metric.WithDescription("How long each login or refresh took."),
		metric.WithExplicitBucketBoundaries(durationBounds...))
	r.duration = d
	if err = errors.Join(err, e); err != nil {
		return nil, fmt.Errorf("otelloginauth: %w", err)
	}
	return r.record, nil
}

// recorder holds the instruments of [Instrument].
type recorder struct {
	logins, failures, retries, invalidations, withheld metric.Int64Counter
	duration                                           metric.Float64Histogram

	mu    sync.RWMutex // guards attrs
	attrs map[string]*providerAttrs
}

// providerAttrs are the attribute sets of one provider's measurements,
// built once, so that recording an event allocates nothing for them.
type providerAttrs struct {
	provider         metric.MeasurementOption
	op               [2]metric.MeasurementOption // by opIndex
	success, failure [2]metric.MeasurementOption // with the outcome, by opIndex
}

func opIndex(op string) int {
	if op == "refresh" {
		return 1
	}
	return 0
}

// of returns the attribute sets of provider.
func (r *recorder) of(provider string) *providerAttrs {
	r.mu.RLock()
	a := r.attrs[provider]
	r.mu.RUnlock()
	if a != nil {
		return a
	}
	p := ProviderKey.String(provider)
	a = &providerAttrs{provider: metric.WithAttributeSet(attribute.NewSet(p))}
	for i, op := range [2]string{"login", "refresh"} {
		o := OpKey.String(op)
		a.op[i] = metric.WithAttributeSet(attribute.NewSet(p, o))
		a.success[i] = metric.WithAttributeSet(attribute.NewSet(p, o, OutcomeKey.String("success")))
		a.failure[i] = metric.WithAttributeSet(attribute.NewSet(p, o, OutcomeKey.String("failure")))
	}
	r.mu.Lock()
	if b := r.attrs[provider]; b != nil {
		a = b
	} else {
		r.attrs[provider] = a
	}
	r.mu.Unlock()
	return a
}

// record is the EventFunc of [Instrument].
func (r *recorder) record(e loginauth.Event) {
	ctx := context.Background()
	switch e.Kind {
	case loginauth.EventLogin, loginauth.EventRefresh:
		a, i := r.of(e.Provider), opIndex(e.Op)
		r.logins.Add(ctx, 1, a.op[i])
		r.duration.Record(ctx, e.Duration.Seconds(), a.success[i])
	case loginauth.EventFailure:
		a, i := r.of(e.Provider), opIndex(e.Op)
		r.failures.Add(ctx, 1, a.op[i])
		if e.Duration > 0 { // zero: a login that was never started
			r.duration.Record(ctx, e.Duration.Seconds(), a.failure[i])
		}
	case loginauth.EventRetry:
		r.retries.Add(ctx, 1, r.of(e.Provider).provider)
	case loginauth.EventInvalidate:
		r.invalidations.Add(ctx, 1, r.of(e.Provider).provider)
	case loginauth.EventWithheld:
		r.withheld.Add(ctx, 1, r.of(e.Provider).provider)
	}
}

// InstrumentTracing returns an EventFunc that traces each login and
// refresh of a Source on tp: a nil tp means the global provider
// (otel.GetTracerProvider). Hand it to [loginauth.Options] OnEvent, alone
// or with [Chain].
//
// A span named "loginauth.login" or "loginauth.refresh", with the
// attributes loginauth.provider and loginauth.op, starts at the
// [loginauth.EventStart] and runs as the login's context (through
// [loginauth.Event.SetContext]), so that the spans of the login's own
// requests (an otelhttp transport on the provider's HTTPClient, say) are
// its children. It is a child of the span of the request, or the
// TokenContext call, that started the login, when that context has one.
// It ends at the EventLogin, EventRefresh or EventFailure that ends the
// login; a failure records the Source's error, which is scrubbed of the
// Config's secrets, as the span's error status and an exception event,
// with the HTTP status of a [loginauth.LoginError] as
// http.response.status_code.
func InstrumentTracing(tp trace.TracerProvider) loginauth.EventFunc {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	t := &tracer{tr: tp.Tracer(ScopeName)}
	return t.trace
}

// tracer is the state of [InstrumentTracing].
type tracer struct{ tr trace.Tracer }

// spanKey is the context key of the span that t started, so that t ends
// only its own spans, never the caller's.
type spanKey struct{ t *tracer }

// trace is the EventFunc of [InstrumentTracing].
func (t *tracer) trace(e loginauth.Event) {
	if e.Context == nil {
		return // a failure that no login's answer ended; the login's own end event follows
	}
	switch e.Kind {
	case loginauth.EventStart:
		ctx, span := t.tr.Start(e.Context, "loginauth."+e.Op,
			trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(ProviderKey.String(e.Provider), OpKey.String(e.Op)))
		e.SetContext(context.WithValue(ctx, spanKey{t}, span))
	case loginauth.EventLogin, loginauth.EventRefresh, loginauth.EventFailure:
		span, ok := e.Context.Value(spanKey{t}).(trace.Span)
		if !ok {
			return
		}
		if e.Err != nil {
			var le *loginauth.LoginError
			if errors.As(e.Err, &le) && le.Status != 0 {
				span.SetAttributes(attribute.Int("http.response.status_code", le.Status))
			}
			span.RecordError(e.Err)
			span.SetStatus(codes.Error, e.Err.Error())
		}
		span.End()
	}
}

// Chain returns an EventFunc that hands each event to every non-nil fn,
// in order: the way to combine [Instrument], [InstrumentTracing] and an
// OnEvent of one's own. Every fn sees the event as the Source sent it, so
// at most one of them may call [loginauth.Event.SetContext]; of the
// functions of this package, only InstrumentTracing does.
func Chain(fns ...loginauth.EventFunc) loginauth.EventFunc {
	var live []loginauth.EventFunc
	for _, fn := range fns {
		if fn != nil {
			live = append(live, fn)
		}
	}
	switch len(live) {
	case 0:
		return nil // a nil OnEvent: the Source builds no events at all
	case 1:
		return live[0]
	}
	return func(e loginauth.Event) {
		for _, fn := range live {
			fn(e)
		}
	}
}
