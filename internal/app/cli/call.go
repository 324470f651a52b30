package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/redact"
)

// callFlags are the curl-like flags of call.
type callFlags struct {
	method, json, output, writeOut string
	data, dataURLEncode, headers   stringList
	include, silent, location      bool
	verbose, fail, showError       bool
	head, get, compressed          bool
}

const callHelp = `Make one authenticated request to the API of PROVIDER and print the
response body on stdout. A path is joined to the base URL; a full URL is
used as it is, and gets the credentials only at their origins: the base
URL's, and a description's origins.
METHOD (or -X) is GET, or POST with -d or --json.

The token comes from the token cache; the command logs in only when the
cache has none that is usable, or the API refuses it, and only with a
password at hand. The exit status is 1 when the call failed: a status of
400 or more, or an error envelope in a 200 (xpay). The body is printed
anyway, as 'gh api' does; with -f (--fail), as curl's, it is not, and the
exit status is 22.

The flags are curl's, and combine as curl's do: -sSL, -fsSL, -XPOST,
-d@file. -o is curl's output FILE here; in the other commands -o is an
output format (-o json). Refused: -k (--insecure), since the credentials
would go over TLS that nobody verified, and -u (--user), since the
command authenticates with the account's token: log in with 'loginauth
login'. Other curl flags are not supported; the list is below. HTTPie's
name=value items are not supported either: send JSON with --json.

  loginauth call xano /auth/me
  loginauth call xpay POST /client/bills/save --json '{"amount":"1000000"}'
  loginauth call -v crux /timp/organizations/permissions/
`

// callOptions are the command line of call.
type callOptions struct {
	curl     callFlags
	account  accountFlags
	provider []string    // the provider name; none with --spec
	method   string      // the request's method: METHOD, -X or ""
	target   string      // the request's PATH-or-URL
	header   http.Header // the fields of -H
	hasJSON  bool        // --json was given
}

func (o *callOptions) flags(fs *flagSet) {
	fs.stringFlag(&o.curl.method, "request", "X", "", "the request `METHOD`, such as PUT")
	fs.varFlag(&o.curl.headers, "header", "H", "add the request header `'NAME: VALUE'` (repeatable); one that carries the credentials is replaced, with a warning")
	fs.varFlag(&o.curl.data, "data", "d", "send `BODY`; @FILE sends the file, @- reads stdin (after the line of --password-stdin). Repeated, the bodies join with &. Content-Type is the provider's JSON unless -H sets one")
	fs.varFlag(&o.curl.dataURLEncode, "data-urlencode", "", "send `DATA` percent-encoded, as curl: CONTENT, NAME=CONTENT, @FILE or NAME@FILE (repeatable; joins -d with &)")
	fs.boolFlag(&o.curl.get, "get", "G", "send the data of -d and --data-urlencode in the URL's query, with GET")
	fs.stringFlag(&o.curl.json, "json", "", "", "send the JSON `BODY` (@FILE, @- as with -d) with Content-Type and Accept application/json")
	fs.boolFlag(&o.curl.include, "include", "i", "print the response status and headers before the body (credentials redacted)")
	fs.boolFlag(&o.curl.head, "head", "I", "send HEAD and print the response status and headers")
	fs.boolFlag(&o.curl.fail, "fail", "f", "on an HTTP status of 400 or more, print no body and exit 22, as curl")
	fs.boolFlag(&o.curl.silent, "silent", "s", "print no warnings or notes on stderr, nor the error of -f; other errors still print")
	fs.boolFlag(&o.curl.showError, "show-error", "S", "with -s, print the error of -f all the same")
	fs.stringFlag(&o.curl.writeOut, "write-out", "w", "", "after the body, print `FORMAT` on stdout with %{http_code}, %{content_type}, %{method}, %{size_download}, %{url_effective}, %{num_redirects} filled in, and \\n as a newline")
	fs.boolFlag(&o.curl.compressed, "compressed", "", "accept a compressed answer and decode it (always done: the command asks for gzip)")
	fs.stringFlag(&o.curl.output, "output", "o", "", "write the body to `FILE` in place of stdout, as curl does")
	fs.boolFlag(&o.curl.location, "location", "L", "follow redirects (off by default, as in curl); credentials never follow to another origin")
	fs.boolFlag(&o.curl.verbose, "verbose", "v", "show the request and response headers on stderr, credentials redacted, and the library's debug log")
	o.account.register(fs, secretAtHand)
	fs.refuse("the credentials would go over TLS that nobody verified; trust the API's certificate authority in the system's store instead", "k", "insecure")
	fs.refuse("the command authenticates with the account's token: run 'loginauth login PROVIDER' once, then call", "u", "user")
	fs.unknownHint = "call has the curl flags listed in 'loginauth call -h'"
}

