package proxy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/app/proxy/proxytest"
)

// recorder is an API that records the request-target of every request as
// it arrived: a plain handler, not an http.ServeMux, which would clean
// the paths itself.
type recorder struct {
	mu   sync.Mutex
	uris []string
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.uris = append(rec.uris, r.RequestURI)
	rec.mu.Unlock()
	w.Write([]byte(r.Header.Get("Authorization")))
}

func (rec *recorder) seen() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.uris...)
}

// bearerSource is a Source of the origin u whose logins give "tok".
func bearerSource(u string) *loginauth.Source {
	return loginauth.New(loginauth.Config{
		Origins: []string{u},
		Login:   func(context.Context) (*oauth2.Token, error) { return &oauth2.Token{AccessToken: "tok"}, nil },
	})
}

func TestDotSegmentsRefused(t *testing.T) {
	const basePath = "/api:AbCd"
	rec := &recorder{}
	up := httptest.NewServer(rec)
	t.Cleanup(up.Close)
	u := serve(t, Config{Source: bearerSource(up.URL), BaseURL: up.URL + basePath})
	for _, tc := range []struct {
		target string
		want   string // the request-target the API gets; "" for refused
	}{
		{"/../../other-group/x", ""},
		{"/%2e%2e/%2e%2e/x", ""},
		{"/%2E%2E/x", ""},
		{"/..%2f..%2fx", ""},
		{"/..%2F..%2Fx", ""},
		{"/%252e%252e/%252e%252e/x", ""},
		{"/%25%32%65%25%32%65/x", ""},
		{`/..\..\x`, ""},
		{"/..%5c..%5cx", ""},
		{"/x/..;/y", ""},
		{"/x/%2e%2e;/y", ""},
		{"/./x", ""},
		{"/x/%2e", ""},
		{"/x/..", ""},
		{"/_loginauth/../x", ""},
		{"/@scope%2fname", basePath + "/@scope%2fname"},
		{"/projects/group%2Fproject/issues", basePath + "/projects/group%2Fproject/issues"},
		{"/a..b/c.d/...", basePath + "/a..b/c.d/..."},
		{"/.well-known/x", basePath + "/.well-known/x"},
		{"/x?path=../../y", basePath + "/x?path=../../y"},
	} {
		t.Run(tc.target, func(t *testing.T) {
			is := is.New(t)
			before := len(rec.seen())
			status, body := proxytest.Raw(t, u, "GET "+tc.target+" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
			seen := rec.seen()[before:]
			if tc.want == "" {
				is.Equal(status, http.StatusBadRequest) // refused
				is.True(strings.Contains(body, "'..'")) // saying why
				is.Equal(len(seen), 0)                  // never forwarded
				return
			}
			is.Equal(status, http.StatusOK)   // forwarded
			is.Equal(body, "Bearer tok")      // with the credentials
			is.Equal(seen, []string{tc.want}) // as sent, under the base path
		})
	}
	for _, uri := range rec.seen() {
		if !strings.HasPrefix(uri, basePath+"/") || dotSegment(strings.SplitN(uri, "?", 2)[0]) {
			t.Errorf("the API saw %q, outside the base path", uri)
		}
	}
}
