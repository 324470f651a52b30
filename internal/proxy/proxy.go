package proxy

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
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
	// adds the credentials. Nil means [http.DefaultTransport].
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
	// cookies and params name the Source's credential cookies and query
	// parameters, which clients never send nor get, even with PassCookies.
	cookies, params []string
}

var _ http.Handler = (*Proxy)(nil)

// New returns a Proxy for cfg, or an error when cfg lacks its Source or
// has no usable BaseURL.
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
	switch {
	case cfg.MaxReplay == 0:
		cfg.MaxReplay = DefaultMaxReplay
	case cfg.MaxReplay < 0:
		cfg.MaxReplay = -1
	}
	if cfg.HealthTimeout <= 0 {
		cfg.HealthTimeout = DefaultHealthTimeout
	}
	p := &Proxy{cfg: cfg, base: base}
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
		// Flush every write: server-sent events, chunked bodies and
		// slow answers of a known length reach the client as they come.
		FlushInterval:  -1,
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.errorHandler,
	}
	return p, nil
}

// ServeHTTP answers the proxy's own paths, refuses what must not be
// relayed, and forwards the rest to the base URL.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := p.startLog(w, r)
	if rec != nil {
		w, r = rec, rec.req
		defer rec.done()
	}
	if !p.inboundOK(r) {
		w.Header().Set("Proxy-Authenticate", `Bearer realm="loginauth"`)
		clientError(w, http.StatusProxyAuthRequired, "missing or wrong inbound token: send Proxy-Authorization: Bearer <token>")
		return
	}
	if r.Method == http.MethodConnect {
		w.Header().Set("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
		clientError(w, http.StatusMethodNotAllowed, "CONNECT is not relayed: this proxy forwards to one API only")
		return
	}
	if r.URL.Scheme != "" || r.URL.Host != "" {
		clientError(w, http.StatusBadRequest, "absolute-form requests are not relayed: send the path, such as GET /P?Q, and it goes to the API's base URL")
		return
	}
	if strings.HasPrefix(r.URL.Path, ownPrefix) {
		p.serveOwn(w, r)
		return
	}
	p.rp.ServeHTTP(w, r)
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
	for _, k := range p.strip {
		pr.Out.Header.Del(k)
	}
	if p.askSource {
		for _, k := range p.cfg.Source.CredentialHeaders() {
			pr.Out.Header.Del(k)
		}
	}
	dropCredentials(pr.Out, p.cookies, p.params)
	// The Transport asks for gzip itself and decodes the answer, so that
	// a refusal that only the body tells (a JSON-RPC error with status
	// 200) is seen; a client's own Accept-Encoding would hand it the
	// compressed bytes.
	pr.Out.Header.Del("Accept-Encoding")
	p.keepBody(pr.Out)
}

// keepBody reads a body of at most MaxReplay bytes into memory and gives
// the request a GetBody, so that the Transport can re-send it. A larger
// body, and a body of unknown length that turns out larger, streams.
func (p *Proxy) keepBody(out *http.Request) {
	if out.Body == nil || out.Body == http.NoBody || p.cfg.MaxReplay < 0 || out.ContentLength > p.cfg.MaxReplay {
		return
	}
	body := out.Body
	buf, err := io.ReadAll(io.LimitReader(body, p.cfg.MaxReplay+1))
	if err != nil {
		out.Body = errBody{fmt.Errorf("proxy: reading the request body: %w", err), body}
		return
	}
	if int64(len(buf)) > p.cfg.MaxReplay {
		// Longer than announced (no Content-Length): stream what was read
		// and the rest, without a re-send.
		out.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), body), body}
		return
	}
	body.Close()
	out.ContentLength = int64(len(buf))
	out.TransferEncoding = nil
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
	out.Body, _ = out.GetBody()
}

// errBody fails the request's send with the error of reading the client's
// body.
type errBody struct {
	err error
	io.Closer
}

func (b errBody) Read([]byte) (int, error) { return 0, b.err }

// modifyResponse removes the API's cookies unless they pass, and its
// credential cookies always.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	if !p.cfg.PassCookies {
		resp.Header.Del("Set-Cookie")
	} else if len(p.cookies) > 0 {
		dropSetCookies(resp.Header, p.cookies)
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

// clientError answers status with a one-line plain-text body.
func clientError(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, "loginauth proxy: %s\n", msg)
}
