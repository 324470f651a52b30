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
	case strings.Contains(msg, "beyond loopback"):
		return fmt.Errorf("listening on %s, beyond loopback, needs --inbound-token-file FILE (the token that clients must send) and TLS (--tls-cert FILE and --tls-key FILE): without them anyone who reaches the address uses the account; or listen on loopback, such as --listen 127.0.0.1:8787", addr)
	default:
		return errors.New(msg)
	}
}
