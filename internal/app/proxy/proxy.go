package proxy

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/loginauth/loginauth"
)

// DefaultMaxReplay is the largest request body that a Proxy keeps for a
// re-send when [Config.MaxReplay] is zero: 1 MiB.
const DefaultMaxReplay = 1 << 20

// Config describes a Proxy. Source and BaseURL are required; every other
// zero value means a sensible default.
type Config struct {
	// Source gives the credentials and shares one login among all
	// clients. Required.
	Source *loginauth.Source

	// BaseURL is the API's base URL, such as "https://api.example.com/v1":
	// a request for /P?Q goes to BaseURL joined with /P?Q. Its origin must
	// be one of the Source's origins, or the Transport withholds the
	// credentials. Required.
	BaseURL string

	// Transport sends the requests under the [loginauth.Transport] that
	// adds the credentials. Nil means [NewTransport] with MaxIdleConns.
	Transport http.RoundTripper

	// MaxReplay is the largest request body, in bytes, that is kept so
	// that a refused request can be re-sent with it. A larger body
	// streams to the API and is not re-sent: its refusal goes back to the
	// client as it came. Zero means [DefaultMaxReplay]; a negative value
	// keeps no body.
	MaxReplay int64

	// InboundToken, if set, is the token that clients must send as
	// "Proxy-Authorization: Bearer <InboundToken>". Any other request,
	// for the proxy's own paths too, gets 407 Proxy Authentication
	// Required and reaches nothing. It is compared in constant time.
	InboundToken string

	// PassCookies passes the clients' Cookie fields to the API and the
	// API's Set-Cookie fields to the clients. By default both are
	// removed: every client shares the account, so its session cookies
	// must not be shared. Even with PassCookies, the cookies that carry
	// the Source's credentials ([loginauth.Source.CredentialCookies]) are
	// removed both ways.
	PassCookies bool

	// AccessLog, if set, gets one info record per request, with the
	// attributes "method", "path" (without the query, which may hold
	// secrets), "status", "duration" and "resent" (whether the request
	// was re-sent after a refusal). It never gets a credential.
	AccessLog *slog.Logger

	// HealthTimeout bounds the wait of [HealthPath] for a token. Zero
	// means [DefaultHealthTimeout].
	HealthTimeout time.Duration

	// AcceptHosts are the names, besides "localhost", "127.0.0.1" and
	// "[::1]", that a request's Host may have, compared without the port
	// and ignoring case. A request with any other Host, or none, gets 421
	// Misdirected Request and reaches nothing: a web page that a DNS
	// rebinding points at the proxy's address has its own name.
	AcceptHosts []string

	// AllowOrigins are the origins, such as "https://app.example.com",
	// whose web pages may use the proxy, compared exactly. A request
	// whose Origin is neither one of them nor the proxy's own, or whose
	// Sec-Fetch-Site is "cross-site" or "same-site" without an allowed
	// Origin, gets 403 and reaches nothing. "null" cannot be allowed.
	// The proxy answers the allowed origins' CORS preflights itself; the
	// API's Access-Control fields never reach any client.
	AllowOrigins []string

	// MaxBuffered bounds the bytes of request bodies held in memory for
	// re-sends, across all requests at once. Past it, a body streams to
	// the API without a re-send, as one larger than MaxReplay does. Zero
	// means [DefaultMaxBuffered].
	MaxBuffered int64

	// BodyTimeout bounds the reading of a body that is kept for a
	// re-send; past it, the client gets 408 Request Timeout and the API
	// nothing. Zero means [DefaultBodyTimeout].
	BodyTimeout time.Duration

	// StreamIdleTimeout bounds the wait for each byte of a body that
	// streams; past it, the request is cut. Zero means
	// [DefaultStreamIdleTimeout].
	StreamIdleTimeout time.Duration

	// MaxIdleConns is the size of the pool of idle connections to the API
	// of the transport that a Proxy makes when Transport is nil. Zero
	// means [DefaultMaxIdleConns].
	MaxIdleConns int

	// NoCredentials is what a client and the log are told when the Source
	// has no usable token and nothing to log in with
	// ([loginauth.ErrNoCredentials]), such as "run 'loginauth login
	// xano'". Empty means a generic sentence. The Source's own error,
	// which names library fields, is never shown then.
	NoCredentials string

	// Logger, if set, gets the proxy's warnings (refused requests, the
	// lack of credentials) and a record of each upgraded connection when
	// it ends. It never gets a credential.
	Logger *slog.Logger
}

