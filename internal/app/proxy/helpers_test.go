package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux"
	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/loginauthtest"
)

// api is a Crux fake with a few routes of the tests' own in front of it,
// each of which takes the Crux token as the fake's own endpoints do:
//
//	POST /echo     reads the body, counts it, then answers it back (401 to a bad token)
//	POST /upload   counts the bytes of the body as they arrive (400 when it fails)
//	GET  /early    answers 103 Early Hints, then 200
//	GET  /stream   server-sent events: one, then two once release is closed
//	GET  /chunks   a body of unknown length: "one;", then "two;" once release is closed
//	GET  /slow     says it entered, then answers "done" once release is closed
//	GET  /cookie   sets a sessionid cookie and answers the Cookie it got
//	ANY  /headers  answers the header fields it got, one "Name: value" a line,
//	               with Access-Control-Allow-Origin: *
//
// Every other path goes to the fake. Its URL is the base URL of the
// tests' Sources and proxies.
type api struct {
	*cruxtest.Server
	front   *httptest.Server
	handler http.Handler
	hits    atomic.Int64 // requests to any route of the front, the fake's included
	echoes  atomic.Int64 // bodies read by /echo
	echoLen atomic.Int64 // length of the last body read by /echo
	read    atomic.Int64 // bytes read so far by /upload
	// uploadErr, if set, gets the error of reading a body of /upload.
	uploadErr func(error)
	entered   chan struct{}
	release   chan struct{}
}

func newAPI(t testing.TB) *api {
	a := &api{Server: cruxtest.NewServer(), entered: make(chan struct{}, 16), release: make(chan struct{})}
	t.Cleanup(a.Server.Close)
	mux := a.routes()
	a.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.hits.Add(1)
		mux.ServeHTTP(w, r)
	})
	a.front = httptest.NewServer(a.handler)
	t.Cleanup(a.front.Close)
	return a
}

// routes returns the mux of the front: the tests' routes, and the fake.
func (a *api) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/", a.Server.Config.Handler)
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.echoes.Add(1)
		a.echoLen.Store(int64(len(b)))
		if a.authorize(w, r) {
			w.Write(b)
		}
	})
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(countWriter{&a.read}, r.Body); err != nil {
			if a.uploadErr != nil {
				a.uploadErr(err)
			}
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.authorize(w, r)
	})
	a.slowRoutes(mux)
	mux.HandleFunc("GET /cookie", func(w http.ResponseWriter, r *http.Request) {
		if !a.authorize(w, r) {
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "shared-session"})
		io.WriteString(w, r.Header.Get("Cookie"))
	})
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		// As many token APIs do: any page may read the answer.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Expose-Headers", "*")
		for k, vs := range r.Header {
			for _, v := range vs {
				io.WriteString(w, k+": "+v+"\n")
			}
		}
	})
	return mux
}

// slowRoutes adds the routes whose answers come in parts.
func (a *api) slowRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /early", func(w http.ResponseWriter, r *http.Request) {
		if !a.authorize(w, r) {
			return
		}
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "after the hints")
	})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		if !a.authorize(w, r) {
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: one\n\n")
		http.NewResponseController(w).Flush()
		select {
		case <-a.release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "data: two\n\n")
	})
	mux.HandleFunc("GET /chunks", func(w http.ResponseWriter, r *http.Request) {
		if !a.authorize(w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		io.WriteString(w, "one;")
		http.NewResponseController(w).Flush()
		select {
		case <-a.release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "two;")
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		if !a.authorize(w, r) {
			return
		}
		a.entered <- struct{}{}
		select {
		case <-a.release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "done")
	})
}

// authorize checks the Crux token of r, and answers 401 when it is not
// valid.
func (a *api) authorize(w http.ResponseWriter, r *http.Request) bool {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Token ")
	if _, err := a.Authorize(tok); err != nil {
		w.Header().Set("WWW-Authenticate", "Token")
		http.Error(w, `{"detail": "Invalid token."}`, http.StatusUnauthorized)
		return false
	}
	return true
}

// source returns a Source of the fake's default account at the front,
// with password pw; hc nil means a default client.
func (a *api) source(pw string, hc *http.Client, opts loginauth.Options) *loginauth.Source {
	return crux.NewSource(crux.Config{BaseURL: a.front.URL, Username: cruxtest.Username, Password: pw, HTTPClient: hc, Options: opts})
}

// serve starts a proxy for cfg on a loopback httptest server, with cfg's
// Source and BaseURL defaulting to a's, and returns the server's URL.
func (a *api) serve(t testing.TB, cfg Config) string {
	t.Helper()
	if cfg.Source == nil {
		cfg.Source = a.source(cruxtest.Password, nil, loginauth.Options{})
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = a.front.URL
	}
	return serve(t, cfg)
}

// serve starts a proxy for cfg on a loopback httptest server and returns
// its URL.
func serve(t testing.TB, cfg Config) string {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(p)
	t.Cleanup(s.Close)
	return s.URL
}

// do sends a request with a plain client and returns the status and body.
func do(t testing.TB, method, url, body string, header http.Header) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, body := sendReq(t, req)
	return resp.StatusCode, body
}

// sendReq sends req with a plain client and returns the response, whose
// body is read and closed, and the body.
func sendReq(t testing.TB, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// memClient is a client that serves requests with h in memory, for a
// synctest bubble. h sees the origin-form URL that a server would parse.
func memClient(h http.Handler) *http.Client {
	return &http.Client{Transport: loginauthtest.HandlerTransport{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Scheme, r.URL.Host = "", ""
		r.RequestURI = r.URL.RequestURI()
		h.ServeHTTP(w, r)
	})}}
}

// countWriter counts the bytes written to it.
type countWriter struct{ n *atomic.Int64 }

func (c countWriter) Write(b []byte) (int, error) {
	c.n.Add(int64(len(b)))
	return len(b), nil
}
