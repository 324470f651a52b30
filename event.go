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
)

var kindNames = [...]string{"", "login", "refresh", "failure", "invalidate", "retry", "withheld"}

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

// Event reports something a [Source] or [Transport] did. Log records use
// the same names as attributes: "event", "provider", "op", "duration",
// "origin", "status", "code", "message" and "error".
type Event struct {
	// Kind says what happened.
	Kind EventKind
	// Provider is the Source's Config.Provider.
	Provider string
	// Op is "login" or "refresh" for EventLogin, EventRefresh and
	// EventFailure.
	Op string
	// Duration is how long the login or refresh took.
	Duration time.Duration
	// Origin is the scheme://host[:port] of the request, for EventRetry
	// and EventWithheld.
	Origin string
	// Err is the failure, for EventFailure.
	Err error
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

type counters struct {
	logins, refreshes, failures, invalidations, retries, withheld atomic.Int64
}

// Stats returns a snapshot of the counters of s.
func (s *Source) Stats() Stats {
	c := &s.stats
	return Stats{
		Logins:        c.logins.Load(),
		Refreshes:     c.refreshes.Load(),
		Failures:      c.failures.Load(),
		Invalidations: c.invalidations.Load(),
		Retries:       c.retries.Load(),
		Withheld:      c.withheld.Load(),
	}
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
	s.cfg.Logger.LogAttrs(context.Background(), level, "loginauth: "+ev.Kind.String(), attrs...)
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

func (s *Source) debug(msg string, attrs ...slog.Attr) {
	if s.cfg.Logger != nil {
		s.cfg.Logger.LogAttrs(context.Background(), slog.LevelDebug, "loginauth: "+msg, append(attrs, slog.String("provider", s.cfg.Provider))...)
	}
}

func (s *Source) warn(msg string, attrs ...slog.Attr) {
	if s.cfg.Logger != nil {
		s.cfg.Logger.LogAttrs(context.Background(), slog.LevelWarn, "loginauth: "+msg, append(attrs, slog.String("provider", s.cfg.Provider))...)
	}
}