// The defaults of the limits of [Config].
const (
	DefaultMaxBuffered       = 64 << 20
	DefaultBodyTimeout       = 30 * time.Second
	DefaultStreamIdleTimeout = 30 * time.Second
	DefaultMaxIdleConns      = 128
)

// NewTransport returns the transport that a Proxy sends with when
// [Config.Transport] is nil: a clone of [http.DefaultTransport], with its
// timeouts and HTTP/2, whose pool keeps maxIdle idle connections to the
// API (zero: [DefaultMaxIdleConns]) rather than the default's 2, so that
// concurrent clients do not open a connection per request.
func NewTransport(maxIdle int) *http.Transport {
	if maxIdle <= 0 {
		maxIdle = DefaultMaxIdleConns
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxIdle
	t.MaxIdleConnsPerHost = maxIdle
	return t
}

// Proxy is an [http.Handler] that forwards requests to a base URL with a
// Source's credentials; see the package documentation. Create it with
// [New]. It is safe for concurrent use.
type Proxy struct {
	cfg   Config
	base  *url.URL
	rp    *httputil.ReverseProxy
	strip []string // inbound fields removed before the Source's are added
	// askSource: the Source named no credential fields when New ran (its
	// Scheme is no HeaderNamer, and it had no token yet), so each request
	// asks it again.
	askSource  bool
	inboundSum [sha256.Size]byte
	guard      *browserGuard
	buf        budget
	stats      proxyCounters
	// noCredsWarned: the lack of credentials was logged, and no request
	// got a token since.
	noCredsWarned atomic.Bool
	// cookies and params name the Source's credential cookies and query
	// parameters, which clients never send nor get, even with PassCookies.
	cookies, params []string
}

var _ http.Handler = (*Proxy)(nil)

// New returns a Proxy for cfg, or an error when cfg lacks its Source,
// has no usable BaseURL, or has a value of AcceptHosts or AllowOrigins
// that is no host name or origin.
func New(cfg Config) (*Proxy, error) {
	if cfg.Source == nil {
		return nil, errors.New("proxy: Config.Source is nil")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which may hold a password
		}
		return nil, fmt.Errorf("proxy: BaseURL: %w", err)
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("proxy: BaseURL %q is not an absolute http or https URL", base.Redacted())
	}
	if base.User != nil || base.Fragment != "" {
		return nil, errors.New("proxy: BaseURL must have no user information and no fragment")
	}
	setDefaults(&cfg)
	guard, err := newBrowserGuard(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Transport == nil {
		cfg.Transport = NewTransport(cfg.MaxIdleConns)
	}
	p := &Proxy{cfg: cfg, base: base, guard: guard}
	p.buf.max = cfg.MaxBuffered
	names := cfg.Source.CredentialHeaders()
	p.askSource = len(names) == 0
	// Cookie: only the credential cookies, unless no cookie passes.
	p.strip = append([]string{"Authorization"}, slices.DeleteFunc(slices.Clone(names), isCookie)...)
	p.cookies, p.params = cfg.Source.CredentialCookies(), cfg.Source.CredentialParams()
	if !cfg.PassCookies {
		p.strip = append(p.strip, "Cookie")
	}
	if cfg.InboundToken != "" {
		p.inboundSum = sha256.Sum256([]byte(cfg.InboundToken))
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:   p.rewrite,
		Transport: loginauth.NewTransport(cfg.Source, countingTransport{cfg.Transport}),
		// The default 0 flushes server-sent events and bodies of unknown
		// length at each write, so that they reach the client as they
		// come. A slow answer of a known length is buffered by the
		// server, and flushed as its buffer fills.
		FlushInterval:  0,
		BufferPool:     buffers{},
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.errorHandler,
	}
	return p, nil
}

// setDefaults replaces the zero values of cfg's limits with defaults.
func setDefaults(cfg *Config) {
	switch {
	case cfg.MaxReplay == 0:
		cfg.MaxReplay = DefaultMaxReplay
	case cfg.MaxReplay < 0:
		cfg.MaxReplay = -1
	}
	if cfg.HealthTimeout <= 0 {
		cfg.HealthTimeout = DefaultHealthTimeout
	}
	if cfg.MaxBuffered <= 0 {
		cfg.MaxBuffered = DefaultMaxBuffered
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.StreamIdleTimeout <= 0 {
		cfg.StreamIdleTimeout = DefaultStreamIdleTimeout
	}
}

// ServeHTTP answers the proxy's own paths, refuses what must not be
// relayed, and forwards the rest to the base URL.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := p.startLog(w, r)
	if rec != nil {
		w, r = rec, rec.req
		defer rec.done()
	}
	if p.refuse(w, r) {
		return
	}
	if strings.HasPrefix(r.URL.Path, ownPrefix) {
		p.serveOwn(w, r)
		return
	}
	done, err := p.readBody(w, r)
	defer done()
	if err != nil {
		p.bodyError(w, err)
		return
	}
	if isUpgrade(r) {
		p.serveUpgrade(w, r)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// refuse answers, and reports true for, a request that must reach
// nothing: a forward-proxy request, one from a name or a web page that is
// not accepted, one without the inbound token, one whose path may leave
// the base path. It answers the allowed origins' CORS preflights too.
func (p *Proxy) refuse(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodConnect {
		w.Header().Set("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
		clientError(w, http.StatusMethodNotAllowed, "CONNECT is not relayed: this proxy forwards to one API only")
		return true
	}
	if r.URL.Scheme != "" || r.URL.Host != "" {
		clientError(w, http.StatusBadRequest, "absolute-form requests are not relayed: send the path, such as GET /P?Q, and it goes to the API's base URL")
		return true
	}
	ref, origin := p.guard.check(p, r)
	if ref != nil {
		ref.counter.Add(1)
		p.warn(r, "loginauth proxy: request refused: "+http.StatusText(ref.status), ref.attr)
		clientError(w, ref.status, ref.msg)
		return true
	}
	if origin != "" {
		setCORS(w.Header(), origin)
		if isPreflight(r) {
			preflight(w, r)
			return true
		}
	}
	if !p.inboundOK(r) {
		w.Header().Set("Proxy-Authenticate", `Bearer realm="loginauth"`)
		clientError(w, http.StatusProxyAuthRequired, "missing or wrong inbound token: send Proxy-Authorization: Bearer <token>")
		return true
	}
	if dotSegment(r.URL.EscapedPath()) {
		p.stats.refusedPath.Add(1)
		p.warn(r, "loginauth proxy: request refused: a dot-segment in the path", slog.String("path", r.URL.EscapedPath()))
		clientError(w, http.StatusBadRequest, "a path with a segment '.', '..' or '..;' (even percent-encoded) is refused: it could leave the base URL's path")
		return true
	}
	return false
}

// bodyError answers a request whose body could not be read.
func (p *Proxy) bodyError(w http.ResponseWriter, err error) {
	if errors.Is(err, errBodyTimeout) {
		p.stats.bodyTimeouts.Add(1)
		w.Header().Set("Connection", "close")
		clientError(w, http.StatusRequestTimeout, fmt.Sprintf("the request body did not arrive within %v", p.cfg.BodyTimeout))
		return
	}
	clientError(w, http.StatusBadRequest, "reading the request body: "+err.Error())
}

// warn logs a warning about r, with its method and path, to the Logger.
func (p *Proxy) warn(r *http.Request, msg string, attrs ...slog.Attr) {
	if p.cfg.Logger == nil {
		return
	}
	attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.Path))
	p.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, msg, attrs...)
}

// inboundOK reports whether r carries the inbound token, when one is
// required. Both sides are hashed first, so that the comparison takes the
// same time whatever the length of the token sent.
func (p *Proxy) inboundOK(r *http.Request) bool {
	if p.cfg.InboundToken == "" {
		return true
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Proxy-Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(sum[:], p.inboundSum[:]) == 1
}

// rewrite is the ReverseProxy's Rewrite hook. ReverseProxy has removed
// the hop-by-hop fields (Proxy-Authorization among them) and the
// X-Forwarded fields already.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(p.base) // also clears Out.Host, so that the Transport sees its own origin
	names := p.strip
	if p.askSource {
		names = append(names[:len(names):len(names)], p.cfg.Source.CredentialHeaders()...)
	}
	stripHeaders(pr.Out.Header, names)
	dropCredentials(pr.Out, p.cookies, p.params)
	// The Transport asks for gzip itself and decodes the answer, so that
	// a refusal that only the body tells (a JSON-RPC error with status
	// 200) is seen; a client's own Accept-Encoding could get an encoding
	// that the refusal checks cannot read (br, zstd).
	pr.Out.Header.Del("Accept-Encoding")
}

// stripHeaders removes the fields of h that are named in names, and those
// whose name equals one of names once "_" is read as "-", ignoring case:
// CGI-style back ends (PHP, Django, Rack) read X_Session as X-Session.
func stripHeaders(h http.Header, names []string) {
	for _, k := range names {
		h.Del(k)
	}
	for k := range h {
		if !strings.Contains(k, "_") {
			continue
		}
		dashed := strings.ReplaceAll(k, "_", "-")
		for _, name := range names {
			if strings.EqualFold(dashed, name) {
				delete(h, k)
				break
			}
		}
	}
}

// modifyResponse removes the API's CORS fields, its cookies unless they
// pass, and its credential cookies always.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	stripCORS(resp.Header)
	if !p.cfg.PassCookies {
		resp.Header.Del("Set-Cookie")
	} else if len(p.cookies) > 0 {
		dropSetCookies(resp.Header, p.cookies)
	}
	if p.noCredsWarned.Load() {
		p.noCredsWarned.Store(false) // a token again: warn at the next lack
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		if up, ok := resp.Request.Context().Value(upgradeKey{}).(*upgrade); ok {
			up.upgraded.Store(true)
		}
	}
	return nil
}

