package sourcetest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
)

// EchoSecret is a secret that every encoding changes: a quote, non-ASCII
// characters of two and three bytes, '&', a percent-escape of its own, a
// space and a '+'.
const EchoSecret = `p"‹&é%2F +`

// EchoForms returns the forms in which a server may echo EchoSecret, by
// name: as it is, with its ASCII letters upper-cased, escaped as JSON and
// Go quote it, percent-encoded as Go, JavaScript and PHP encode it,
// HTML-escaped, HTML around JSON and JSON around HTML, and in base64 and
// base64url, padded and raw; and the Basic credential of user, when user
// is not empty.
func EchoForms(user string) map[string]string {
	const s = EchoSecret
	var plain strings.Builder
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	forms := map[string]string{
		"raw":                s,
		"ascii-upper":        `P"‹&é%2F +`,
		"json-go":            jsonOf(s),
		"json-plain":         strings.TrimSpace(plain.String()),
		"json-ascii-upper":   `p\"\u2039\u0026\u00E9%2F +`,
		"json-ascii-lower":   `p\"\u2039&\u00e9%2F +`,
		"go-q":               fmt.Sprintf("%q", s),
		"go-plus-q":          fmt.Sprintf("%+q", s),
		"go-hex-bytes":       `p\"\xe2\x80\xb9&\xc3\xa9%2F +`,
		"go-octal-bytes":     `p\"\342\200\271&\303\251%2F +`,
		"query-escape":       url.QueryEscape(s),
		"path-escape":        url.PathEscape(s),
		"path-escape-lower":  strings.ToLower(url.PathEscape(s)),
		"encodeURIComponent": escapeAllBut(s, "-_.!~*'()", "%%%02X"),
		"php-rawurlencode":   escapeAllBut(s, "-_.~", "%%%02X"),
		"lower-hex":          escapeAllBut(s, "-_.~", "%%%02x"),
		"html-escape":        html.EscapeString(s),
		"html-named":         `p&quot;&lsaquo;&amp;&eacute;%2F +`,
		"html-decimal":       `p&#34;&#8249;&#38;&#233;&#37;2F&#32;&#43;`,
		"html-hex":           `p&#x22;&#x2039;&#x26;&#xE9;%2F&#x20;+`,
		"html-around-json":   html.EscapeString(jsonOf(s)),
		"json-around-html":   jsonOf(html.EscapeString(s)),
		"base64":             base64.StdEncoding.EncodeToString([]byte(s)),
		"base64-raw":         base64.RawStdEncoding.EncodeToString([]byte(s)),
		"base64url":          base64.URLEncoding.EncodeToString([]byte(s)),
		"base64url-raw":      base64.RawURLEncoding.EncodeToString([]byte(s)),
	}
	if user != "" {
		forms["basic"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+s))
	}
	return forms
}

func jsonOf(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// escapeAllBut percent-encodes every byte of s but ASCII letters, digits
// and those in keep, with the format f.
func escapeAllBut(s, keep, f string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, f, c)
		}
	}
	return b.String()
}

// EchoLeaks reports whether s holds EchoSecret, or the Basic credential
// of user, in any of [EchoForms]: the "‹" of EchoSecret in any encoding,
// or any form without its first and last characters.
func EchoLeaks(s, user string) bool {
	l := strings.ToLower(s)
	for _, m := range []string{"‹", "u2039", "x2039", "%e2%80%b9", "&#8249;", "lsaquo", `\xe2\x80\xb9`, `\342\200\271`} {
		if strings.Contains(l, m) {
			return true
		}
	}
	for _, f := range EchoForms(user) {
		f = strings.TrimPrefix(f, "Basic ")
		if strings.Contains(s, f[1:len(f)-1]) {
			return true
		}
	}
	return false
}
