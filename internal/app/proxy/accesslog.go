package proxy

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// logRecorder is the ResponseWriter of a request that the access log
// records: it keeps the final status, and unwraps to the server's writer
// so that [http.ResponseController] flushes through it.
type logRecorder struct {
	http.ResponseWriter
	p      *Proxy
	req    *http.Request
	start  time.Time
	status int
	sends  atomic.Int32 // requests sent to the API for this one, by countingTransport
}

// startLog returns the recorder of r, or nil without an access log.
func (p *Proxy) startLog(w http.ResponseWriter, r *http.Request) *logRecorder {
	if p.cfg.AccessLog == nil {
		return nil
	}
	rec := &logRecorder{ResponseWriter: w, p: p, start: time.Now()}
	rec.req = r.WithContext(context.WithValue(r.Context(), sendsKey{}, &rec.sends))
	return rec
}

// WriteHeader records the final status; 1xx answers pass unrecorded.
func (rec *logRecorder) WriteHeader(code int) {
	if rec.status == 0 && code >= 200 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *logRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.ResponseWriter.Write(b)
}

// Unwrap returns the server's ResponseWriter, for http.ResponseController.
func (rec *logRecorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// done writes the request's access-log record: never its query or a
// header, which may hold credentials.
func (rec *logRecorder) done() {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	rec.p.cfg.AccessLog.LogAttrs(rec.req.Context(), slog.LevelInfo, "loginauth proxy: request",
		slog.String("method", rec.req.Method),
		slog.String("path", rec.req.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(rec.start)),
		slog.Bool("resent", rec.sends.Load() > 1),
	)
}

// sendsKey is the context key of a request's send counter.
type sendsKey struct{}

// countingTransport is the transport under the loginauth.Transport: it
// counts the sends of each logged request, so that the access log tells a
// re-sent request.
type countingTransport struct {
	base http.RoundTripper // Config.Transport, which New sets when it is nil
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if n, ok := req.Context().Value(sendsKey{}).(*atomic.Int32); ok {
		n.Add(1)
	}
	return t.base.RoundTrip(req)
}

// CloseIdleConnections closes the idle connections of the base transport,
// when it has such a method.
func (t countingTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