func (o *callOptions) parsed(fs *flagSet, pos []string) error {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	f := &o.curl
	hasData := len(f.data) > 0 || len(f.dataURLEncode) > 0
	o.hasJSON = given["json"]
	if hasData && o.hasJSON {
		return usagef("-d and --json: give one")
	}
	if err := checkWriteOut(f.writeOut); err != nil {
		return err
	}
	var err error
	if o.method, o.target, err = callTarget(o.account.spec != "", pos, f.method); err != nil {
		return err
	}
	if o.header, err = headerFlags(f.headers); err != nil {
		return err
	}
	o.provider = pos[:0:0]
	if o.account.spec == "" {
		o.provider = pos[:1]
	}
	return nil
}

func (o *callOptions) run(ctx context.Context, c *cli) error { return c.call(ctx, *o) }

// methodRE matches an HTTP method.
var methodRE = regexp.MustCompile(`^[A-Z]+$`)

// call makes the request of o with the account's credentials, and writes
// the response.
func (c *cli) call(ctx context.Context, o callOptions) error {
	f, af, hdr, method := &o.curl, &o.account, o.header, o.method
	c.quiet = f.silent
	// The account first: --password-stdin takes the first line of stdin,
	// and -d @- the rest.
	a, err := c.resolve(ctx, af, o.provider, secretAtHand)
	if err != nil {
		return err
	}
	defer a.closeStore()
	body, err := c.callBody(f, hdr, o.hasJSON)
	if err != nil {
		return err
	}
	u, err := resolveURL(a.base(), o.target)
	if err != nil {
		return err
	}
	if method, u, body, err = curlMethod(f, method, u, body); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, af.timeout)
	defer cancel()
	return c.send(ctx, a, o, method, u, body)
}

// send sends the request of call, and writes the response.
func (c *cli) send(ctx context.Context, a *account, o callOptions, method, u string, body []byte) error {
	f := &o.curl
	opts := loginauth.Options{}
	var base http.RoundTripper = http.DefaultTransport
	if f.verbose {
		opts.Logger = verboseLogger(c.stderr)
	}
	src := a.source(&o.account, opts)
	scrub := &headerScrub{src: src, a: a}
	if f.verbose {
		base = &verboseTransport{base: base, w: c.stderr, scrub: scrub, params: src.CredentialParams()}
	}
	client := &http.Client{Transport: loginauth.NewTransport(src, base)}
	redirects := 0
	client.CheckRedirect = redirectPolicy(f.location, &redirects)
	req, err := newCallRequest(ctx, a, method, u, body, o.header)
	if err != nil {
		return err
	}
	c.warnCredentials(src, req, a)

	resp, err := client.Do(req)
	if err != nil {
		// A failed login says what it tried; the request it was for adds
		// nothing.
		var ue *url.Error
		if errors.As(err, &ue) && ue.Err != nil {
			err = ue.Err
		}
		return explain(a, err)
	}
	defer resp.Body.Close()
	return c.writeResponse(a, f, method, u, resp, scrub, redirects)
}

// headerFlags are the header fields of the -H flags.
func headerFlags(list []string) (http.Header, error) {
	hdr := make(http.Header)
	for _, h := range list {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			// Not the header itself: it may hold a credential.
			return nil, usagef("-H: want 'Name: value', with a colon after the name")
		}
		hdr.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return hdr, nil
}

// redirectPolicy follows no redirect, as curl without -L, or up to 10,
// counting them in n for -w's %{num_redirects}.
func redirectPolicy(follow bool, n *int) func(*http.Request, []*http.Request) error {
	return func(_ *http.Request, via []*http.Request) error {
		switch {
		case !follow:
			return http.ErrUseLastResponse
		case len(via) >= 10:
			return errors.New("stopped after 10 redirects")
		}
		*n = len(via)
		return nil
	}
}

// verboseLogger is the library's debug log of -v, on w: no times, as
// curl -v has none, and no backoff records.
func verboseLogger(w io.Writer) *slog.Logger {
	return slog.New(dropBackoff{slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})})
}

// newCallRequest is the request of call, with the header fields of the
// flags, and the provider's Content-Type, JSON's Accept and the
// command's User-Agent where the flags set none.
func newCallRequest(ctx context.Context, a *account, method, u string, body []byte, hdr http.Header) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, usagef("%v", err)
	}
	if body == nil {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	req.Header = hdr
	if body != nil && hdr.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", cmp.Or(a.p.contentType, "application/json"))
	}
	if hdr.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if hdr.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", userAgent)
	}
	return req, nil
}

