package proxy

import (
	"net/http"
	"slices"
	"strings"
)

// dropCredentials removes from out, a request of a client, its cookies
// and query parameters of the credentials' names: the account's session
// is the Source's, never a client's.
func dropCredentials(out *http.Request, cookies, params []string) {
	if len(cookies) > 0 && out.Header.Get("Cookie") != "" {
		var keep []string
		for _, line := range out.Header.Values("Cookie") {
			for part := range strings.SplitSeq(line, ";") {
				part = strings.TrimSpace(part)
				name, _, _ := strings.Cut(part, "=")
				if part != "" && !slices.Contains(cookies, strings.TrimSpace(name)) {
					keep = append(keep, part)
				}
			}
		}
		out.Header.Del("Cookie")
		if len(keep) > 0 {
			out.Header.Set("Cookie", strings.Join(keep, "; "))
		}
	}
	if len(params) > 0 && out.URL.RawQuery != "" {
		q := out.URL.Query()
		n := len(q)
		for _, k := range params {
			delete(q, k)
		}
		if len(q) != n {
			out.URL.RawQuery = q.Encode()
		}
	}
}

// dropSetCookies removes from h, the header of the API's answer, the
// Set-Cookie fields of the credential cookies.
func dropSetCookies(h http.Header, cookies []string) {
	var keep []string
	for _, v := range h.Values("Set-Cookie") {
		pair, _, _ := strings.Cut(v, ";")
		name, _, _ := strings.Cut(pair, "=")
		if !slices.Contains(cookies, strings.TrimSpace(name)) {
			keep = append(keep, v)
		}
	}
	if len(keep) == len(h.Values("Set-Cookie")) {
		return
	}
	h.Del("Set-Cookie")
	for _, v := range keep {
		h.Add("Set-Cookie", v)
	}
}

// isCookie reports whether the credential field k is Cookie, of which a
// proxy removes only the credential cookies: see dropCredentials.
func isCookie(k string) bool { return k == "Cookie" }
