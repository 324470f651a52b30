package loginauthtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Fault is a failure a [Server] injects into its login endpoint (and the
// other endpoints that obtain a token: a refresh, a signup) until it is
// cleared with SetFault(NoFault).
type Fault int

// The faults. The generic ones are answered by [Server.BeginLogin] itself;
// [FaultNoToken] and [FaultBadCredentials] depend on the provider and are
// answered by the provider fake.
const (
	// NoFault answers normally.
	NoFault Fault = iota
	// Fault500 answers 500 with a short JSON body.
	Fault500
	// FaultHTML502 answers 502 with an HTML page (Content-Type text/html),
	// as a load balancer in front of the API would.
	FaultHTML502
	// FaultMalformedJSON answers 200 with a JSON body cut short.
	FaultMalformedJSON
	// FaultEmptyBody answers 200 with an empty body.
	FaultEmptyBody
	// FaultNoToken answers 200 with a well-formed body of the provider's
	// shape that lacks the token.
	FaultNoToken
	// FaultBadCredentials answers as the provider does for wrong
	// credentials, whatever the credentials.
	FaultBadCredentials
	// FaultSlow waits the login delay (see [Server.SetLoginDelay]; by
	// default [DefaultLoginDelay]), or until the client goes away, then
	// answers normally.
	FaultSlow
	// FaultHuge answers 200 application/json and streams a body of the
	// size set with [Server.SetHugeSize] (by default [DefaultHugeSize]),
	// generated on the fly, with no Content-Length.
	FaultHuge
	// FaultDropConnection writes a status line, headers announcing a
	// Content-Length larger than what follows and part of a body, then
	// closes the connection.
	FaultDropConnection
	// FaultDrip answers 200 application/json and writes the body one byte
	// per second, never finishing, until the client goes away.
	FaultDrip
)

var faultNames = [...]string{
	NoFault:             "NoFault",
	Fault500:            "Fault500",
	FaultHTML502:        "FaultHTML502",
	FaultMalformedJSON:  "FaultMalformedJSON",
	FaultEmptyBody:      "FaultEmptyBody",
	FaultNoToken:        "FaultNoToken",
	FaultBadCredentials: "FaultBadCredentials",
	FaultSlow:           "FaultSlow",
	FaultHuge:           "FaultHuge",
	FaultDropConnection: "FaultDropConnection",
	FaultDrip:           "FaultDrip",
}

// String returns the name of the constant, such as "Fault500".
func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// dripInterval is the pause between two bytes of FaultDrip.
const dripInterval = time.Second

// SetFault makes the login endpoints fail with f until another call;
// SetFault(NoFault) clears it.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// SetLoginDelay sets the login delay. With [FaultSlow] active, a login
// waits d (instead of [DefaultLoginDelay]) before answering normally. With
// no fault active, a non-zero d adds that latency to every login attempt,
// for tests that need logins to overlap. Zero restores the default.
func (s *Server) SetLoginDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loginDelay = d
}

// SetHugeSize sets the number of bytes [FaultHuge] streams; zero or less
// restores [DefaultHugeSize].
func (s *Server) SetHugeSize(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hugeSize = n
}

// BeginLogin is what a provider fake's login handler (or signup handler)
// calls first. It counts a login attempt, then applies the active fault:
// the generic ones are answered here, and handled reports that the
// response is done (or that the client went away) and the handler must
// return. Otherwise the handler answers, treating f == [FaultNoToken] and
// f == [FaultBadCredentials] in the provider's own way. A login delay
// (see [Server.SetLoginDelay]) is waited here.
func (s *Server) BeginLogin(w http.ResponseWriter, r *http.Request) (f Fault, handled bool) {
	s.logins.Add(1)
	return s.serveFault(w, r)
}

// BeginRefresh is [Server.BeginLogin] for a token refresh endpoint: it
// counts a refresh attempt instead of a login.
func (s *Server) BeginRefresh(w http.ResponseWriter, r *http.Request) (f Fault, handled bool) {
	s.refreshes.Add(1)
	return s.serveFault(w, r)
}

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request) (Fault, bool) {
	s.mu.Lock()
	f, delay, huge := s.fault, s.loginDelay, s.hugeSize
	s.mu.Unlock()
	if f == FaultSlow && delay <= 0 {
		delay = DefaultLoginDelay
	}
	if huge <= 0 {
		huge = DefaultHugeSize
	}
	switch f {
	case Fault500:
		WriteJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal server error"})
	case FaultHTML502:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n")
	case FaultMalformedJSON:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"auth`)
	case FaultEmptyBody:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	case FaultHuge:
		s.serveHuge(w, r, huge)
	case FaultDropConnection:
		s.dropConnection(w)
	case FaultDrip:
		s.drip(w, r)
	default:
		if delay > 0 && !s.wait(r, delay) {
			return f, true
		}
		return f, false
	}
	return f, true
}

// wait sleeps d and reports true, or reports false as soon as the client
// goes away or the server closes (which ends the request's context). It
// selects on nothing else, so that it blocks durably in a synctest bubble.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	}
	return false
}

// padPrefix opens the JSON object FaultHuge and FaultDrip never close.
const padPrefix = `{"pad":"`

func (s *Server) serveHuge(w http.ResponseWriter, r *http.Request, n int64) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	// The first chunk carries the prefix, the following ones are padding.
	pad := bytes.Repeat([]byte{'a'}, 32<<10)
	chunk := append([]byte(padPrefix), pad[len(padPrefix):]...)
	for n > 0 {
		if int64(len(chunk)) > n {
			chunk = chunk[:n]
		}
		if _, err := w.Write(chunk); err != nil || r.Context().Err() != nil || s.isClosing() {
			return
		}
		n -= int64(len(chunk))
		chunk = pad
	}
}

func (s *Server) isClosing() bool { return s.ctx.Err() != nil }

// dropConnection answers with a truncated response and closes the
// connection under it.
func (s *Server) dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok { // HTTP/2: the best approximation is a reset stream
		panic(http.ErrAbortHandler)
	}
	conn, bufrw, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	body := `{"credentials":{"tok`
	fmt.Fprintf(bufrw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", 4096, body)
	bufrw.Flush()
}

func (s *Server) drip(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	for i := 0; ; i++ {
		c := byte('a')
		if i < len(padPrefix) {
			c = padPrefix[i]
		}
		if _, err := w.Write([]byte{c}); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		if !s.wait(r, dripInterval) {
			return
		}
	}
}
