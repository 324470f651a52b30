package proxy

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/app/proxy/proxytest"
)

func TestHostChecked(t *testing.T) {
	for _, tc := range []struct {
		host   string
		accept []string
		status int
	}{
		{"127.0.0.1:8787", nil, http.StatusOK},
		{"localhost", nil, http.StatusOK},
		{"LocalHost:1", nil, http.StatusOK},
		{"[::1]:8787", nil, http.StatusOK},
		{"rebind.evil.example:8787", nil, http.StatusMisdirectedRequest},
		{"127.0.0.1.evil.example", nil, http.StatusMisdirectedRequest},
		{"localhost.evil.example", nil, http.StatusMisdirectedRequest},
		{"10.0.0.7:8787", nil, http.StatusMisdirectedRequest},
		{"api-proxy.internal:443", []string{"API-Proxy.internal"}, http.StatusOK},
		{"10.0.0.7:9999", []string{"10.0.0.7:8787"}, http.StatusOK}, // the port is ignored
		{"[fd00::7]", []string{"fd00::7"}, http.StatusOK},           // IPv6, with or without brackets
		{"other.internal", []string{"api.internal"}, http.StatusMisdirectedRequest},
	} {
		t.Run(tc.host, func(t *testing.T) {
			is := is.New(t)
			a := newAPI(t)
			var log bytes.Buffer
			u := a.serve(t, Config{AcceptHosts: tc.accept, Logger: slog.New(slog.NewTextHandler(&log, nil))})
			req, _ := http.NewRequest("GET", u+"/headers", nil)
			req.Host = tc.host
			resp, body := sendReq(t, req)
			is.Equal(resp.StatusCode, tc.status) // status
			if tc.status == http.StatusOK {
				return
			}
			is.True(strings.Contains(body, "--accept-host"))         // the reason names the flag
			is.Equal(a.hits.Load(), int64(0))                        // never forwarded
			is.True(strings.Contains(log.String(), "level=WARN"))    // logged as a warning
			is.True(strings.Contains(log.String(), `host=`+tc.host)) // with the Host
			_, stats := do(t, "GET", u+StatsPath, "", nil)
			is.True(strings.Contains(stats, `"refused_host":1,`)) // counted: stats
		})
	}
	t.Run("no Host", func(t *testing.T) {
		is := is.New(t)
		a := newAPI(t)
		u := a.serve(t, Config{})
		status, body := proxytest.Raw(t, u, "GET /headers HTTP/1.0\r\n\r\n")
		is.Equal(status, http.StatusMisdirectedRequest)  // HTTP/1.0 without a Host
		is.True(strings.Contains(body, "--accept-host")) // body
		is.Equal(a.hits.Load(), int64(0))                // never forwarded
	})
}