// warnCredentials warns, by the Transport's own decision (Source.Owns),
// not a guess from the base URL, that req goes without credentials, or
// that the credentials replace a field of the user's -H.
func (c *cli) warnCredentials(src *loginauth.Source, req *http.Request, a *account) {
	if !src.Owns(req) {
		c.warnf("%s is not at an origin of %s's credentials (the base URL %s, or the description's origins): it goes without credentials", redactURL(req.URL.String()), a.p.name, redactURL(a.base()))
		return
	}
	for _, k := range src.CredentialHeaders() {
		if req.Header.Get(k) != "" && k != "Cookie" { // only the credential cookies are replaced: below
			c.warnf("your -H %s is replaced by the credentials of %s", k, a.who())
		}
	}
	for _, k := range replacedSession(src, req.Header, req.URL) {
		c.warnf("your %s is replaced by the credentials of %s", k, a.who())
	}
}

// writeResponse writes the response as the flags ask, and returns an
// error when the call failed.
func (c *cli) writeResponse(a *account, f *callFlags, method, u string, resp *http.Response, scrub *headerScrub, redirects int) error {
	out := c.stdout
	if f.output != "" && f.output != "-" {
		file, err := os.Create(f.output)
		if err != nil {
			return usagef("-o: %v", err)
		}
		defer file.Close()
		out = file
	}
	if f.include || f.head {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s\n", resp.Proto, resp.Status)
		writeHeader(&b, "", resp.Header, scrub.names())
		b.WriteString("\n")
		io.WriteString(out, scrub.secrets().String(b.String()))
	}
	const keep = 1 << 20 // of the body, for the error envelope and the pretty print
	var head bytes.Buffer
	pretty := out == c.stdout && isTerminalWriter(out) && isJSON(resp.Header.Get("Content-Type"))
	var err error
	failed := resp.StatusCode >= 400 && f.fail
	var size int64
	switch {
	case failed || f.head:
		size, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 16<<20)) // no body, as curl -f and -I
	case pretty:
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		head.Write(b)
		var ind bytes.Buffer
		if json.Indent(&ind, b, "", "  ") == nil {
			ind.WriteByte('\n')
			b = ind.Bytes()
		}
		size = int64(len(head.Bytes()))
		_, err = out.Write(b)
		if err == nil {
			err = rerr
		}
	default:
		size, err = io.Copy(out, io.TeeReader(resp.Body, &limitedBuffer{buf: &head, n: keep}))
	}
	if err != nil {
		return fmt.Errorf("reading the response: %w", err)
	}
	if f.writeOut != "" {
		io.WriteString(c.stdout, writeOut(f.writeOut, resp, method, size, redirects))
	}
	if failed {
		return &exitError{code: exitHTTP, silent: f.silent && !f.showError, err: fmt.Errorf("%s %s: HTTP %s", method, redactURL(u), resp.Status)}
	}
	if resp.StatusCode >= 400 {
		return fmt.Errorf("%s %s: HTTP %s", method, redactURL(u), resp.Status)
	}
	if a.p.failed != nil && a.p.failed(resp.StatusCode, head.Bytes()) {
		return fmt.Errorf("%s %s: HTTP %s with an error in the body", method, redactURL(u), resp.Status)
	}
	return nil
}

// limitedBuffer keeps the first n bytes written to it.
type limitedBuffer struct {
	buf *bytes.Buffer
	n   int
}

// Write keeps what fits, and reports all of p written.
func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.n - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// isTerminalWriter reports whether w is a terminal.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f.Fd())
}

// isJSON reports whether the media type ct is JSON.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// readData returns the body that -d or --json gives: the text itself, the
// content of @FILE, or the rest of stdin for @-.
func (c *cli) readData(flagName, data string) ([]byte, error) {
	name, ok := strings.CutPrefix(data, "@")
	switch {
	case !ok:
		return []byte(data), nil
	case name == "-":
		return io.ReadAll(c.stdin)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, usagef("%s: %v", flagName, err)
	}
	return b, nil
}

// resolveURL returns target as a URL: a full http or https URL as it is,
// a path joined to base.
func resolveURL(base, target string) (string, error) {
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		u, err := url.Parse(target)
		if err != nil || u.Host == "" {
			return "", usagef("%q is not a valid URL", redactURL(target))
		}
		return target, nil
	}
	if strings.Contains(target, "://") {
		return "", usagef("%q: only http and https URLs are supported", redactURL(target))
	}
	u := strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(target, "/")
	if _, err := url.Parse(u); err != nil {
		return "", usagef("%q does not make a valid URL with the base URL", target)
	}
	return u, nil
}

// userAgent is sent on the requests of the call command.
const userAgent = "loginauth-cli (+https://github.com/loginauth/loginauth)"

// dropBackoff leaves out the library's "login backoff" records, which
// say when the next login may start: a command that exits at once has
// none.
type dropBackoff struct{ slog.Handler }

