package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/app/proxy"
	"github.com/loginauth/loginauth/internal/hostname"
)

// proxyFlags are the flags of proxy besides the account's.
type proxyFlags struct {
	listen          string
	maxReplay       int64
	inboundFile     string
	certFile        string
	keyFile         string
	passCookies     bool
	shutdownTimeout time.Duration
	verbose         bool
	acceptHosts     stringList
	allowOrigins    stringList
	maxBuffered     int64
	bodyTimeout     time.Duration
	streamIdle      time.Duration
	maxIdleConns    int
}

// proxyHelp is the long help of the proxy command.
const proxyHelp = `Serve the API of PROVIDER on a local address: a request for /P?Q goes to
the base URL joined with /P?Q, with the account's credentials, so that a
client in any language, or curl, uses the API without logging in. Every
client shares one login; a request that the API refuses is re-sent once
after one re-login, with its body when it is at most --max-replay bytes.

  loginauth login xano
  loginauth proxy xano &
  curl http://127.0.0.1:8787/auth/me

The account is that of 'loginauth token' and 'call': a stored token that
is usable or can be refreshed needs no password. --timeout bounds each
login.

The clients' Authorization, the provider's credential headers and, unless
--pass-cookies, the Cookie and Set-Cookie fields are removed: the account
is shared, its session must not be. Only the base URL's origin is ever
reached: an absolute-form request (the proxy used as a forward proxy) gets
400, a CONNECT 405. Beyond a loopback address, the proxy needs
--inbound-token-file and TLS (--tls-cert, --tls-key), or it refuses to
start (exit 2): anyone who reached it would use the account.

Web pages in the user's browser reach the proxy too. A request whose Host
is not localhost, 127.0.0.1, [::1], the --listen host or a name given
with --accept-host gets 421 (DNS rebinding); one from another origin's
page (its Origin, or Sec-Fetch-Site cross-site or same-site) gets 403
unless the origin is given with --allow-origin; Origin null always does.
The API's Access-Control fields are removed; the proxy answers the
allowed origins' CORS itself. A path with a '.' or '..' segment, even
percent-encoded, gets 400. None of these reaches the API.

A body of up to --max-replay bytes is read first, within --body-timeout
(else 408), and at most --max-buffered bytes are held at once; a body
that streams is cut after --stream-idle-timeout without a byte. Without a
usable token and a password, a client gets 503 naming 'loginauth login'.

Its own paths, never forwarded:
  GET /_loginauth/health   200 {"status":"ok"} once the account has a token;
                           503 with the reason (bad credentials, backoff,
                           timeout) otherwise
  GET /_loginauth/stats    counters: logins, refreshes, ..., refused_host,
                           refused_origin, refused_path, body_timeouts, ...

It serves until SIGINT or SIGTERM, then lets the requests in flight and
the upgraded (WebSocket) connections end, up to --shutdown-timeout, and
exits 0; 1 when it had to cut some. Proxies that share a token store
(the same --cache-dir, or --store redis://HOST:PORT/DB with the command of
the redisstore module) share one login.
`

// proxyOptions are the command line of proxy.
type proxyOptions struct {
	proxy    proxyFlags
	account  accountFlags
	provider []string // the provider name; none with --spec
}

func (o *proxyOptions) flags(fs *flagSet) {
	fs.stringFlag(&o.proxy.listen, "listen", "", proxy.DefaultAddr, "listen on `ADDR`; port 0 picks a free port. Beyond loopback, it needs --inbound-token-file and TLS")
	fs.Int64Var(&o.proxy.maxReplay, "max-replay", proxy.DefaultMaxReplay, "keep request bodies of up to `BYTES` for the re-send after a re-login; a larger one streams, and its refusal goes back to the client as it came (0 keeps none)")
	fs.def("max-replay", "")
	fs.stringFlag(&o.proxy.inboundFile, "inbound-token-file", "", "", "require clients to send Proxy-Authorization: Bearer TOKEN, where TOKEN is the content of `FILE`, trimmed; other requests get 407")
	fs.stringFlag(&o.proxy.certFile, "tls-cert", "", "", "serve HTTPS with the PEM certificate (chain) in `FILE`; needs --tls-key")
	fs.stringFlag(&o.proxy.keyFile, "tls-key", "", "", "the PEM private key of --tls-cert, in `FILE`")
	fs.boolFlag(&o.proxy.passCookies, "pass-cookies", "", "pass the clients' Cookie and the API's Set-Cookie fields (removed by default: every client shares the account's session)")
	fs.DurationVar(&o.proxy.shutdownTimeout, "shutdown-timeout", 10*time.Second, "on SIGINT or SIGTERM, wait this `DURATION` at most for the requests in flight")
	fs.def("shutdown-timeout", "")
	fs.varFlag(&o.proxy.acceptHosts, "accept-host", "", "also accept requests whose Host is `NAME` (any port; repeatable); others get 421. localhost, 127.0.0.1, [::1] and the --listen host are always accepted")
	fs.varFlag(&o.proxy.allowOrigins, "allow-origin", "", "let web pages of `ORIGIN`, such as https://app.example.com, use the proxy (exact match; repeatable; never null); other pages get 403")
	fs.Int64Var(&o.proxy.maxBuffered, "max-buffered", proxy.DefaultMaxBuffered, "hold at most `BYTES` of request bodies for re-sends across all requests at once; past it, a body streams without a re-send")
	fs.def("max-buffered", "")
	fs.DurationVar(&o.proxy.bodyTimeout, "body-timeout", proxy.DefaultBodyTimeout, "a body of up to --max-replay bytes must arrive within `DURATION`, or the request gets 408")
	fs.def("body-timeout", "")
	fs.DurationVar(&o.proxy.streamIdle, "stream-idle-timeout", proxy.DefaultStreamIdleTimeout, "a larger body that streams is cut when no byte arrives for `DURATION`")
	fs.def("stream-idle-timeout", "")
	fs.IntVar(&o.proxy.maxIdleConns, "max-idle-conns", proxy.DefaultMaxIdleConns, "keep up to `N` idle connections to the API for reuse")
	fs.def("max-idle-conns", "")
	fs.boolFlag(&o.proxy.verbose, "verbose", "v", "log each request on stderr (method, path, status, duration, re-sent or not) and the library's debug log; never a credential")
	o.account.register(fs, secretAtHand)
}

