package loginauthtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/matryer/is"
)

func get(t *testing.T, rt http.RoundTripper, ctx context.Context) (*http.Response, error) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://api.test/x?y=1", nil)
	return rt.RoundTrip(req)
}

func TestHandlerTransportServes(t *testing.T) {
	is := is.New(t)
	rt := loginauthtest.HandlerTransport{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		is.Equal(r.RequestURI, "/x?y=1") // as a server sees it
		is.Equal(r.Host, "api.test")
		is.True(r.RemoteAddr != "")
		w.Header().Set("X-Seen", r.Method)
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "<html>hi</html>")
	})}
	resp, err := get(t, rt, context.Background())
	is.NoErr(err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	is.Equal(resp.StatusCode, http.StatusTeapot)
	is.Equal(resp.Status, "418 I'm a teapot")
	is.Equal(resp.Header.Get("X-Seen"), "GET")
	is.Equal(resp.Header.Get("Content-Type"), "text/html; charset=utf-8") // sniffed, as net/http does
	is.Equal(string(b), "<html>hi</html>")
}

func TestHandlerTransportFailures(t *testing.T) {
	is := is.New(t)
	for name, h := range map[string]http.HandlerFunc{
		"panic": func(w http.ResponseWriter, r *http.Request) { panic("boom") },
		"abort": func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) },
		"nil":   nil,
	} {
		var rt loginauthtest.HandlerTransport
		if h != nil {
			rt.Handler = h
		}
		_, err := get(t, rt, context.Background())
		is.True(err != nil) // name
		_ = name
	}
	for name, h := range map[string]http.HandlerFunc{
		"short body": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "10")
			io.WriteString(w, "abc")
		},
		"late panic": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "abc"); panic(http.ErrAbortHandler) },
	} {
		resp, err := get(t, loginauthtest.HandlerTransport{Handler: h}, context.Background())
		is.NoErr(err)
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		is.True(errors.Is(err, io.ErrUnexpectedEOF)) // name
		_ = name
	}
}

// TestHandlerTransportInBubble runs a fake with a stalled login inside a
// synctest bubble: the client's timeout fires at once in the bubble's clock,
// the handler sees its context end, and the bubble holds no goroutine after.
func TestHandlerTransportInBubble(t *testing.T) {
	s := newToy()
	defer s.Close()
	s.SetFault(loginauthtest.FaultSlow) // stalls 5 s
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		c := &http.Client{Transport: s.Transport(), Timeout: 2 * time.Second}
		start := time.Now()
		_, err := c.Post("https://api.test/login", "application/json", strings.NewReader("{}"))
		is.True(err != nil)                        // the client gave up
		is.Equal(time.Since(start), 2*time.Second) // exactly, in the bubble's clock
		synctest.Wait()                            // the handler has returned
		s.SetFault(loginauthtest.NoFault)
		resp, err := c.Post("https://api.test/login", "application/json", strings.NewReader("{}"))
		is.NoErr(err)
		resp.Body.Close()
		is.Equal(resp.StatusCode, http.StatusOK)
		is.Equal(s.Logins(), int64(2))
	})
}

// TestHandlerTransportClosedBodyEndsHandler closes a streaming body early:
// the handler's writes fail and its context ends.
func TestHandlerTransportClosedBodyEndsHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		var ended atomic.Bool
		rt := loginauthtest.HandlerTransport{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for {
				if _, err := io.WriteString(w, "x"); err != nil {
					break
				}
			}
			<-r.Context().Done()
			ended.Store(true)
		})}
		resp, err := get(t, rt, context.Background())
		is.NoErr(err)
		b := make([]byte, 3)
		_, err = io.ReadFull(resp.Body, b)
		is.NoErr(err)
		resp.Body.Close()
		synctest.Wait()
		is.True(ended.Load()) // the handler saw the client go
	})
}

// TestNoFaultClearsDelay: POST /_fake/fault with fault=NoFault clears
// FaultSlow's delay too: the next login answers at once.
func TestNoFaultClearsDelay(t *testing.T) {
	s := newToy()
	defer s.Close()
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		c := &http.Client{Transport: s.Transport()}
		fault := func(form string) {
			resp, err := c.Post("https://api.test/_fake/fault", "application/x-www-form-urlencoded", strings.NewReader(form))
			is.NoErr(err)
			resp.Body.Close()
			is.Equal(resp.StatusCode, http.StatusOK)
		}
		fault("fault=FaultSlow&delay=1h")
		fault("fault=NoFault")
		start := time.Now()
		resp, err := c.Post("https://api.test/login", "application/json", strings.NewReader("{}"))
		is.NoErr(err)
		resp.Body.Close()
		is.Equal(resp.StatusCode, http.StatusOK)
		is.Equal(time.Since(start), time.Duration(0)) // no delay left, in the bubble's clock
	})
}