// Handle drops the backoff records.
func (h dropBackoff) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasSuffix(r.Message, "login backoff") {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps dropping them.
func (h dropBackoff) WithAttrs(as []slog.Attr) slog.Handler {
	return dropBackoff{h.Handler.WithAttrs(as)}
}

// WithGroup keeps dropping them.
func (h dropBackoff) WithGroup(name string) slog.Handler {
	return dropBackoff{h.Handler.WithGroup(name)}
}

// secretHeaders are the fields whose values -v and -i never print,
// besides the Source's [loginauth.Source.CredentialHeaders].
var secretHeaders = []string{"Authorization", "Proxy-Authorization", "X-Api-Key", "Identityid", "Cookie", "Set-Cookie", "X-Xano-Authorization"}

// verboseTransport writes each request it sends, as the Transport of the
// library made it, and each response, as curl -v does: headers only, the
// values of credentials redacted.
type verboseTransport struct {
	base   http.RoundTripper
	mu     sync.Mutex // serialises writes to w
	w      io.Writer
	scrub  *headerScrub
	params []string // query parameters of credentials, whose values are redacted
}

// RoundTrip writes req, sends it, and writes the response's status and
// header.
func (t *verboseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s %s\n", req.Method, redactParams(req.URL, t.params).RequestURI(), "HTTP/1.1")
	fmt.Fprintf(&b, "> Host: %s\n", req.URL.Host)
	writeHeader(&b, "> ", req.Header, t.scrub.names())
	b.WriteString(">\n")
	t.write(t.scrub.secrets().String(b.String()))

	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b.Reset()
	fmt.Fprintf(&b, "< %s %s\n", resp.Proto, resp.Status)
	writeHeader(&b, "< ", resp.Header, t.scrub.names())
	b.WriteString("<\n")
	t.write(t.scrub.secrets().String(b.String()))
	return resp, nil
}

func (t *verboseTransport) write(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.w, s)
}

// writeHeader writes h sorted by name, with the values of the fields
// named in secret redacted.
func writeHeader(b *strings.Builder, prefix string, h http.Header, secret []string) {
	for _, k := range slices.Sorted(maps.Keys(h)) {
		secret := slices.ContainsFunc(secret, func(s string) bool { return strings.EqualFold(s, k) })
		for _, v := range h[k] {
			if secret {
				v = redact.Redacted
			}
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, v)
		}
	}
}

// replacedSession names the cookies of hdr and the query parameters of
// the URL u that the session of src replaces, such as "cookie SID" and
// "parameter _sid".
// replacedSession names the cookies of hdr and the query parameters of u
// that the credentials of src replace.
func replacedSession(src *loginauth.Source, hdr http.Header, u *url.URL) []string {
	var out []string
	for _, line := range hdr.Values("Cookie") {
		cs, _ := http.ParseCookie(line)
		for _, ck := range cs {
			if slices.Contains(src.CredentialCookies(), ck.Name) {
				out = append(out, "cookie "+ck.Name)
			}
		}
	}
	q := u.Query()
	for _, k := range src.CredentialParams() {
		if q.Has(k) {
			out = append(out, "parameter "+k)
		}
	}
	return out
}

// redactParams returns u, or a copy of it with the values of params
// redacted.
func redactParams(u *url.URL, params []string) *url.URL {
	q := u.Query()
	found := false
	for _, k := range params {
		if q.Has(k) {
			q.Set(k, redact.Redacted)
			found = true
		}
	}
	if !found {
		return u
	}
	c := *u
	c.RawQuery = q.Encode()
	return &c
}

// headerScrub is what -v and -i keep out of the headers they print: the
// values of the credential fields, by name, and the token, refresh token
// and secret variables wherever they appear, in the forms the library
// scrubs (see [redact.Secrets]).
type headerScrub struct {
	src  *loginauth.Source
	a    *account
	mu   sync.Mutex
	seen []string // every token and refresh token cached so far
}

// names are the fields whose values are never printed.
func (s *headerScrub) names() []string {
	return append(slices.Clone(secretHeaders), s.src.CredentialHeaders()...)
}

// secrets are the values never printed: the secret variables, and the
// tokens and refresh tokens the Source has cached, a refused one too.
func (s *headerScrub) secrets() *redact.Secrets {
	s.mu.Lock()
	defer s.mu.Unlock()
	var vals []string
	for _, v := range s.a.p.vars {
		if v.secret {
			vals = append(vals, s.a.vals[v.name])
		}
	}
	// A done context: the cached token, never a login.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if tok, err := s.src.TokenContext(ctx); err == nil {
		if !slices.Contains(s.seen, tok.AccessToken) {
			s.seen = append(s.seen, tok.AccessToken, tok.RefreshToken)
		}
	}
	return redact.NewSecrets(append(slices.Clip(s.seen), vals...)...)
}