func (o *proxyOptions) parsed(_ *flagSet, pos []string) error {
	if len(pos) > 1 {
		return usagef("want one provider, got %d arguments", len(pos))
	}
	o.provider = pos
	return o.proxy.check()
}

func (o *proxyOptions) run(ctx context.Context, c *cli) error { return c.proxy(ctx, *o) }

// proxy serves the API with the account's credentials until ctx ends.
func (c *cli) proxy(ctx context.Context, o proxyOptions) error {
	f, af := &o.proxy, &o.account
	inbound, err := readInboundToken(f.inboundFile)
	if err != nil {
		return err
	}
	// Where to listen is checked before the account is: an address that
	// would make an open relay is refused whatever the account.
	lc := proxy.ListenConfig{Addr: f.listen, InboundToken: inbound != "", CertFile: f.certFile, KeyFile: f.keyFile}
	if err := lc.Check(); err != nil {
		return &usageError{listenWords(err, f.listen)}
	}
	a, err := c.resolve(ctx, af, o.provider, secretAtHand)
	if err != nil {
		return err
	}
	defer a.closeStore()
	base := a.base()
	if base == "" {
		return usagef("%s: no base URL: set it with --base-url or the provider's variable", a.p.name)
	}
	cfg := c.proxyConfig(a, o, inbound, lc)
	p, err := proxy.New(cfg)
	if err != nil {
		return &usageError{err}
	}
	srv, err := proxy.Listen(lc, p)
	if err != nil {
		return listenWords(err, f.listen)
	}
	fmt.Fprintf(c.stderr, "loginauth proxy: listening on %s for %s; health at %s, stats at %s; stop it with Ctrl-C\n",
		srv.URL(), a.who(), proxy.HealthPath, proxy.StatsPath)
	if host, _, _ := net.SplitHostPort(srv.Addr()); !hostname.IsLoopback(host) {
		fmt.Fprintln(c.stderr, "loginauth proxy: clients that reach it by a name or an address other than the listen address need --accept-host NAME (others get 421)")
	}
	return c.serveProxy(ctx, srv, f)
}

// proxyConfig is the proxy's configuration for the account a: its Source,
// with the library's log, and the flags of o.
func (c *cli) proxyConfig(a *account, o proxyOptions, inbound string, lc proxy.ListenConfig) proxy.Config {
	f, af := &o.proxy, &o.account
	// The library's warnings (a failed login, withheld credentials) always
	// reach stderr; -v adds its debug log and the access log.
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level, ReplaceAttr: plainNames(a.p)}))
	src := a.source(af, loginauth.Options{Logger: logger, LoginTimeout: af.timeout})
	maxReplay := f.maxReplay
	if maxReplay == 0 {
		maxReplay = -1 // proxy.Config's "keep none"; its 0 is the default
	}
	cfg := proxy.Config{
		Source:            src,
		BaseURL:           a.base(),
		MaxReplay:         maxReplay,
		InboundToken:      inbound,
		PassCookies:       f.passCookies,
		AcceptHosts:       append(proxy.ListenHosts(lc.Addr), f.acceptHosts...),
		AllowOrigins:      f.allowOrigins,
		MaxBuffered:       f.maxBuffered,
		BodyTimeout:       f.bodyTimeout,
		StreamIdleTimeout: f.streamIdle,
		MaxIdleConns:      f.maxIdleConns,
		NoCredentials:     noCredentialsAdvice(a.p, af.spec),
		// The proxy's warnings and the ends of upgraded connections
		// always reach stderr.
		Logger: slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	if f.verbose {
		cfg.AccessLog = logger
	}
	return cfg
}

// check checks the values of the proxy's own flags.
func (f *proxyFlags) check() error {
	if f.maxReplay < 0 {
		return usagef("--max-replay %d: want a number of bytes, 0 or more", f.maxReplay)
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"shutdown-timeout", f.shutdownTimeout}, {"body-timeout", f.bodyTimeout}, {"stream-idle-timeout", f.streamIdle}} {
		if d.d <= 0 {
			return usagef("--%s %v: want a positive duration", d.name, d.d)
		}
	}
	if f.maxBuffered <= 0 || f.maxIdleConns <= 0 {
		return usagef("--max-buffered and --max-idle-conns: want a positive number")
	}
	for _, o := range f.allowOrigins {
		if err := proxy.CheckOrigin(o); err != nil {
			return usagef("--allow-origin: %v", err)
		}
	}
	return nil
}

// serveProxy serves until ctx ends, then shuts srv down within
// --shutdown-timeout.
func (c *cli) serveProxy(ctx context.Context, srv *proxy.Server, f *proxyFlags) error {
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	if err := srv.Shutdown(f.shutdownTimeout); err != nil {
		return err
	}
	if err := <-done; err != nil {
		return err
	}
	fmt.Fprintln(c.stderr, "loginauth proxy: stopped")
	return nil
}

// readInboundToken returns the trimmed content of the --inbound-token-file
// file, or "" without one.
func readInboundToken(file string) (string, error) {
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", usagef("--inbound-token-file %s: %v", file, err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", usagef("--inbound-token-file %s is empty", file)
	}
	return tok, nil
}
