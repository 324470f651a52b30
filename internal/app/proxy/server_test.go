package proxy

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux/cruxtest"
)

func TestListenConfigCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    ListenConfig
		says string // empty: allowed
	}{
		{"default", ListenConfig{}, ""},
		{"loopback v4", ListenConfig{Addr: "127.0.0.1:0"}, ""},
		{"loopback v6", ListenConfig{Addr: "[::1]:8787"}, ""},
		{"localhost", ListenConfig{Addr: "localhost:8787"}, ""},
		{"every interface, no token", ListenConfig{Addr: ":8787"}, "inbound token"},
		{"public, no token", ListenConfig{Addr: "0.0.0.0:8787", CertFile: "c.pem", KeyFile: "k.pem"}, "open relay"},
		{"public, token, no TLS", ListenConfig{Addr: "192.0.2.1:8787", InboundToken: true}, "clear text"},
		{"public, token and TLS", ListenConfig{Addr: "192.0.2.1:8787", InboundToken: true, CertFile: "c.pem", KeyFile: "k.pem"}, ""},
		{"a name that may resolve anywhere", ListenConfig{Addr: "proxy.localhost:8787"}, "inbound token"},
		{"cert without key", ListenConfig{Addr: "127.0.0.1:0", CertFile: "c.pem"}, "key file"},
		{"no port", ListenConfig{Addr: "127.0.0.1"}, "listen address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			err := tc.c.Check()
			if tc.says == "" {
				is.NoErr(err) // allowed
				return
			}
			is.True(err != nil)                                // refused
			is.True(strings.HasPrefix(err.Error(), "proxy: ")) // in the package's name
			is.True(strings.Contains(err.Error(), tc.says))    // saying why
		})
	}
}

func TestListenRefusesUnsafe(t *testing.T) {
	is := is.New(t)
	_, err := Listen(ListenConfig{Addr: "0.0.0.0:0"}, http.NotFoundHandler())
	is.True(err != nil && strings.Contains(err.Error(), "open relay")) // Listen checks first
}

func TestServerTimeouts(t *testing.T) {
	is := is.New(t)
	s, err := Listen(ListenConfig{Addr: "127.0.0.1:0"}, http.NotFoundHandler())
	is.NoErr(err)
	defer s.Shutdown(time.Second)
	is.Equal(s.srv.ReadHeaderTimeout, ReadHeaderTimeout)     // a dripping header holds no connection for long
	is.Equal(s.srv.IdleTimeout, IdleTimeout)                 // nor an idle keep-alive
	is.Equal(s.srv.MaxHeaderBytes, MaxHeaderBytes)           // nor a huge header
	is.True(strings.HasPrefix(s.URL(), "http://127.0.0.1:")) // the URL names the port
}

func TestShutdownDrainsInFlight(t *testing.T) {
	is := is.New(t)
	a := newAPI(t)
	p, err := New(Config{Source: a.source(cruxtest.Password, nil, loginauth.Options{}), BaseURL: a.front.URL})
	is.NoErr(err)
	s, err := Listen(ListenConfig{Addr: "127.0.0.1:0"}, p)
	is.NoErr(err)
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(s.URL() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- result{resp.StatusCode, string(b), err}
	}()
	<-a.entered // the request is in flight at the API

	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(time.Minute) }()
	is.NoErr(<-served) // Serve returns at once: no new requests
	close(a.release)
	r := <-got
	is.NoErr(r.err)                   // the request in flight completed
	is.Equal(r.status, http.StatusOK) // with its answer
	is.Equal(r.body, "done")          // whole
	is.NoErr(<-shut)                  // Shutdown waited for it, and no longer
	_, err = http.Get(s.URL() + "/slow")
	is.True(err != nil) // nothing is served after Shutdown
}

func TestShutdownCutsAfterTimeout(t *testing.T) {
	is := is.New(t)
	a := newAPI(t)
	p, err := New(Config{Source: a.source(cruxtest.Password, nil, loginauth.Options{}), BaseURL: a.front.URL})
	is.NoErr(err)
	s, err := Listen(ListenConfig{Addr: "127.0.0.1:0"}, p)
	is.NoErr(err)
	go s.Serve()
	got := make(chan error, 1)
	go func() {
		resp, err := http.Get(s.URL() + "/slow")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		got <- err
	}()
	<-a.entered
	err = s.Shutdown(time.Nanosecond)                           // over before the request can end
	is.True(err != nil && strings.Contains(err.Error(), "cut")) // says the requests were cut
	is.True(<-got != nil)                                       // the client saw its request cut
}
