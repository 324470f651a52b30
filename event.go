package loginauth

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// EventKind says what an [Event] reports.
type EventKind int

// The kinds of [Event].
const (
	// EventLogin: a login succeeded.
	EventLogin EventKind = iota + 1
	// EventRefresh: a refresh through [Config.Refresh] succeeded.
	EventRefresh
	// EventFailure: a login or refresh failed; Event.Op says which.
	EventFailure
	// EventInvalidate: [Source.Invalidate] forgot the cached token.
	EventInvalidate
	// EventRetry: a [Transport] re-sent a refused request.
	EventRetry
	// EventWithheld: a [Transport] sent a request to another origin
	// without credentials.
	EventWithheld
	// EventStart: a login or refresh starts; Event.Op says which, and
	// Event.Context is its context. The EventLogin, EventRefresh or
	// EventFailure that ends it follows once the [LoginFunc] or
	// [RefreshFunc] returns, with the same Context, and before the new
	// token is cached and stored: a hook that calls [Source.Token] then
	// may still get the old one.
	EventStart
	// EventBackgroundRefresh: a caller found the cached token inside its
	// early-refresh window ([Options.EarlyRefresh]) and started a
	// background renewal; the caller got the still-valid token.
	EventBackgroundRefresh
	// EventInvalidateIgnored: [Source.Invalidate] kept the cached token,
	// because the token it was given had already been replaced or
	// forgotten (by another refused request, say).
	EventInvalidateIgnored
	// EventStoreError: a call of [Options.Store] failed, or a stored value
	// could not be decoded; Event.Op says which ("load", "save", "delete",
	// "lock", "encode" or "decode"), and Event.Err why. The Source carries
	// on in memory.
	EventStoreError
)

var kindNames = [...]string{"", "login", "refresh", "failure", "invalidate", "retry", "withheld", "start", "background-refresh", "invalidate-ignored", "store-error"}

