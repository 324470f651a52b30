package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/loginauth/loginauth"
)

const callUsage = `Usage: loginauth call <provider> [METHOD] <path-or-URL> [flags]

Make one authenticated request to the API of <provider> (mic, xano, crux or
xpay) and print the response body on stdout. A path is joined to the
provider's base URL; a full URL is used as it is (credentials go only to
the provider's own origin). METHOD is GET, or POST with -d.

The token comes from the token cache; the command logs in only when the
cache has none, or the API refuses it. The exit status is 1 when the
response status is 400 or more, as with curl --fail (the body is printed
anyway).

  loginauth call mic /users/alice
  loginauth call xpay POST /client/bills/save -d '{"amount":"1000000"}'
  loginauth call -v crux /timp/organizations/permissions/

Flags:
  -d, --data BODY        send BODY; @FILE sends the file, @- reads stdin.
                         Content-Type is JSON unless -H sets one
  -H, --header 'K: V'    add a request header (repeatable)
  -v, --verbose          show the request and response headers on stderr,
                         credentials redacted, and the library's debug log

` + accountHelp

// methodRE matches an HTTP method.
var methodRE = regexp.MustCompile(`^[A-Z]+$`)

func (c *cli) call(ctx context.Context, args []string) error {
	fs := newFlags("call")
	var af accountFlags
	af.register(fs, true)
	var data string
	var headers stringList
	var verbose bool
	fs.StringVar(&data, "d", "", "")
	fs.StringVar(&data, "data", "", "")
	fs.Var(&headers, "H", "")
	fs.Var(&headers, "header", "")
	fs.BoolVar(&verbose, "v", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	pos, err := c.parse(fs, callUsage, args)
	if err != nil {
		return err
	}
	hasData := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "d" || f.Name == "data" {
			hasData = true
		}
	})
	var method, target string
	switch len(pos) {
	case 2:
		target = pos[1]
	case 3:
		method, target = pos[1], pos[2]
		if !methodRE.MatchString(method) {
			return usagef("%q is not an HTTP method such as GET or POST", method)
		}
	default:
		if len(pos) == 0 {
			return usagef("want a provider and a path or URL")
		}
		if _, err := lookupProvider(pos[0]); err != nil {
			return err
		}
		return usagef("want a provider, an optional method and a path or URL, got %d arguments", len(pos))
	}
	p, err := lookupProvider(pos[0])
	if err != nil {
		return err
	}
	if method == "" {
		method = http.MethodGet
		if hasData {
			method = http.MethodPost
		}
	}
	hdr := make(http.Header)
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			// Not the header itself: it may hold a credential.
			return usagef("-H: want 'Name: value', with a colon after the name")
		}
		hdr.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	var body []byte
	if hasData {
		if body, err = c.readData(data); err != nil {
			return err
		}
	}
	a, err := c.account(ctx, p, &af, true)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, af.timeout)
	defer cancel()
	u, err := resolve(a.base, target)
	if err != nil {
		return err
	}

	opts := loginauth.Options{Store: c.cacheStore(&af)}
	var base http.RoundTripper = http.DefaultTransport
	if verbose {
		opts.Logger = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{
			Level: slog.LevelDebug,
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.Attr{} // as curl -v, no times
				}
				return a
			},
		}))
		base = &verboseTransport{base: base, w: c.stderr}
	}
	src := p.newSource(a, opts)
	client := &http.Client{Transport: loginauth.NewTransport(src, base)}

	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return usagef("%v", err)
	}
	if !hasData {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	req.Header = hdr
	if hasData && hdr.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", p.contentType)
	}
	if hdr.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	setUserAgent(req.Header)

	resp, err := client.Do(req)
	if err != nil {
		// A failed login says what it tried; the request it was for adds
		// nothing.
		var ue *url.Error
		var le *loginauth.LoginError
		if errors.As(err, &ue) && errors.As(ue.Err, &le) {
			err = ue.Err
		}
		return explain(p, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(c.stdout, resp.Body); err != nil {
		return fmt.Errorf("reading the response: %w", err)
	}
	if resp.StatusCode >= 400 {
		return fmt.Errorf("%s %s: HTTP %s", method, redactURL(u), resp.Status)
	}
	return nil
}

// readData returns the body that -d gives: the text itself, the content
// of @FILE, or stdin for @-.
func (c *cli) readData(data string) ([]byte, error) {
	name, ok := strings.CutPrefix(data, "@")
	switch {
	case !ok:
		return []byte(data), nil
	case name == "-":
		return io.ReadAll(c.stdin)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, usagef("-d: %v", err)
	}
	return b, nil
}

// resolve returns target as a URL: a full http or https URL as it is, a
// path joined to base.
func resolve(base, target string) (string, error) {
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
	u := trim(base) + "/" + strings.TrimPrefix(target, "/")
	if _, err := url.Parse(u); err != nil {
		return "", usagef("%q does not make a valid URL with the base URL", target)
	}
	return u, nil
}

// secretHeaders are the fields whose values -v never prints.
var secretHeaders = []string{"Authorization", "Proxy-Authorization", "X-Api-Key", "Identityid", "Cookie", "Set-Cookie"}

// redacted replaces a secret value in -v output.
const redacted = "[redacted]"

// verboseTransport writes each request it sends, as the Transport of the
// library made it, and each response, as curl -v does: headers only, the
// values of credentials redacted.
type verboseTransport struct {
	base http.RoundTripper
	mu   sync.Mutex // serialises writes to w
	w    io.Writer
}

// RoundTrip writes req, sends it, and writes the response's status and
// header.
func (t *verboseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s %s\n", req.Method, req.URL.RequestURI(), "HTTP/1.1")
	fmt.Fprintf(&b, "> Host: %s\n", req.URL.Host)
	writeHeader(&b, "> ", req.Header)
	b.WriteString(">\n")
	t.write(b.String())

	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b.Reset()
	fmt.Fprintf(&b, "< %s %s\n", resp.Proto, resp.Status)
	writeHeader(&b, "< ", resp.Header)
	b.WriteString("<\n")
	t.write(b.String())
	return resp, nil
}

func (t *verboseTransport) write(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.w, s)
}

// writeHeader writes h sorted by name, with the values of secretHeaders
// redacted.
func writeHeader(b *strings.Builder, prefix string, h http.Header) {
	for _, k := range slices.Sorted(maps.Keys(h)) {
		secret := slices.ContainsFunc(secretHeaders, func(s string) bool { return strings.EqualFold(s, k) })
		for _, v := range h[k] {
			if secret {
				v = redacted
			}
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, v)
		}
	}
}
