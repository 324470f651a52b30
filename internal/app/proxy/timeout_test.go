package proxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/loginauthtest"
)

// pipeListener is a listener of in-memory connections, whose deadlines
// run on a synctest bubble's clock.
type pipeListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// dial returns the client's end of a new connection.
func (l *pipeListener) dial() net.Conn {
	c, s := net.Pipe()
	l.conns <- s
	return c
}

// bubbleProxy serves, in the bubble, a proxy for cfg in front of a, over
// in-memory connections, until the test ends.
func bubbleProxy(t *testing.T, a *api, cfg Config) *pipeListener {
	cfg.Source = a.source(cruxtest.Password, memClient(a.handler), loginauth.Options{})
	cfg.BaseURL = a.front.URL
	cfg.Transport = loginauthtest.HandlerTransport{Handler: a.handler}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l := newPipeListener()
	srv := &http.Server{Handler: p}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l
}

// readStatus reads a response's status from c.
func readStatus(t *testing.T, c net.Conn) (int, string) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

func TestBodyTimeout(t *testing.T) {
	a := newAPI(t)
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		l := bubbleProxy(t, a, Config{})
		c := l.dial()
		defer c.Close()
		start := time.Now()
		go io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n"+strings.Repeat("x", 99))
		status, body := readStatus(t, c)
		is.Equal(status, http.StatusRequestTimeout)       // a body that stalls before it is whole
		is.True(strings.Contains(body, "did not arrive")) // body
		is.Equal(time.Since(start), DefaultBodyTimeout)   // after the deadline
		is.Equal(a.hits.Load(), int64(0))                 // the API saw nothing, not even a login
	})
}

func TestStreamIdleTimeout(t *testing.T) {
	const replay = 10
	for _, tc := range []struct {
		name  string
		pause time.Duration // between the body's parts
		cut   bool
	}{
		{"slow but steady", DefaultStreamIdleTimeout - time.Second, false},
		{"stalled", DefaultStreamIdleTimeout + time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAPI(t)
			uploadErr := make(chan error, 1)
			a.uploadErr = func(err error) { uploadErr <- err }
			synctest.Test(t, func(t *testing.T) {
				is := is.New(t)
				l := bubbleProxy(t, a, Config{MaxReplay: replay})
				c := l.dial()
				wrote := make(chan struct{})
				go func() {
					defer close(wrote)
					io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 50\r\n\r\n")
					for i := range 5 { // 4 pauses: longer than the idle timeout in all
						if i > 0 {
							time.Sleep(tc.pause)
						}
						if _, err := io.WriteString(c, strings.Repeat("x", 10)); err != nil {
							return
						}
					}
				}()
				status, _ := readStatus(t, c)
				c.Close()
				<-wrote
				if !tc.cut {
					is.Equal(status, http.StatusOK)    // a body that keeps coming is not cut
					is.Equal(a.read.Load(), int64(50)) // whole
					is.Equal(len(uploadErr), 0)
					return
				}
				is.Equal(status, http.StatusBadGateway)                 // cut
				is.True(errors.Is(<-uploadErr, os.ErrDeadlineExceeded)) // the body was cut after the idle timeout
				is.Equal(a.read.Load(), int64(10))                      // after its first part
			})
		})
	}
}
