package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/loginauth/loginauth/internal/hostname"
)

// DefaultAddr is where a proxy listens when [ListenConfig.Addr] is empty.
const DefaultAddr = "127.0.0.1:8787"

// The timeouts of a [Server]. There is no ReadTimeout and no WriteTimeout:
// they would cut long uploads and server-sent event streams, which are
// bounded by the client and the API instead.
const (
	// ReadHeaderTimeout bounds the reading of a request's header, so that
	// a client that drips its header holds no connection for long.
	ReadHeaderTimeout = 10 * time.Second
	// IdleTimeout closes keep-alive connections idle for that long.
	IdleTimeout = 2 * time.Minute
	// MaxHeaderBytes bounds a request's header.
	MaxHeaderBytes = 64 << 10
)

// ListenConfig is where and how a proxy listens.
type ListenConfig struct {
	// Addr is the host:port to listen on; port 0 picks a free port.
	// Empty means [DefaultAddr].
	Addr string

	// InboundToken reports whether the proxy that serves there requires
	// an inbound token ([Config.InboundToken] is set).
	InboundToken bool

	// CertFile and KeyFile, both set, are the PEM files of the TLS
	// certificate and key to serve with.
	CertFile, KeyFile string
}

func (c ListenConfig) addr() string {
	if c.Addr == "" {
		return DefaultAddr
	}
	return c.Addr
}

// Check reports whether a proxy may listen as c says. Beyond a loopback
// address (an IP literal or "localhost"; an empty host means every
// interface), it needs an inbound token, or anyone who reaches the
// address uses the account: an open relay; and it needs TLS, or the token
// and the API's answers cross the network in clear text. Its error says
// which is missing and why; a command exits 2 on it.
func (c ListenConfig) Check() error {
	host, _, err := net.SplitHostPort(c.addr())
	if err != nil {
		return fmt.Errorf("proxy: listen address %q: %w", c.addr(), err)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("proxy: TLS needs both a certificate file and a key file")
	}
	if hostname.IsLoopback(host) {
		return nil
	}
	if !c.InboundToken {
		return fmt.Errorf("proxy: listening on %s, beyond loopback, needs an inbound token: without one, anyone who reaches the address uses the account (an open relay)", c.addr())
	}
	if c.CertFile == "" {
		return fmt.Errorf("proxy: listening on %s, beyond loopback, needs TLS (a certificate and a key): without it, the inbound token and the API's answers cross the network in clear text", c.addr())
	}
	return nil
}

// Server serves a handler, normally a [Proxy], on a listener. Create it
// with [Listen].
type Server struct {
	srv       *http.Server
	ln        net.Listener
	addr      string // as configured
	cert, key string
	// handlers counts the handlers running, upgraded connections among
	// them, which http.Server.Shutdown does not wait for.
	handlers sync.WaitGroup
	// cut cancels the base context of every request: at the shutdown
	// deadline, it ends the upgraded connections.
	cut context.CancelFunc
}

// Listen checks c ([ListenConfig.Check]), listens at its address, and
// returns a Server that serves h there once Serve is called. The server
// has the timeouts that a public listener needs: [ReadHeaderTimeout],
// [IdleTimeout] and [MaxHeaderBytes].
func Listen(c ListenConfig, h http.Handler) (*Server, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.addr())
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	base, cut := context.WithCancel(context.Background())
	s := &Server{ln: ln, addr: c.addr(), cert: c.CertFile, key: c.KeyFile, cut: cut}
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.handlers.Add(1)
			defer s.handlers.Done()
			h.ServeHTTP(w, r)
		}),
		BaseContext:       func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
	return s, nil
}

// URL returns the server's URL, such as "http://127.0.0.1:8787", with the
// port it listens on.
func (s *Server) URL() string {
	scheme := "http"
	if s.cert != "" {
		scheme = "https"
	}
	return scheme + "://" + s.ln.Addr().String()
}

// Addr returns the address the server listens on, as [ListenConfig.Addr]
// gave it, with the port it got.
func (s *Server) Addr() string {
	host, _, _ := net.SplitHostPort(s.addr)
	_, port, _ := net.SplitHostPort(s.ln.Addr().String())
	return net.JoinHostPort(host, port)
}

// Serve serves until Shutdown, then returns nil; or returns the error
// that stopped it.
func (s *Server) Serve() error {
	var err error
	if s.cert != "" {
		err = s.srv.ServeTLS(s.ln, s.cert, s.key)
	} else {
		err = s.srv.Serve(s.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("proxy: %w", err)
}

// Shutdown stops accepting requests and waits, at most timeout, for the
// requests in flight to complete, upgraded connections (WebSocket) among
// them. Those still running then are cut, and Shutdown returns an error
// that says so.
func (s *Server) Shutdown(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	defer s.ln.Close() // when Serve was never called
	if err := s.srv.Shutdown(ctx); err != nil {
		s.cut()
		s.srv.Close()
		s.handlers.Wait()
		return fmt.Errorf("proxy: requests still in flight after %v were cut: %w", timeout, err)
	}
	// No connection is left but the upgraded ones, whose handlers run.
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cut()
		return nil
	case <-ctx.Done():
	}
	s.cut()
	<-done
	return fmt.Errorf("proxy: upgraded connections still open after %v were cut", timeout)
}
