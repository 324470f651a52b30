package loginauthtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// HandlerTransport is an [http.RoundTripper] that serves each request with
// Handler in memory: no listener, no connection, no goroutine left waiting
// in the kernel. Because of that, a client and a fake can run together in a
// [testing/synctest] bubble, whose clock advances only when every goroutine
// in it waits; an idle keep-alive connection of a loopback server would keep
// the bubble from ever going idle.
//
// The handler runs in its own goroutine, as under [http.Server]. It sees the
// request's context, which also ends when the client closes the response
// body. The response headers go out at the handler's first Write or Flush,
// or when it returns, with a Content-Type sniffed from the first bytes when
// the handler set none. The body streams through a pipe. A handler that
// panics, [http.ErrAbortHandler] included, fails the round trip before the
// headers and the body read after them; so does a body shorter than its
// Content-Length. Hijacking is not supported.
type HandlerTransport struct {
	Handler http.Handler
}

// remoteAddr is the client address handlers see.
const remoteAddr = "192.0.2.1:1234"

// RoundTrip serves req with t.Handler.
func (t HandlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Handler == nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errors.New("loginauthtest: HandlerTransport has no Handler")
	}
	ctx, cancel := context.WithCancel(req.Context())
	in := req.Clone(ctx)
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = remoteAddr
	in.Proto, in.ProtoMajor, in.ProtoMinor = "HTTP/1.1", 1, 1
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	pr, pw := io.Pipe()
	w := &memWriter{header: make(http.Header), pw: pw, ready: make(chan struct{}), status: http.StatusOK}
	go w.serve(t.Handler, in)
	select {
	case <-w.ready:
	case <-ctx.Done():
		cancel()
		pr.CloseWithError(ctx.Err())
		return nil, ctx.Err()
	}
	if w.err != nil {
		cancel()
		return nil, w.err
	}
	resp := &http.Response{
		Status:        fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		ContentLength: w.length,
		Body:          &memBody{pr: pr, cancel: cancel},
		Request:       req,
	}
	return resp, nil
}

// memWriter is the handler's side of a HandlerTransport round trip.
type memWriter struct {
	header http.Header
	pw     *io.PipeWriter
	ready  chan struct{} // closed when the headers are sent or the handler failed before

	// Set before ready is closed, read after.
	once   sync.Once
	status int
	sent   http.Header
	length int64 // declared Content-Length, or -1
	err    error // the handler failed before sending headers

	wroteHeader bool
	written     int64
}

func (w *memWriter) serve(h http.Handler, r *http.Request) {
	defer r.Body.Close()
	defer func() {
		if v := recover(); v != nil {
			err := fmt.Errorf("loginauthtest: handler panicked: %v", v)
			if v == http.ErrAbortHandler {
				err = errors.New("loginauthtest: handler aborted the response")
			}
			w.fail(err)
			return
		}
		w.send(nil)
		if err := r.Context().Err(); err != nil {
			// The client's context ended the handler: its read fails with
			// the context's error, as over a connection, not with an EOF.
			w.pw.CloseWithError(err)
			return
		}
		if w.length >= 0 && w.written < w.length {
			w.pw.CloseWithError(io.ErrUnexpectedEOF)
			return
		}
		w.pw.Close()
	}()
	h.ServeHTTP(w, r)
}

// fail ends the round trip with err before the headers, or the body with
// an unexpected EOF after them.
func (w *memWriter) fail(err error) {
	first := false
	w.once.Do(func() { w.err = err; first = true; close(w.ready) })
	if first {
		w.pw.CloseWithError(err)
		return
	}
	w.pw.CloseWithError(io.ErrUnexpectedEOF)
}

// send sends the headers once, sniffing the Content-Type from p.
func (w *memWriter) send(p []byte) {
	w.once.Do(func() {
		h := w.header.Clone()
		if h.Get("Content-Type") == "" && len(p) > 0 {
			h.Set("Content-Type", http.DetectContentType(p))
		}
		w.length = -1
		if n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
			w.length = n
		} else if p == nil {
			w.length = 0 // the handler returned without writing
		}
		w.sent = h
		close(w.ready)
	})
}

// Header returns the header map the handler fills.
func (w *memWriter) Header() http.Header { return w.header }

// WriteHeader records the status; the headers go out at the first Write or
// Flush, or when the handler returns.
func (w *memWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		w.status = code
	}
}

// Write sends the headers if needed, then writes p to the body pipe; it
// blocks until the client reads it, and fails once the client has closed
// the body.
func (w *memWriter) Write(p []byte) (int, error) {
	w.wroteHeader = true
	w.send(p)
	n, err := w.pw.Write(p)
	w.written += int64(n)
	return n, err
}

// Flush sends the headers if needed; written bytes are already with the
// client.
func (w *memWriter) Flush() {
	w.wroteHeader = true
	w.send([]byte{})
}

// memBody is the client's side of the body pipe.
type memBody struct {
	pr     *io.PipeReader
	cancel context.CancelFunc
}

func (b *memBody) Read(p []byte) (int, error) { return b.pr.Read(p) }

// Close ends the handler's request context and its writes.
func (b *memBody) Close() error {
	b.cancel()
	return b.pr.CloseWithError(errors.New("loginauthtest: response body closed"))
}

// Transport returns a [HandlerTransport] that serves the server's handler
// in memory, for a client in a [testing/synctest] bubble. Create the Server
// outside the bubble (its listener's goroutines would keep the bubble
// busy) and use this transport inside it; the fake's clock is then the
// bubble's.
func (s *Server) Transport() http.RoundTripper { return HandlerTransport{Handler: s.Config.Handler} }
