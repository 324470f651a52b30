package compat

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
)

// protos records the protocol and body of each request, then hands it on.
type protos struct {
	next http.Handler
	mu   sync.Mutex // guards seen
	seen []string
}

func (p *protos) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.seen = append(p.seen, fmt.Sprintf("%s %s", r.Proto, b))
	p.mu.Unlock()
	p.next.ServeHTTP(w, r)
}

// checkHTTP2 sends a POST refused once through a Transport over base, and
// checks that both attempts went over HTTP/2 with their body.
func checkHTTP2(t *testing.T, api *users, p *protos, url string, base http.RoundTripper) {
	is := is.New(t)
	src := api.source("alice", url, loginauth.Options{})
	api.revoke("alice-1")
	c := &http.Client{Transport: loginauth.NewTransport(src, base)}
	resp, err := c.Post(url+"/me", "text/plain", strings.NewReader("payload"))
	is.NoErr(err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	is.Equal(resp.StatusCode, 200) // the re-send succeeded
	is.Equal(string(b), "alice")
	is.Equal(resp.ProtoMajor, 2)
	is.Equal(p.seen, []string{"HTTP/2.0 payload", "HTTP/2.0 payload"}) // both attempts over HTTP/2, with the body
	is.Equal(api.headers()[1].Get("Cache-Control"), "no-cache")
}

// Over TLS, with HTTP/2 negotiated by ALPN, a refused request is re-sent
// with its body on the same connection's protocol.
func TestHTTP2OverTLS(t *testing.T) {
	api := newUsers()
	p := &protos{next: api}
	srv := httptest.NewUnstartedServer(p)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	checkHTTP2(t, api, p, srv.URL, srv.Client().Transport)
}

// Over cleartext HTTP/2 with prior knowledge (h2c), as net/http's
// Protocols set it up, the same holds.
func TestH2C(t *testing.T) {
	api := newUsers()
	p := &protos{next: api}
	srv := httptest.NewUnstartedServer(p)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	checkHTTP2(t, api, p, srv.URL, tr)
}
