package proxy

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
)

// echoUpgrades is an API that switches every request to an echo
// protocol: what the client sends comes back.
func echoUpgrades(t *testing.T) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		io.Copy(c, brw)
	}))
	t.Cleanup(up.Close)
	return up
}

// lockedBuffer is a log that handlers write while a test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// upgraded opens an upgraded connection through the server s.
func upgraded(t *testing.T, s *Server) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: HTTP %d", resp.StatusCode)
	}
	echo(t, c, br, "ping")
	return c, br
}

// echo sends msg on c and checks that it comes back.
func echo(t *testing.T, c net.Conn, br *bufio.Reader, msg string) {
	t.Helper()
	io.WriteString(c, msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(br, got); err != nil || string(got) != msg {
		t.Fatalf("echo of %q: %q, %v", msg, got, err)
	}
}

func TestShutdownWaitsForUpgraded(t *testing.T) {
	up := echoUpgrades(t)
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		cut     bool
	}{
		{"closed by the client", time.Minute, false},
		{"cut at the deadline", 100 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			var log lockedBuffer
			p, err := New(Config{Source: bearerSource(up.URL), BaseURL: up.URL, Logger: slog.New(slog.NewTextHandler(&log, nil))})
			is.NoErr(err)
			s, err := Listen(ListenConfig{Addr: "127.0.0.1:0"}, p)
			is.NoErr(err)
			go s.Serve()
			c, br := upgraded(t, s)
			shut := make(chan error, 1)
			go func() { shut <- s.Shutdown(tc.timeout) }()
			if !tc.cut {
				echo(t, c, br, "still open during the shutdown")
				select {
				case err := <-shut:
					t.Fatalf("Shutdown returned while an upgraded connection was open: %v", err)
				default:
				}
				c.Close()
				is.NoErr(<-shut) // once it ended
				is.True(strings.Contains(log.String(), `msg="loginauth proxy: upgraded connection ended" path=/ws protocol=echo`))
				is.True(strings.Contains(log.String(), "cut=false")) // log
				return
			}
			err = <-shut
			is.True(err != nil && strings.Contains(err.Error(), "upgraded connections still open")) // says it cut
			_, err = br.ReadByte()
			is.True(err != nil)                                 // the client's connection was cut
			is.True(strings.Contains(log.String(), "cut=true")) // and the log says so
			is.Equal(p.Stats().Upgraded, int64(1))
		})
	}
}
