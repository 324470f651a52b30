package cli

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth/internal/app/proxy/proxytest"
	"github.com/loginauth/loginauth/loginauthtest"
)

// proxyProc is a 'loginauth proxy' process.
type proxyProc struct {
	url    string // where it listens, as it printed it
	cmd    *exec.Cmd
	out    *syncBuffer // its stdout and stderr
	exited chan struct{}
	code   int // its exit status, once exited is closed
}

// syncBuffer is a buffer that a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex // protects b
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var listeningRE = regexp.MustCompile(`listening on (https?://\S+)`)

// startProxy runs 'loginauth proxy --listen 127.0.0.1:0 ARGS' (a --listen
// in args wins) with env as its whole environment, until t ends, and
// waits for its "listening on" line. At the end it checks that its output
// holds none of secrets.
func startProxy(t *testing.T, env map[string]string, secrets []string, args ...string) *proxyProc {
	t.Helper()
	p := &proxyProc{out: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"proxy", "--listen", "127.0.0.1:0"}, args...)...)
	p.cmd.Env = commandEnv(t, env)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop(t)
		for _, s := range secrets {
			if s != "" && strings.Contains(p.out.String(), s) {
				t.Errorf("loginauth proxy printed a secret:\n%s", p.out)
			}
		}
	})
	// The deadline only bounds a proxy that never starts.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(p.out.String()); m != nil {
			p.url = m[1]
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("loginauth proxy exited %d before it listened:\n%s", p.code, p.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("loginauth proxy did not listen:\n%s", p.out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logged waits up to 10 s for the proxy's output to satisfy ok, and
// returns that output: the access-log line of a request is written after
// its response has gone to the client.
func (p *proxyProc) logged(ok func(out string) bool) string {
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := p.out.String()
		if ok(out) || time.Now().After(deadline) {
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop sends SIGTERM and returns the exit status.
func (p *proxyProc) stop(t *testing.T) int {
	p.cmd.Process.Signal(syscall.SIGTERM)
	return p.wait(t)
}

// wait waits for the proxy to exit, as stop does, without a signal of
// its own: a second one stops the proxy at once.
func (p *proxyProc) wait(t *testing.T) int {
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("loginauth proxy did not stop on SIGTERM:\n%s", p.out)
	}
	return p.code
}

// client is a plain HTTP client, such as any language has.
func client(t *testing.T, tr *http.Transport) *http.Client {
	if tr == nil {
		tr = &http.Transport{}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// send sends a request and returns the status and body; header holds
// "Name: value" fields. It fails t with status 0, and may run in any
// goroutine.
func send(t *testing.T, c *http.Client, method, u, body string, header ...string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	for _, h := range header {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, u, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s %s: reading the body: %v", method, u, err)
		return 0, ""
	}
	return resp.StatusCode, string(b)
}

// stats returns the fake's counters.
func (f *fakeProc) stats(t *testing.T) loginauthtest.Stats {
	t.Helper()
	var s loginauthtest.Stats
	if err := json.Unmarshal([]byte(f.control(t, "GET", "stats")), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// cache returns a new token cache directory.
func cache(t *testing.T) string { return filepath.Join(t.TempDir(), "cache") }

func TestProxyOneLogin(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	f.control(t, "POST", "fault?fault=NoFault&delay=200ms") // the logins of the 20 would overlap
	p := startProxy(t, f.account(t, cache(t), false), f.secrets(), "xano", "-v")
	c := client(t, nil)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if status, body := send(t, c, "GET", p.url+"/auth/me", ""); status == 200 && strings.Contains(body, "alice@example.test") {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	is.Equal(ok.Load(), int32(20)) // every request answered, with the account's credentials
	st := f.stats(t)
	is.Equal(st.Logins, int64(1))    // one login for all
	is.Equal(st.Requests, int64(20)) // each forwarded once
	status, body := send(t, c, "GET", p.url+"/_loginauth/stats", "")
	is.Equal(status, 200)                          // body
	is.True(strings.Contains(body, `"logins":1,`)) // the Source's counters: body
	is.Equal(f.stats(t).Requests, int64(20))       // the proxy's own path is not forwarded
	const line = `msg="loginauth proxy: request" method=GET path=/auth/me status=200`
	out := p.logged(func(out string) bool { return strings.Count(out, line) >= 20 })
	is.Equal(strings.Count(out, line), 20) // -v: one access-log line each
}

func TestProxyStoredTokenNeedsNoSecret(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f, bare := loggedIn(t, "xano")
	p := startProxy(t, bare, f.secrets(), "xano")
	status, body := send(t, client(t, nil), "GET", p.url+"/auth/me", "")
	is.Equal(status, 200)                                 // the stored token, and the base URL stored with it: body
	is.True(strings.Contains(body, "alice@example.test")) // body
	is.Equal(f.stats(t).Logins, int64(1))                 // login's only
}

func TestProxyRevokeResendsBody(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xpay")
	p := startProxy(t, f.account(t, cache(t), false), f.secrets(), "xpay", "-v")
	c := client(t, nil)
	status, body := send(t, c, "POST", p.url+"/client/bills/save", `{"amount":"42"}`, "Content-Type: application/json")
	is.Equal(status, 200)                              // body
	is.True(strings.Contains(body, `"billAmount":42`)) // body
	f.control(t, "POST", "revoke")
	status, body = send(t, c, "POST", p.url+"/client/bills/save", `{"amount":"43"}`, "Content-Type: application/json")
	is.Equal(status, 200)                              // body
	is.True(strings.Contains(body, `"success"`))       // refused, re-sent after a re-login: body
	is.True(strings.Contains(body, `"billAmount":43`)) // with its body
	is.Equal(f.stats(t).Logins, int64(2))              // one re-login
	out := p.logged(func(out string) bool { return strings.Contains(out, "resent=true") })
	is.True(strings.Contains(out, "status=200 duration=")) // out
	is.True(strings.Contains(out, "resent=true"))          // the access log tells the re-send
}

func TestProxyLargeBodyNotResent(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xpay")
	p := startProxy(t, f.account(t, cache(t), false), f.secrets(), "xpay", "--max-replay", "64")
	c := client(t, nil)
	status, _ := send(t, c, "POST", p.url+"/client/bills/save", `{"amount":"1"}`)
	is.Equal(status, 200)
	f.control(t, "POST", "revoke")
	large := `{"amount":"2","tag":"` + strings.Repeat("x", 100) + `"}`
	status, body := send(t, c, "POST", p.url+"/client/bills/save", large)
	is.Equal(status, 200)                                          // xPay refuses in an envelope of HTTP 200
	is.True(strings.Contains(body, "The token has been revoked.")) // a body over --max-replay is not re-sent: the refusal reaches the client: body
	is.True(!strings.Contains(body, `"success"`))                  // body
	status, body = send(t, c, "POST", p.url+"/client/bills/save", `{"amount":"3"}`)
	is.Equal(status, 200)
	is.True(strings.Contains(body, `"billAmount":3`)) // the next one logs in again: body
	is.Equal(f.stats(t).Logins, int64(2))
}

func TestProxyForgedAuthorizationReplaced(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	p := startProxy(t, f.account(t, cache(t), false), f.secrets(), "xano", "-v")
	status, body := send(t, client(t, nil), "GET", p.url+"/auth/me", "", "Authorization: Bearer forged-by-the-client")
	is.Equal(status, 200)                                 // the account's credentials, not the client's: body
	is.True(strings.Contains(body, "alice@example.test")) // body
	// The proxy removed it: the Transport below found none to replace,
	// which it would log with -v.
	out := p.logged(func(out string) bool { return strings.Contains(out, "loginauth proxy: request") })
	is.True(!strings.Contains(out, "credential header replaced")) // out
	is.True(strings.Contains(out, "level=DEBUG"))                 // -v has the library's debug log
}

func TestProxyRelaysToNoOtherHost(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	p := startProxy(t, f.account(t, cache(t), false), f.secrets(), "xano")
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer other.Close()
	otherTLS := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer otherTLS.Close()

	pu, _ := url.Parse(p.url)
	// A client that takes the proxy for a forward proxy: absolute-form
	// requests for http, CONNECT for https.
	c := client(t, &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{InsecureSkipVerify: true}})
	status, body := send(t, c, "GET", other.URL+"/x", "")
	is.Equal(status, 400)                            // body
	is.True(strings.Contains(body, "absolute-form")) // says why
	_, err := c.Get(otherTLS.URL + "/x")
	is.True(err != nil)                                          // CONNECT refused
	is.True(strings.Contains(err.Error(), "Method Not Allowed")) // err
	is.Equal(hits.Load(), int32(0))                              // the other host saw nothing
	is.Equal(f.stats(t).Logins, int64(0))                        // nor did the API
}

func TestProxyRefusesToStart(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "inbound")
	is.NoErr(os.WriteFile(tokenFile, []byte("in-7d1e5bd0a2\n"), 0o600))
	empty := filepath.Join(dir, "empty")
	is.NoErr(os.WriteFile(empty, []byte(" \n"), 0o600))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "0.0.0.0:0"}, "open relay"},
		{[]string{"--listen", "0.0.0.0:0", "--inbound-token-file", tokenFile}, "needs TLS"},
		{[]string{"--tls-cert", tokenFile}, "both a certificate file and a key file"},
		{[]string{"--inbound-token-file", empty}, "is empty"},
		{[]string{"--inbound-token-file", filepath.Join(dir, "none")}, "no such file"},
		{[]string{"--max-replay", "-1"}, "--max-replay"},
	} {
		// No account is needed to be refused.
		r := run(t, nil, "", []string{"in-7d1e5bd0a2"}, append([]string{"proxy", "xano"}, c.args...)...)
		is.Equal(r.code, 2)                         // r
		is.True(strings.Contains(r.stderr, c.want)) // says why: r
		is.True(!listeningRE.MatchString(r.stderr)) // it never listened: r
	}
}

func TestProxyInboundToken(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	dir := t.TempDir()
	const inbound = "in-3f9a27c4e1"
	tokenFile := filepath.Join(dir, "inbound")
	is.NoErr(os.WriteFile(tokenFile, []byte(inbound+"\n"), 0o600))
	certFile, keyFile, pool := selfSigned(t, dir)
	// Beyond loopback, with the token and TLS.
	p := startProxy(t, f.account(t, cache(t), false), append(f.secrets(), inbound), "xano",
		"--listen", "0.0.0.0:0", "--inbound-token-file", tokenFile, "--tls-cert", certFile, "--tls-key", keyFile)
	pu, err := url.Parse(p.url)
	is.NoErr(err)
	is.Equal(pu.Scheme, "https")                                    // p.url
	is.True(strings.Contains(p.out.String(), "need --accept-host")) // clients that use a name are told at start-up: p.out
	u := "https://127.0.0.1:" + pu.Port()
	c := client(t, &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}})
	for _, h := range [][]string{nil, {"Proxy-Authorization: Bearer wrong"}, {"Authorization: Bearer " + inbound}} {
		status, body := send(t, c, "GET", u+"/auth/me", "", h...)
		is.Equal(status, 407)                            // without the inbound token: h
		is.True(strings.Contains(body, "inbound token")) // body
	}
	status, _ := send(t, c, "GET", u+"/_loginauth/health", "")
	is.Equal(status, 407)                 // the own paths too
	is.Equal(f.stats(t).Logins, int64(0)) // nothing reached the API
	status, body := send(t, c, "GET", u+"/auth/me", "", "Proxy-Authorization: Bearer "+inbound)
	is.Equal(status, 200)                                 // with it: body
	is.True(strings.Contains(body, "alice@example.test")) // body
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// in dir, and returns their files and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "loginauth proxy test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}

func TestProxyDrainsOnSIGTERM(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	f.control(t, "POST", "fault?fault=FaultSlow&delay=1s") // every login takes 1 s, even for a client gone
	inFlight := func(p *proxyProc) <-chan error {
		before := f.stats(t).Logins // read first: the proxy's login may reach the fake at once
		done := make(chan error, 1)
		go func() {
			resp, err := client(t, nil).Get(p.url + "/auth/me")
			if err == nil {
				b, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err = rerr; err == nil && (resp.StatusCode != 200 || !strings.Contains(string(b), "alice@example.test")) {
					err = fmt.Errorf("HTTP %s: %s", resp.Status, b)
				}
			}
			done <- err
		}()
		// Until the proxy's login reached the fake: the request is in flight.
		for f.stats(t).Logins == before {
			time.Sleep(10 * time.Millisecond)
		}
		return done
	}

	p := startProxy(t, f.account(t, cache(t), false), f.secrets(), "xano")
	done := inFlight(p)
	is.Equal(p.stop(t), 0)                               // drained, then exit 0: p.out
	is.NoErr(<-done)                                     // the request in flight completed
	is.True(strings.Contains(p.out.String(), "stopped")) // p.out

	// One that outlasts --shutdown-timeout is cut, and the exit says so.
	p = startProxy(t, f.account(t, cache(t), false), f.secrets(), "xano", "--shutdown-timeout", "50ms")
	done = inFlight(p)
	is.Equal(p.stop(t), 1)                                       // p.out
	is.True(<-done != nil)                                       // cut
	is.True(strings.Contains(p.out.String(), "still in flight")) // p.out
}

func TestProxyHealth(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	p := startProxy(t, f.account(t, cache(t), false), f.secrets(), "xano")
	c := client(t, nil)
	status, body := send(t, c, "GET", p.url+"/_loginauth/health", "")
	is.Equal(status, 200)                                // body
	is.Equal(strings.TrimSpace(body), `{"status":"ok"}`) // body
	is.Equal(f.stats(t).Logins, int64(1))                // the health check got a token

	// The password is changed: the next login is refused.
	f.control(t, "POST", "fault?fault=FaultBadCredentials")
	f.control(t, "POST", "revoke")
	status, body = send(t, c, "GET", p.url+"/auth/me", "")
	is.Equal(status, 503)                             // refused, and no re-login: body
	is.True(strings.Contains(body, "no credentials")) // body
	var h struct{ Status, Reason, Error string }
	status, body = send(t, c, "GET", p.url+"/_loginauth/health", "")
	is.Equal(status, 503)                      // body
	is.NoErr(json.Unmarshal([]byte(body), &h)) // body
	is.Equal(h.Status, "unavailable")          // body
	is.Equal(h.Reason, "bad credentials")      // body

	// A proxy started with a wrong password says so too, and never prints it.
	env := f.account(t, cache(t), false)
	env["XANO_PASSWORD"] = "wrong-7c2b91e0"
	f.control(t, "POST", "fault?fault=NoFault")
	p = startProxy(t, env, append(f.secrets(), "wrong-7c2b91e0"), "xano", "-v")
	status, body = send(t, c, "GET", p.url+"/_loginauth/health", "")
	is.Equal(status, 503)                                // body
	is.True(strings.Contains(body, `"bad credentials"`)) // body
	is.True(!strings.Contains(body, "wrong-7c2b91e0"))   // body
}

func TestProxySharedFileStore(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	f.control(t, "POST", "fault?fault=NoFault&delay=300ms") // the logins of the two would overlap
	env := f.account(t, cache(t), false)
	a := startProxy(t, env, f.secrets(), "xano")
	b := startProxy(t, env, f.secrets(), "xano")
	c := client(t, nil)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		u := []string{a.url, b.url}[i%2]
		wg.Go(func() {
			if status, _ := send(t, c, "GET", u+"/auth/me", ""); status == 200 {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	is.Equal(ok.Load(), int32(20))        // all answered
	is.Equal(f.stats(t).Logins, int64(1)) // two processes, one token cache: one login
}

func TestProxyRefusesWebPages(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	const app = "https://app.example.com"
	p := startProxy(t, f.account(t, cache(t), false), f.secrets(), "xano", "--allow-origin", app, "--accept-host", "api-proxy.test")
	c := client(t, nil)
	hostReq := func(host string, header ...string) (int, string, http.Header) {
		req, _ := http.NewRequest("GET", p.url+"/auth/me", nil)
		req.Host = host
		for _, h := range header {
			k, v, _ := strings.Cut(h, ":")
			req.Header.Set(k, strings.TrimSpace(v))
		}
		resp, err := c.Do(req)
		is.NoErr(err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	own := strings.TrimPrefix(p.url, "http://")
	for _, tc := range []struct {
		host   string
		header []string
		status int
		says   string
	}{
		{own, []string{"Origin: https://evil.example", "Sec-Fetch-Site: cross-site"}, 403, "--allow-origin"},
		{own, []string{"Sec-Fetch-Site: cross-site"}, 403, "--allow-origin"},
		{own, []string{"Origin: null"}, 403, "never null"},
		{"rebind.evil.example:8787", nil, 421, "--accept-host"},
		{own, nil, 200, "alice@example.test"},
		{"API-Proxy.test:1234", nil, 200, "alice@example.test"},
		{own, []string{"Origin: " + app, "Sec-Fetch-Site: cross-site"}, 200, "alice@example.test"},
	} {
		status, body, h := hostReq(tc.host, tc.header...)
		is.Equal(status, tc.status)              // tc
		is.True(strings.Contains(body, tc.says)) // body
		if len(tc.header) > 0 && strings.Contains(tc.header[0], app) {
			is.Equal(h.Get("Access-Control-Allow-Origin"), app) // the allowed origin may read the answer
		}
	}
	// A text/plain form POST, which a page sends with no preflight.
	status, _ := send(t, c, "POST", p.url+"/auth/me", "payout=1", "Content-Type: text/plain", "Origin: https://evil.example", "Sec-Fetch-Site: cross-site")
	is.Equal(status, 403)
	// A preflight of the allowed origin, answered by the proxy.
	req, _ := http.NewRequest("OPTIONS", p.url+"/auth/me", nil)
	req.Header.Set("Origin", app)
	req.Header.Set("Access-Control-Request-Method", "DELETE")
	req.Header.Set("Access-Control-Request-Private-Network", "true")
	resp, err := c.Do(req)
	is.NoErr(err)
	resp.Body.Close()
	is.Equal(resp.StatusCode, 204)                                            // resp
	is.Equal(resp.Header.Get("Access-Control-Allow-Methods"), "DELETE")       // resp
	is.Equal(resp.Header.Get("Access-Control-Allow-Private-Network"), "true") // resp

	is.Equal(f.stats(t).Requests, int64(3)) // only the three accepted requests reached the API
	_, stats := send(t, c, "GET", p.url+"/_loginauth/stats", "")
	is.True(strings.Contains(stats, `"refused_host":1,`))   // stats
	is.True(strings.Contains(stats, `"refused_origin":4,`)) // stats
	out := p.logged(func(out string) bool { return strings.Contains(out, "host=rebind.evil.example:8787") })
	is.True(strings.Contains(out, `level=WARN msg="loginauth proxy: request refused: Forbidden" origin=https://evil.example`)) // out
	is.True(strings.Contains(out, `level=WARN msg="loginauth proxy: request refused: Misdirected Request" host=rebind.evil.example:8787`))

	r := run(t, nil, "", nil, "proxy", "xano", "--allow-origin", "null")
	is.Equal(r.code, 2)                         // null cannot be allowed: r
	is.True(strings.Contains(r.stderr, "null")) // r
}

func TestProxyDotSegmentsRefused(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano") // its base URL has a path: /api:test
	p := startProxy(t, f.account(t, cache(t), false), f.secrets(), "xano")
	for _, target := range []string{"/../api:other/auth/me", "/%2e%2e/api:other/auth/me", "/..%2fapi:other%2fauth/me", "/%252e%252e/x", `/..\api:other\auth\me`, "/auth/..;/me"} {
		status, body := proxytest.Raw(t, p.url, "GET "+target+" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
		is.Equal(status, 400)                   // target
		is.True(strings.Contains(body, "'..'")) // says why: body
	}
	st := f.stats(t)
	is.Equal(st.Logins+st.Requests, int64(0)) // nothing reached the API
	status, body := send(t, client(t, nil), "GET", p.url+"/auth/me", "")
	is.Equal(status, 200)                                 // a plain path is forwarded
	is.True(strings.Contains(body, "alice@example.test")) // body
	_, stats := send(t, client(t, nil), "GET", p.url+"/_loginauth/stats", "")
	is.True(strings.Contains(stats, `"refused_path":6,`)) // stats
}

func TestProxyRevokedWithoutSecret(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f, bare := loggedIn(t, "xano") // a stored token, no password at hand
	p := startProxy(t, bare, f.secrets(), "xano")
	c := client(t, nil)
	status, _ := send(t, c, "GET", p.url+"/auth/me", "")
	is.Equal(status, 200) // the stored token
	f.control(t, "POST", "revoke")
	for range 3 {
		status, body := send(t, c, "GET", p.url+"/auth/me", "")
		is.Equal(status, 503)                                         // the API was reached; no credentials: body
		is.True(strings.Contains(body, "refused the stored token"))   // body
		is.True(strings.Contains(body, "run 'loginauth login xano'")) // the fix: body
		is.True(strings.Contains(body, "XANO_PASSWORD"))              // or the password at hand: body
		is.True(!strings.Contains(body, "Config."))                   // never a library name: body
	}
	status, body := send(t, c, "GET", p.url+"/_loginauth/health", "")
	is.Equal(status, 503)                                         // body
	is.True(strings.Contains(body, `"reason":"no credentials"`))  // body
	is.True(strings.Contains(body, "run 'loginauth login xano'")) // health says the same: body
	out := p.logged(func(out string) bool { return strings.Contains(out, "level=WARN") })
	is.Equal(strings.Count(out, "level=WARN"), 1)                // logged once, without -v: out
	is.True(strings.Contains(out, "run 'loginauth login xano'")) // out
	is.True(!strings.Contains(out, "Config."))                   // out

	// From a description: the fix names it.
	file := filepath.Join(t.TempDir(), "mine.json")
	is.NoErr(os.WriteFile(file, spec(t, "myxano"), 0o600))
	env := f.account(t, cache(t), true)
	r := run(t, env, f.env["XANO_PASSWORD"]+"\n", f.secrets(), "login", "--spec", file, "--password-stdin")
	is.Equal(r.code, 0) // r
	p = startProxy(t, map[string]string{"LOGINAUTH_CACHE_DIR": env["LOGINAUTH_CACHE_DIR"]}, f.secrets(), "--spec", file)
	f.control(t, "POST", "revoke")
	status, body = send(t, c, "GET", p.url+"/auth/me", "")
	is.Equal(status, 503)                                                    // body
	is.True(strings.Contains(body, "run 'loginauth login --spec "+file+"'")) // body
}

// echoAPI is a Xano-like API whose /ws switches to an echo protocol.
func echoAPI(t *testing.T) map[string]string {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api:t/auth/login", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"authToken":"tok-ws"}`)
	})
	mux.HandleFunc("GET /api:t/ws", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-ws" {
			http.Error(w, "{}", http.StatusUnauthorized)
			return
		}
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		io.Copy(c, brw)
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return map[string]string{"XANO_BASE_URL": s.URL + "/api:t", "XANO_EMAIL": "ws@example.test", "XANO_PASSWORD": "ws-pass-5d1c", "LOGINAUTH_CACHE_DIR": cache(t)}
}

func TestProxyUpgradedOnSIGTERM(t *testing.T) {
	t.Parallel()
	env := echoAPI(t)
	for _, cut := range []bool{false, true} {
		is := is.New(t)
		p := startProxy(t, env, []string{"ws-pass-5d1c", "tok-ws"}, "xano", "--shutdown-timeout", map[bool]string{false: "30s", true: "200ms"}[cut])
		c, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
		is.NoErr(err)
		io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		is.NoErr(err)
		is.Equal(resp.StatusCode, 101) // upgraded
		p.cmd.Process.Signal(syscall.SIGTERM)
		io.WriteString(c, "ping")
		got := make([]byte, 4)
		_, err = io.ReadFull(br, got)
		is.NoErr(err)
		is.Equal(string(got), "ping") // still served after SIGTERM
		if !cut {
			c.Close()
			is.Equal(p.wait(t), 0) // drained: p.out
			is.True(strings.Contains(p.out.String(), `msg="loginauth proxy: upgraded connection ended" path=/ws protocol=echo`))
			is.True(strings.Contains(p.out.String(), "cut=false")) // p.out
			continue
		}
		_, err = br.ReadByte()
		is.True(err != nil)                                                          // cut at --shutdown-timeout
		is.Equal(p.wait(t), 1)                                                       // and the exit says so: p.out
		is.True(strings.Contains(p.out.String(), "upgraded connections still open")) // p.out
		is.True(strings.Contains(p.out.String(), "cut=true"))                        // p.out
		c.Close()
	}
}

func TestProxyStalledBodyTimesOut(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "xano")
	p := startProxy(t, f.account(t, cache(t), false), f.secrets(), "xano", "--body-timeout", "200ms")
	status, body := proxytest.Raw(t, p.url, "POST /auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n"+strings.Repeat("x", 999))
	is.Equal(status, 408)                                     // the body stalled one byte short: body
	is.True(strings.Contains(body, "within 200ms"))           // body
	is.Equal(f.stats(t).Logins+f.stats(t).Requests, int64(0)) // nothing reached the API
	_, stats := send(t, client(t, nil), "GET", p.url+"/_loginauth/stats", "")
	is.True(strings.Contains(stats, `"body_timeouts":1,`)) // stats
}
