package cli

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/loginauth/loginauth/internal/hostname"
)

// typedURL is raw as the user typed it, for an error about it: a URL
// holds no secret but the password of its user info, which goes.
func typedURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	if at := strings.LastIndex(raw, "@"); at >= 0 && !strings.Contains(raw, "://") {
		return "…" + raw[at:] // unparsable, with what may be user info
	}
	return raw
}

// baseURLFix suggests the URL meant by raw, a base URL without a scheme:
// http:// for a loopback host, where a local server rarely has TLS, and
// https:// for any other. It returns "" when raw has a scheme.
func baseURLFix(raw string) string {
	if strings.Contains(raw, "://") || strings.Contains(raw, "@") || raw == "" {
		return ""
	}
	host, _, _ := strings.Cut(raw, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if hostname.IsLoopback(strings.Trim(host, "[]")) {
		return fmt.Sprintf(": did you mean http://%s?", raw)
	}
	return fmt.Sprintf(": did you mean https://%s?", raw)
}

// listenWords says a failure to listen in the proxy command's words,
// without the proxy package's prefix: a port in use asks for another
// --listen, and an address beyond loopback names the flags it needs.
func listenWords(err error, addr string) error {
	switch msg := strings.TrimPrefix(err.Error(), "proxy: "); {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("listen %s: address already in use; pick another with --listen", addr)
	case strings.Contains(msg, "beyond loopback") && strings.Contains(msg, "open relay"):
		return fmt.Errorf("listening on %s, beyond loopback, needs an inbound token (--inbound-token-file FILE) and TLS (--tls-cert FILE and --tls-key FILE): without a token, anyone who reaches the address uses the account (an open relay); or listen on loopback, such as --listen 127.0.0.1:8787", addr)
	case strings.Contains(msg, "beyond loopback"):
		return fmt.Errorf("listening on %s, beyond loopback, needs TLS (--tls-cert FILE and --tls-key FILE) besides --inbound-token-file: without it, the inbound token and the API's answers cross the network in clear text", addr)
	default:
		return errors.New(msg)
	}
}
