package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/loginauth/loginauth"
)

// The proxy's own paths, answered by the proxy and never forwarded; any
// other path under "/_loginauth/" is 404.
const (
	// HealthPath answers GET with 200 when the Source gives a token
	// within [Config.HealthTimeout], and with 503 and the reason
	// otherwise, as JSON: {"status":"ok"} or {"status":"unavailable",
	// "reason":..., "error":..., "retry_at":...}.
	HealthPath = "/_loginauth/health"
	// StatsPath answers GET with the proxy's [Stats] as JSON.
	StatsPath = "/_loginauth/stats"

	ownPrefix = "/_loginauth/"
)

// DefaultHealthTimeout bounds the health check's wait for a token when
// [Config.HealthTimeout] is zero.
const DefaultHealthTimeout = 5 * time.Second

// The reasons of an unhealthy answer of [HealthPath].
const (
	ReasonBadCredentials = "bad credentials" // the provider refused the account's password or secret
	ReasonBackoff        = "backoff"         // a login failed lately, and the next may not start yet
	ReasonTimeout        = "timeout"         // no token within the health timeout
	ReasonLoginFailed    = "login failed"    // any other failure of the login
	ReasonNoCredentials  = "no credentials"  // no usable token, and no secret to log in with: see [Config.NoCredentials]
)

// Health is the JSON body of a [HealthPath] answer.
type Health struct {
	Status  string     `json:"status"`             // "ok" or "unavailable"
	Reason  string     `json:"reason,omitempty"`   // one of the Reason constants
	Error   string     `json:"error,omitempty"`    // the Source's error, which holds no secret
	RetryAt *time.Time `json:"retry_at,omitempty"` // end of the backoff window
}

// serveOwn answers the proxy's own paths.
func (p *Proxy) serveOwn(w http.ResponseWriter, r *http.Request) {
	var h http.HandlerFunc
	switch r.URL.Path {
	case HealthPath:
		h = p.health
	case StatsPath:
		h = p.serveStats
	default:
		clientError(w, http.StatusNotFound, "no such path of the proxy's own: "+ownPrefix+" is not forwarded")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		clientError(w, http.StatusMethodNotAllowed, r.URL.Path+" answers GET only")
		return
	}
	h(w, r)
}

func (p *Proxy) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), p.cfg.HealthTimeout)
	defer cancel()
	_, err := p.cfg.Source.TokenContext(ctx)
	if err == nil {
		writeJSON(w, http.StatusOK, Health{Status: "ok"})
		return
	}
	hl := Health{Status: "unavailable", Error: err.Error()}
	var be *loginauth.BackoffError
	var le *loginauth.LoginError
	if errors.As(err, &be) {
		hl.RetryAt = &be.Until
	}
	switch {
	case errors.Is(err, loginauth.ErrNoCredentials):
		hl.Reason, hl.Error = ReasonNoCredentials, p.noCredentials()
		p.warnNoCredentials(r)
	case errors.As(err, &le) && le.BadCredentials:
		hl.Reason = ReasonBadCredentials
	case be != nil:
		hl.Reason = ReasonBackoff
	case errors.Is(err, context.DeadlineExceeded):
		hl.Reason = ReasonTimeout
	default:
		hl.Reason = ReasonLoginFailed
	}
	writeJSON(w, http.StatusServiceUnavailable, hl)
}

// Stats is the JSON body of a [StatsPath] answer: the Source's
// [loginauth.Stats] and the proxy's own counters, under snake_case names.
type Stats struct {
	Logins        int64 `json:"logins"`        // successful logins
	Refreshes     int64 `json:"refreshes"`     // successful refreshes
	Failures      int64 `json:"failures"`      // failed logins and refreshes
	Invalidations int64 `json:"invalidations"` // cached tokens forgotten after a refusal
	Retries       int64 `json:"retries"`       // requests re-sent after a refusal
	Withheld      int64 `json:"withheld"`      // requests sent without credentials to another origin

	RefusedHost   int64 `json:"refused_host"`   // 421: a Host not accepted (DNS rebinding)
	RefusedOrigin int64 `json:"refused_origin"` // 403: a web page of an origin not allowed
	RefusedPath   int64 `json:"refused_path"`   // 400: a dot-segment in the path
	BodyTimeouts  int64 `json:"body_timeouts"`  // 408: a body that did not arrive in time
	OverBuffer    int64 `json:"over_buffer"`    // bodies streamed without a re-send: MaxBuffered reached
	Upgraded      int64 `json:"upgraded"`       // upgraded connections (WebSocket) that ended
}

// proxyCounters are the proxy's own counters of [Stats].
type proxyCounters struct {
	refusedHost, refusedOrigin, refusedPath, bodyTimeouts, overBudget, upgraded counter
}

type counter = atomic.Int64

// Stats returns a snapshot of the proxy's counters and its Source's.
func (p *Proxy) Stats() Stats {
	s := p.cfg.Source.Stats()
	c := &p.stats
	return Stats{
		Logins: s.Logins, Refreshes: s.Refreshes, Failures: s.Failures,
		Invalidations: s.Invalidations, Retries: s.Retries, Withheld: s.Withheld,
		RefusedHost:   c.refusedHost.Load(),
		RefusedOrigin: c.refusedOrigin.Load(),
		RefusedPath:   c.refusedPath.Load(),
		BodyTimeouts:  c.bodyTimeouts.Load(),
		OverBuffer:    c.overBudget.Load(),
		Upgraded:      c.upgraded.Load(),
	}
}

func (p *Proxy) serveStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, p.Stats())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		clientError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