// errorHandler answers a request that got no response: 503 while the
// Source cannot get a token (with Retry-After during a backoff), 502 when
// the API could not be reached.
func (p *Proxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		// The client went away: nobody reads the answer.
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL may hold the client's query
	}
	var be *loginauth.BackoffError
	var le *loginauth.LoginError
	switch {
	case errors.Is(err, loginauth.ErrNoCredentials):
		p.warnNoCredentials(r)
		clientError(w, http.StatusServiceUnavailable, "no credentials: "+p.noCredentials())
	case errors.As(err, &be):
		if d := time.Until(be.Until); d > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(d.Seconds())+1))
		}
		clientError(w, http.StatusServiceUnavailable, "no credentials: "+err.Error())
	case errors.As(err, &le):
		clientError(w, http.StatusServiceUnavailable, "no credentials: "+err.Error())
	default:
		clientError(w, http.StatusBadGateway, "the API could not be reached: "+err.Error())
	}
}

// DefaultNoCredentials is what a client is told without
// [Config.NoCredentials].
const DefaultNoCredentials = "the API refused the stored token or there is none, and there is no password or secret at hand to log in again: log in again, or start the proxy with the password at hand"

func (p *Proxy) noCredentials() string {
	if p.cfg.NoCredentials != "" {
		return p.cfg.NoCredentials
	}
	return DefaultNoCredentials
}

// warnNoCredentials logs the lack of credentials, once until a request
// is answered by the API again.
func (p *Proxy) warnNoCredentials(r *http.Request) {
	if p.noCredsWarned.CompareAndSwap(false, true) {
		p.warn(r, "loginauth proxy: no credentials: "+p.noCredentials())
	}
}

// clientError answers status with a one-line plain-text body.
func clientError(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, "loginauth proxy: %s\n", msg)
}
