package proxy

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// budget is the bytes of request bodies held for re-sends across all
// requests at once, bounded by [Config.MaxBuffered].
type budget struct {
	max  int64
	used atomic.Int64
	peak atomic.Int64 // the most ever held, for the tests
}

// take reserves n bytes, or reports false when they would pass the bound.
func (b *budget) take(n int64) bool {
	for {
		used := b.used.Load()
		if used+n > b.max {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			for {
				peak := b.peak.Load()
				if used+n <= peak || b.peak.CompareAndSwap(peak, used+n) {
					return true
				}
			}
		}
	}
}

// give returns n reserved bytes.
func (b *budget) give(n int64) { b.used.Add(-n) }

// errBodyTimeout is the error of a client that did not send its body in
// time.
var errBodyTimeout = errors.New("proxy: the request body did not arrive in time")

// readBody prepares r's body for the API. A body of at most MaxReplay
// bytes is read into memory within BodyTimeout, if the budget allows, so
// that a refused request can be re-sent with it. Any other body streams,
// with an idle timeout. done is to be called once the request is over;
// err is errBodyTimeout or the client's read error.
func (p *Proxy) readBody(w http.ResponseWriter, r *http.Request) (done func(), err error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nop, nil
	}
	max := p.cfg.MaxReplay
	if max < 0 || r.ContentLength > max {
		return p.streamBody(w, r), nil
	}
	want := r.ContentLength
	if want < 0 {
		want = max + 1 // unknown length: at most one byte more than kept
	}
	if !p.buf.take(want) {
		p.stats.overBudget.Add(1)
		return p.streamBody(w, r), nil
	}
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(p.cfg.BodyTimeout)) == nil
	buf, err := readAllLimit(r.Body, r.ContentLength, want)
	if deadline {
		rc.SetReadDeadline(time.Time{})
	}
	if err != nil {
		p.buf.give(want)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nop, errBodyTimeout
		}
		return nop, err
	}
	n := int64(len(buf))
	if n > max {
		// Longer than announced (no Content-Length): stream what was read
		// and the rest, without a re-send.
		p.buf.give(want)
		body := r.Body
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), body), body}
		return p.streamBody(w, r), nil
	}
	p.buf.give(want - n)
	r.Body.Close()
	r.ContentLength = n
	r.TransferEncoding = nil
	k := &keptBody{buf: buf}
	k.refs.Store(1) // the handler's
	r.GetBody = func() (io.ReadCloser, error) { return k.open(), nil }
	first := k.open()
	r.Body = first
	return func() {
		// ReverseProxy never closes the request's own Body (the
		// Transport gets a wrapper whose Close does nothing): it is
		// closed here, once any Read in flight is over.
		first.Close()
		k.release()
		p.buf.give(n)
	}, nil
}

func nop() {}

// bufPool is a pool of buffers of one size.
type bufPool struct {
	size int
	pool sync.Pool
}

func newBufPool(size int) *bufPool {
	p := &bufPool{size: size}
	p.pool.New = func() any { b := make([]byte, size); return &b }
	return p
}

// get returns a buffer of the pool's size.
func (p *bufPool) get() []byte { return *p.pool.Get().(*[]byte) }

// put returns b to the pool, when it came from there.
func (p *bufPool) put(b []byte) {
	if cap(b) == p.size {
		b = b[:p.size]
		p.pool.Put(&b)
	}
}

// The pools of the bodies kept for re-sends, of at most 64 KiB each, and
// of the buffers that the ReverseProxy copies the answers with, of the
// 32 KiB it would allocate for each answer itself.
var (
	keptBodies = newBufPool(64 << 10)
	copies     = newBufPool(32 << 10)
)

// buffers lends the ReverseProxy the pooled buffers that it copies the
// answers with: without it, each answer allocates a buffer of 32 KiB,
// which makes most of the garbage of a request.
type buffers struct{}

var _ httputil.BufferPool = buffers{}

func (buffers) Get() []byte { return copies.get() }

func (buffers) Put(b []byte) { copies.put(b) }

// keptBody is a body kept for re-sends. Its buffer goes back to the pool
// once the handler is done and every reader of it is closed: a Transport
// may read a request's body after RoundTrip returns, until it closes it.
type keptBody struct {
	buf  []byte
	refs atomic.Int32
}

func (k *keptBody) open() io.ReadCloser {
	k.refs.Add(1)
	return &keptReader{k: k, r: bytes.NewReader(k.buf)}
}

func (k *keptBody) release() {
	if k.refs.Add(-1) == 0 {
		keptBodies.put(k.buf)
	}
}

// keptReader reads a keptBody until it is closed.
type keptReader struct {
	mu     sync.Mutex // orders Read and Close, which may run in two goroutines
	k      *keptBody
	r      *bytes.Reader
	closed bool
}

func (kr *keptReader) Read(p []byte) (int, error) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if kr.closed {
		return 0, io.ErrClosedPipe
	}
	return kr.r.Read(p)
}

func (kr *keptReader) Close() error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if !kr.closed {
		kr.closed = true
		kr.k.release()
	}
	return nil
}

// readAllLimit reads a body of length n (-1: unknown), up to limit bytes.
func readAllLimit(r io.Reader, n, limit int64) ([]byte, error) {
	if n >= 0 {
		var buf []byte
		if n <= int64(keptBodies.size) {
			buf = keptBodies.get()[:n]
		} else {
			buf = make([]byte, n)
		}
		_, err := io.ReadFull(r, buf)
		return buf, err
	}
	var b bytes.Buffer
	_, err := b.ReadFrom(io.LimitReader(r, limit))
	return b.Bytes(), err
}

// streamBody gives r's body an idle timeout: each read of the client's
// connection must give a byte within StreamIdleTimeout.
// It returns the function to call once the handler is done, after which
// the deadline is never set again: the connection may serve another
// request then.
func (p *Proxy) streamBody(w http.ResponseWriter, r *http.Request) (end func()) {
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Time{}) != nil {
		return func() {} // not a connection of an http.Server
	}
	b := &idleBody{ReadCloser: r.Body, rc: rc, idle: p.cfg.StreamIdleTimeout}
	r.Body = b
	return b.end
}

// idleBody is a client's body that must not stall for longer than idle.
type idleBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	idle  time.Duration
	mu    sync.Mutex // protects ended, and orders the deadlines
	ended bool
}

func (b *idleBody) Read(p []byte) (int, error) {
	if !b.deadline(time.Now().Add(b.idle)) {
		return 0, io.ErrClosedPipe
	}
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		// Cleared at once: the server reads the connection in the
		// background once the body ends, and a deadline then would cut
		// the request while the API answers.
		b.deadline(time.Time{})
	}
	return n, err
}

// deadline sets the connection's read deadline unless the handler is
// done, and reports whether it did.
func (b *idleBody) deadline(t time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ended {
		return false
	}
	b.rc.SetReadDeadline(t)
	return true
}

func (b *idleBody) end() {
	b.deadline(time.Time{})
	b.mu.Lock()
	b.ended = true
	b.mu.Unlock()
}
