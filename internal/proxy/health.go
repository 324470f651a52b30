package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
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
	// StatsPath answers GET with the Source's [loginauth.Stats] as JSON.
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
		h = p.stats
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

func (p *Proxy) stats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, p.cfg.Source.Stats())
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
