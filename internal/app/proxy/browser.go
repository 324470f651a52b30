package proxy

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The names that a proxy always accepts in a request's Host, whatever its
// port: see [Config.AcceptHosts].
var loopbackNames = []string{"localhost", "127.0.0.1", "[::1]"}

// corsMaxAge is the Access-Control-Max-Age of the proxy's answers to
// preflights, in seconds.
const corsMaxAge = "600"

// browserGuard decides which requests a browser may send through the
// proxy: by their Host, against DNS rebinding, and by their Origin and
// Sec-Fetch-Site, against the pages the user visits.
type browserGuard struct {
	hosts   map[string]bool // accepted names of a Host, lower case, IPv6 in brackets
	origins map[string]bool // origins allowed besides the proxy's own
}

// newBrowserGuard returns the guard of cfg, or an error naming a value of
// AcceptHosts or AllowOrigins that can never match.
func newBrowserGuard(cfg Config) (*browserGuard, error) {
	g := &browserGuard{hosts: map[string]bool{}, origins: map[string]bool{}}
	for _, h := range append(loopbackNames[:len(loopbackNames):len(loopbackNames)], cfg.AcceptHosts...) {
		name := hostName(h)
		if name == "" || strings.ContainsAny(name, "/:@ ") && !strings.HasPrefix(name, "[") {
			return nil, fmt.Errorf("proxy: accepted host %q is not a host name or IP address", h)
		}
		g.hosts[name] = true
	}
	for _, o := range cfg.AllowOrigins {
		if err := CheckOrigin(o); err != nil {
			return nil, err
		}
		g.origins[o] = true
	}
	return g, nil
}

// CheckOrigin reports whether o is an origin that may be allowed with
// [Config.AllowOrigins]: scheme://host[:port], without a path. "null" is
// refused: any sandboxed frame or local file sends it.
func CheckOrigin(o string) error {
	if o == "null" {
		return fmt.Errorf("proxy: origin %q cannot be allowed: sandboxed frames, local files and redirects send it", o)
	}
	u, err := url.Parse(o)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("proxy: allowed origin %q is not an origin such as https://app.example.com", o)
	}
	return nil
}

// hostName returns the name of a Host field or host:port, without its
// port, in lower case; an IPv6 literal keeps its brackets.
func hostName(host string) string {
	host = strings.ToLower(host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	if ip := net.ParseIP(host); ip != nil && strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// ListenHosts returns the names that a client may use to reach a proxy
// listening at addr, besides the loopback ones: the host of addr when it
// is an IP address or a name other than the unspecified addresses ("",
// "0.0.0.0", "::"). The command adds them to [Config.AcceptHosts].
func ListenHosts(addr string) []string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return nil
	}
	return []string{host}
}

// refusal is why a request is refused before it reaches anything: its
// status, the line the client reads, and what the warning logs.
type refusal struct {
	status  int
	msg     string
	counter *counter
	attr    slog.Attr
}

// check returns the refusal of r, or nil; and the origin to answer CORS
// to, when r comes from an allowed origin.
func (g *browserGuard) check(p *Proxy, r *http.Request) (*refusal, string) {
	if !g.hosts[hostName(r.Host)] {
		return &refusal{http.StatusMisdirectedRequest,
			fmt.Sprintf("Host %q is not accepted: name it with --accept-host (requests by other names are refused against DNS rebinding)", r.Host),
			&p.stats.refusedHost, slog.String("host", r.Host)}, ""
	}
	origins := r.Header.Values("Origin")
	switch {
	case len(origins) > 1:
		return g.crossOrigin(p, strings.Join(origins, ", ")), ""
	case len(origins) == 1 && origins[0] == "null":
		return g.crossOrigin(p, "null"), ""
	case len(origins) == 1 && g.origins[origins[0]]:
		return nil, origins[0] // whatever Sec-Fetch-Site says
	case len(origins) == 1 && !strings.EqualFold(origins[0], ownOrigin(r)):
		return g.crossOrigin(p, origins[0]), ""
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return &refusal{http.StatusForbidden,
			"a request from another site's page (Sec-Fetch-Site: " + r.Header.Get("Sec-Fetch-Site") + ") is refused: allow its origin with --allow-origin",
			&p.stats.refusedOrigin, slog.String("sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))}, ""
	}
	return nil, ""
}

func (g *browserGuard) crossOrigin(p *Proxy, origin string) *refusal {
	return &refusal{http.StatusForbidden,
		fmt.Sprintf("Origin %q is refused: a web page must not use the account; allow a trusted origin with --allow-origin (never null)", origin),
		&p.stats.refusedOrigin, slog.String("origin", origin)}
}

// ownOrigin is the origin of the proxy as r reached it.
func ownOrigin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// setCORS adds the fields of an answer to the allowed origin, on every
// response of the request: the API's Access-Control fields are removed.
func setCORS(h http.Header, origin string) {
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
}

// isPreflight reports whether r is a CORS preflight.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
}

// preflight answers a CORS preflight of an allowed origin; it is never
// forwarded.
func preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
	if hs := r.Header.Values("Access-Control-Request-Headers"); len(hs) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(hs, ", "))
	}
	h.Set("Access-Control-Max-Age", corsMaxAge)
	if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	w.WriteHeader(http.StatusNoContent)
}

// stripCORS removes every Access-Control field of the API's response.
func stripCORS(h http.Header) {
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
}
