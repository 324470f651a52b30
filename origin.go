package loginauth

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/loginauth/loginauth/internal/hostname"
)

// origin is a scheme, host and port that credentials belong to.
type origin struct {
	scheme string // "http" or "https"
	host   string // lower case, without brackets
	port   string // explicit, or the scheme's default
	plain  string // the URL.Host that names it as http.NewRequest writes it: bracketed, without a default port
}

func (o origin) String() string {
	return o.scheme + "://" + net.JoinHostPort(o.host, o.port)
}

// parseOrigins parses the configured origins and checks that none sends
// credentials in clear text to a host that is not loopback.
func parseOrigins(name string, raw []string, allowHTTP bool) ([]origin, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: Config.Origins is required", name)
	}
	out := make([]origin, 0, len(raw))
	for _, r := range raw {
		u, err := url.Parse(r)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("%s: origin %q is not an absolute http or https URL", name, r)
		}
		o := origin{scheme: u.Scheme, host: strings.ToLower(u.Hostname()), port: portOf(u)}
		o.plain = plainHost(o)
		if o.scheme == "http" && !allowHTTP && !hostname.IsLoopback(o.host) {
			return nil, fmt.Errorf("%s: origin %s is plain http on a host that is not loopback; credentials would travel in clear text (allow it explicitly with AllowHTTP)", name, o)
		}
		out = append(out, o)
	}
	return out, nil
}

// plainHost is the URL.Host of o as a request for it usually carries it:
// the host in lower case, bracketed if it is an IPv6 address, and its port
// only when it is not the scheme's default.
func plainHost(o origin) string {
	if o.port != defaultPort(o.scheme) {
		return net.JoinHostPort(o.host, o.port)
	}
	if strings.Contains(o.host, ":") {
		return "[" + o.host + "]"
	}
	return o.host
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return defaultPort(u.Scheme)
}

// defaultPort is the port of a URL of the scheme, http or https, that
// names none.
func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// owns reports whether a request for u whose Host field is host (empty:
// the host of u) is at one of the origins. It allocates nothing.
func (s *Source) owns(u *url.URL, host string) bool {
	if u == nil || (host != "" && !sameHost(u, host)) {
		return false
	}
	for _, o := range s.origins {
		if u.Host == o.plain && u.Scheme == o.scheme {
			return true // the common case, without parsing the host
		}
	}
	host, port := u.Hostname(), u.Port()
	for _, o := range s.origins {
		if u.Scheme != o.scheme || !strings.EqualFold(host, o.host) {
			continue
		}
		if port == o.port || (port == "" && o.port == defaultPort(o.scheme)) {
			return true
		}
	}
	return false
}

// sameHost reports whether the Host field host names the host and port of
// u: ignoring case, and taking an absent port as the scheme's default.
func sameHost(u *url.URL, host string) bool {
	if host == u.Host {
		return true // the common case: http.NewRequest set it from the URL
	}
	h := url.URL{Scheme: u.Scheme, Host: host}
	return strings.EqualFold(h.Hostname(), u.Hostname()) && portOf(&h) == portOf(u)
}

// Owns reports whether a [Transport] of s puts the credentials on req:
// whether req's URL is at one of the Source's origins (scheme, host and
// port) and its Host field, if set, names the same host and port. A
// command can so tell its user, before sending, whether a request goes
// with credentials or without them.
func (s *Source) Owns(req *http.Request) bool {
	return req != nil && s.owns(req.URL, req.Host)
}