// String returns the kind's name, as used in log records.
func (k EventKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

func (k EventKind) op() string {
	if k == EventRefresh {
		return "refresh"
	}
	return "login"
}

// Event reports something a [Source] or [Transport] did. Every Event is
// also a record of [Options.Logger], with the message "loginauth: " and
// the kind's name, and these attributes: "event" (the kind), "provider",
// "op", "duration", "origin" and "error", each when set, and "status",
// "code" and "message" when Err is a [LoginError]. Records of a failure
// are warnings, the others debug records. The Logger alone also gets the
// warning "login backoff" with "backoff" and "attempt" (the wait after
// a failure, and how many failed in a row), and the warnings about
// withheld credentials, with "origin" and "host".
type Event struct {
	// Kind says what happened.
	Kind EventKind
	// Provider is the Source's Config.Provider.
	Provider string
	// Op is "login" or "refresh" for EventStart, EventLogin, EventRefresh
	// and EventFailure, and the Store's operation for EventStoreError.
	Op string
	// Duration is how long the login or refresh took.
	Duration time.Duration
	// Origin is the scheme://host[:port] of the request, for EventRetry
	// and EventWithheld.
	Origin string
	// Err is the failure, for EventFailure and EventStoreError.
	Err error
	// Context is the context of the login or refresh, for EventStart and
	// for the EventLogin, EventRefresh or EventFailure that ends it: a
	// context detached from the callers, bounded by
	// [Options.LoginTimeout]. It is nil for other events, and for the
	// failures that the Source reports without a LoginFunc's answer (a
	// login that ignores its timeout is reported when the timeout ends,
	// and its own end event follows when it returns). A hook that starts
	// a span at EventStart hands the span's context back with
	// [Event.SetContext], and ends the span at the end event, whose
	// Context is the one handed back.
	Context context.Context

	set *context.Context // for EventStart: the context the login runs with
}

// SetContext replaces the context that the login announced by an
// EventStart runs with, so that the LoginFunc or RefreshFunc, and the
// requests it sends, carry ctx (a tracing span, say); the event that ends
// the login carries ctx as its Context. ctx should derive from
// e.Context, so that it keeps the login's deadline. SetContext must be
// called from the [Options.OnEvent] hook, while it handles the
// EventStart: later, it has no effect. For other events, and for a nil
// ctx, it does nothing.
func (e Event) SetContext(ctx context.Context) {
	if e.set != nil && ctx != nil {
		*e.set = ctx
	}
}

// EventFunc receives events; see [Options.OnEvent]. It is called
// synchronously, so it must be quick and must not block.
type EventFunc func(Event)

// Stats is a snapshot of a [Source]'s counters.
type Stats struct {
	Logins        int64 // successful logins
	Refreshes     int64 // successful refreshes
	Failures      int64 // failed logins and refreshes
	Invalidations int64 // cached tokens forgotten after a refusal
	Retries       int64 // requests re-sent after a refusal
	Withheld      int64 // requests sent to other origins without credentials
}

// counters are the counters of a Source. Those that stay at zero while
// all is well are built when first counted.
type counters struct {
	logins atomic.Int64
	rare   atomic.Pointer[rareCounters]
}

// rareCounters are the counters that many Sources never need: a Source
// that never refreshes or fails keeps none.
type rareCounters struct {
	refreshes, failures, invalidations, retries, withheld atomic.Int64
}

// more returns the rare counters, building them on first use.
func (c *counters) more() *rareCounters { return loadOrNew(&c.rare) }

// loadOrNew returns *p, which it sets to a new T first when it is nil.
func loadOrNew[T any](p *atomic.Pointer[T]) *T {
	if v := p.Load(); v != nil {
		return v
	}
	p.CompareAndSwap(nil, new(T))
	return p.Load()
}

// Stats returns a snapshot of the counters of s.
func (s *Source) Stats() Stats {
	c := &s.stats
	st := Stats{Logins: c.logins.Load()}
	if r := c.rare.Load(); r != nil {
		st.Refreshes = r.refreshes.Load()
		st.Failures, st.Invalidations = r.failures.Load(), r.invalidations.Load()
		st.Retries, st.Withheld = r.retries.Load(), r.withheld.Load()
	}
	return st
}

// emit logs ev and hands it to the hook.
func (s *Source) emit(ev Event) {
	ev.Provider = s.cfg.Provider
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(ev)
	}
	if s.cfg.Logger == nil {
		return
	}
	level := slog.LevelDebug
	attrs := []slog.Attr{slog.String("event", ev.Kind.String()), slog.String("provider", s.cfg.Provider)}
	ctx := ev.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if ev.Op != "" {
		attrs = append(attrs, slog.String("op", ev.Op))
	}
	if ev.Duration > 0 {
		attrs = append(attrs, slog.Duration("duration", ev.Duration))
	}
	if ev.Origin != "" {
		attrs = append(attrs, slog.String("origin", ev.Origin))
	}
	if ev.Err != nil {
		level = slog.LevelWarn
		attrs = append(attrs, errorAttrs(ev.Err)...)
	}
	s.cfg.Logger.LogAttrs(ctx, level, "loginauth: "+ev.Kind.String(), attrs...)
}

// errorAttrs describes err, with the provider's status, code and message
// when it is a [LoginError].
func errorAttrs(err error) []slog.Attr {
	attrs := []slog.Attr{slog.String("error", err.Error())}
	if le := asLoginError(err); le != nil {
		if le.Status != 0 {
			attrs = append(attrs, slog.Int("status", le.Status))
		}
		if le.Code != "" {
			attrs = append(attrs, slog.String("code", le.Code))
		}
		if le.Message != "" {
			attrs = append(attrs, slog.String("message", le.Message))
		}
	}
	return attrs
}

// start emits the EventStart of a login or refresh that runs with ctx,
// and returns the context that the hook handed back, or ctx.
func (s *Source) start(ctx context.Context, op string) context.Context {
	if s.cfg.OnEvent == nil && s.cfg.Logger == nil {
		return ctx
	}
	login := ctx
	s.emit(Event{Kind: EventStart, Op: op, Context: ctx, set: &login})
	return login
}

func (s *Source) debug(msg string, attrs ...slog.Attr) { s.log(slog.LevelDebug, msg, attrs) }

func (s *Source) warn(msg string, attrs ...slog.Attr) { s.log(slog.LevelWarn, msg, attrs) }

// log writes a record that is no Event, with the provider first, as in
// the records of events.
func (s *Source) log(level slog.Level, msg string, attrs []slog.Attr) {
	if s.cfg.Logger != nil {
		attrs = append([]slog.Attr{slog.String("provider", s.cfg.Provider)}, attrs...)
		s.cfg.Logger.LogAttrs(context.Background(), level, "loginauth: "+msg, attrs...)
	}
}