func TestBrowserOriginChecked(t *testing.T) {
	const allowed = "https://app.example.com"
	for _, tc := range []struct {
		name, method, origin, site string
		status                     int
		cors                       bool // Access-Control-Allow-Origin: origin
	}{
		{"cross-site GET", "GET", "https://evil.example", "cross-site", http.StatusForbidden, false},
		{"cross-site form POST", "POST", "https://evil.example", "cross-site", http.StatusForbidden, false},
		{"Origin only", "POST", "https://evil.example", "", http.StatusForbidden, false},
		{"Sec-Fetch-Site cross-site only", "GET", "", "cross-site", http.StatusForbidden, false},
		{"Sec-Fetch-Site same-site only", "GET", "", "same-site", http.StatusForbidden, false},
		{"Origin null", "POST", "null", "cross-site", http.StatusForbidden, false},
		{"another port of localhost", "GET", "http://localhost:3000", "same-site", http.StatusForbidden, false},
		{"the allowed origin but http", "GET", "http://app.example.com", "cross-site", http.StatusForbidden, false},
		{"curl", "GET", "", "", http.StatusOK, false},
		{"typed in the address bar", "GET", "", "none", http.StatusOK, false},
		{"same origin", "GET", "", "same-origin", http.StatusOK, false},
		{"the API's web UI through the proxy", "POST", "OWN", "same-origin", http.StatusOK, false},
		{"allowed origin", "POST", allowed, "cross-site", http.StatusOK, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			a := newAPI(t)
			var log bytes.Buffer
			u := a.serve(t, Config{AllowOrigins: []string{allowed}, Logger: slog.New(slog.NewTextHandler(&log, nil))})
			req, _ := http.NewRequest(tc.method, u+"/headers", strings.NewReader("payout=1000"))
			req.Header.Set("Content-Type", "text/plain")
			if tc.origin == "OWN" {
				tc.origin = u
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			if tc.site != "" {
				req.Header.Set("Sec-Fetch-Site", tc.site)
			}
			resp, body := sendReq(t, req)
			is.Equal(resp.StatusCode, tc.status) // status
			if tc.cors {
				is.Equal(resp.Header.Get("Access-Control-Allow-Origin"), allowed) // the proxy's CORS answer
				is.Equal(resp.Header.Get("Vary"), "Origin")
			} else {
				is.Equal(resp.Header.Get("Access-Control-Allow-Origin"), "") // never the API's "*"
			}
			is.Equal(resp.Header.Get("Access-Control-Expose-Headers"), "") // no other field of the API's
			if tc.status == http.StatusOK {
				return
			}
			is.True(strings.Contains(body, "--allow-origin"))     // the reason names the flag
			is.Equal(a.hits.Load(), int64(0))                     // never forwarded: no login, no request
			is.True(strings.Contains(log.String(), "level=WARN")) // logged as a warning
			_, stats := do(t, "GET", u+StatsPath, "", nil)
			is.True(strings.Contains(stats, `"refused_origin":1,`)) // counted: stats
		})
	}
}

func TestPreflight(t *testing.T) {
	const allowed = "https://app.example.com"
	is := is.New(t)
	a := newAPI(t)
	u := a.serve(t, Config{AllowOrigins: []string{allowed}})
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", u+"/headers", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Access-Control-Request-Method", "PUT")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-request-id")
		req.Header.Set("Access-Control-Request-Private-Network", "true")
		resp, _ := sendReq(t, req)
		return resp
	}
	resp := preflight(allowed)
	is.Equal(resp.StatusCode, http.StatusNoContent)                                        // answered by the proxy
	is.Equal(resp.Header.Get("Access-Control-Allow-Origin"), allowed)                      // the origin
	is.Equal(resp.Header.Get("Access-Control-Allow-Methods"), "PUT")                       // the method asked
	is.Equal(resp.Header.Get("Access-Control-Allow-Headers"), "content-type,x-request-id") // the fields asked
	is.Equal(resp.Header.Get("Access-Control-Max-Age"), corsMaxAge)
	is.Equal(resp.Header.Get("Access-Control-Allow-Private-Network"), "true") // Chrome's Private Network Access
	is.Equal(resp.Header.Get("Vary"), "Origin")
	is.Equal(a.hits.Load(), int64(0)) // never forwarded

	resp = preflight("https://evil.example")
	is.Equal(resp.StatusCode, http.StatusForbidden)              // another origin
	is.Equal(resp.Header.Get("Access-Control-Allow-Origin"), "") // gets no CORS answer
	is.Equal(resp.Header.Get("Access-Control-Allow-Private-Network"), "")
	is.Equal(a.hits.Load(), int64(0)) // never forwarded
}

func TestAllowOriginsChecked(t *testing.T) {
	a := newAPI(t)
	for _, o := range []string{"null", "app.example.com", "https://app.example.com/", "https://app.example.com/x", "*"} {
		t.Run(o, func(t *testing.T) {
			is := is.New(t)
			_, err := New(Config{Source: a.source("", nil, loginauth.Options{}), BaseURL: a.front.URL, AllowOrigins: []string{o}})
			is.True(err != nil)                              // refused
			is.True(strings.Contains(err.Error(), "origin")) // err
		})
	}
}
