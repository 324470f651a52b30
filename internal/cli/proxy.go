package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/proxy"
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
}

func init() {
	register(&command{
		name:  "proxy",
		args:  "PROVIDER [--listen ADDR] [flags]",
		short: "serve the API on a local port with the account's credentials, for any client or tool",
		long: `Serve the API of PROVIDER on a local address: a request for /P?Q goes to
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

Its own paths, never forwarded:
  GET /_loginauth/health   200 {"status":"ok"} once the account has a token;
                           503 with the reason (bad credentials, backoff,
                           timeout) otherwise
  GET /_loginauth/stats    the Source's counters: logins, refreshes, ...

It serves until SIGINT or SIGTERM, then lets the requests in flight end,
up to --shutdown-timeout, and exits 0. Proxies that share a token store
(the same --cache-dir, or --store redis://HOST:PORT/DB with the command of
the redisstore module) share one login.
`,
		setup: func(fs *flagSet) func(context.Context, *cli, []string) error {
			var f proxyFlags
			var af accountFlags
			fs.stringFlag(&f.listen, "listen", "", proxy.DefaultAddr, "listen on `ADDR`; port 0 picks a free port. Beyond loopback, it needs --inbound-token-file and TLS")
			fs.Int64Var(&f.maxReplay, "max-replay", proxy.DefaultMaxReplay, "keep request bodies of up to `BYTES` for the re-send after a re-login; a larger one streams, and its refusal goes back to the client as it came (0 keeps none)")
			fs.def("max-replay", "")
			fs.stringFlag(&f.inboundFile, "inbound-token-file", "", "", "require clients to send Proxy-Authorization: Bearer TOKEN, where TOKEN is the content of `FILE`, trimmed; other requests get 407")
			fs.stringFlag(&f.certFile, "tls-cert", "", "", "serve HTTPS with the PEM certificate (chain) in `FILE`; needs --tls-key")
			fs.stringFlag(&f.keyFile, "tls-key", "", "", "the PEM private key of --tls-cert, in `FILE`")
			fs.boolFlag(&f.passCookies, "pass-cookies", "", "pass the clients' Cookie and the API's Set-Cookie fields (removed by default: every client shares the account's session)")
			fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 10*time.Second, "on SIGINT or SIGTERM, wait this `DURATION` at most for the requests in flight")
			fs.def("shutdown-timeout", "")
			fs.boolFlag(&f.verbose, "verbose", "v", "log each request on stderr (method, path, status, duration, re-sent or not) and the library's debug log; never a credential")
			af.register(fs, secretAtHand)
			return func(ctx context.Context, c *cli, pos []string) error {
				return c.proxy(ctx, &f, &af, pos)
			}
		},
	})
}

func (c *cli) proxy(ctx context.Context, f *proxyFlags, af *accountFlags, pos []string) error {
	if len(pos) > 1 {
		return usagef("want one provider, got %d arguments", len(pos))
	}
	if f.maxReplay < 0 {
		return usagef("--max-replay %d: want a number of bytes, 0 or more", f.maxReplay)
	}
	if f.shutdownTimeout <= 0 {
		return usagef("--shutdown-timeout %v: want a positive duration", f.shutdownTimeout)
	}
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
	a, err := c.resolve(ctx, af, pos, secretAtHand)
	if err != nil {
		return err
	}
	defer a.closeStore()
	base := a.base()
	if base == "" {
		return usagef("%s: no base URL: set it with --base-url or the provider's variable", a.p.name)
	}

	// The library's warnings (a failed login, withheld credentials) always
	// reach stderr; -v adds its debug log and the access log.
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
	src := a.source(af, loginauth.Options{Logger: logger, LoginTimeout: af.timeout})
	maxReplay := f.maxReplay
	if maxReplay == 0 {
		maxReplay = -1 // proxy.Config's "keep none"; its 0 is the default
	}
	cfg := proxy.Config{
		Source:       src,
		BaseURL:      base,
		MaxReplay:    maxReplay,
		InboundToken: inbound,
		PassCookies:  f.passCookies,
	}
	if f.verbose {
		cfg.AccessLog = logger
	}
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
