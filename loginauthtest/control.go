package loginauthtest

import (
	"net/http"
	"strings"
	"time"
)

// ControlPrefix is the path under which every [Server] serves its control
// endpoints, at the root of its host, so that a test in any language, or
// a script, can steer a fake that runs as a process:
//
//	POST /_fake/revoke   revoke every token issued so far ([Server.RevokeAll])
//	POST /_fake/expire   expire them ([Server.ExpireAll])
//	GET  /_fake/stats    {"logins","refreshes","refused","requests","fault"}
//	POST /_fake/fault    fault=Fault500 (a [Fault]'s name; NoFault clears every
//	                     fault, the login delay too), and optionally delay=2s
//	                     ([Server.SetLoginDelay])
//
// They need no credentials: a fake serves made-up accounts only.
const ControlPrefix = "/_fake/"

// Stats are the counters of a [Server], as GET /_fake/stats answers them.
type Stats struct {
	Logins    int64  `json:"logins"`
	Refreshes int64  `json:"refreshes"`
	Refused   int64  `json:"refused"`
	Requests  int64  `json:"requests"`
	Fault     string `json:"fault"`
}

// Stats returns the counters of s and its active fault.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	f := s.fault
	s.mu.Unlock()
	return Stats{Logins: s.Logins(), Refreshes: s.Refreshes(), Refused: s.Refused(), Requests: s.Requests(), Fault: f.String()}
}

// ExpireAll makes every token issued so far expired at [Server.Now]: they
// are refused from now on. Tokens issued afterwards are valid.
func (s *Server) ExpireAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	for _, t := range s.tokens {
		if t.expiry.After(now) {
			t.expiry = now
		}
	}
}

// withControl serves the control endpoints under ControlPrefix, and
// everything else with h.
func (s *Server) withControl(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ControlPrefix+"revoke", func(w http.ResponseWriter, r *http.Request) {
		s.RevokeAll()
		WriteJSON(w, http.StatusOK, map[string]string{"revoked": "all"})
	})
	mux.HandleFunc("POST "+ControlPrefix+"expire", func(w http.ResponseWriter, r *http.Request) {
		s.ExpireAll()
		WriteJSON(w, http.StatusOK, map[string]string{"expired": "all"})
	})
	mux.HandleFunc("GET "+ControlPrefix+"stats", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("POST "+ControlPrefix+"fault", func(w http.ResponseWriter, r *http.Request) {
		name := r.FormValue("fault")
		f, ok := faultNamed(name)
		if !ok {
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "unknown fault; want one of " + strings.Join(faultNames[:], ", ")})
			return
		}
		if f == NoFault {
			s.SetLoginDelay(0) // FaultSlow's delay goes with it, unless given again
		}
		if d := r.FormValue("delay"); d != "" {
			delay, err := time.ParseDuration(d)
			if err != nil || delay < 0 {
				WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "delay: want a duration such as 2s"})
				return
			}
			s.SetLoginDelay(delay)
		}
		s.SetFault(f)
		WriteJSON(w, http.StatusOK, map[string]string{"fault": f.String()})
	})
	mux.HandleFunc(ControlPrefix, func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusNotFound, map[string]string{"error": "control endpoints: POST /_fake/revoke, POST /_fake/expire, GET /_fake/stats, POST /_fake/fault"})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, ControlPrefix) {
			mux.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// faultNamed returns the Fault called name, such as "Fault500".
func faultNamed(name string) (Fault, bool) {
	for i, n := range faultNames {
		if n == name {
			return Fault(i), true
		}
	}
	return NoFault, false
}
