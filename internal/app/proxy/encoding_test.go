package proxy

import (
	"compress/gzip"
	"compress/zlib"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
)

// TestRefusalInCompressedBody checks that a refusal that only the body
// tells, as deluge-web's JSON-RPC {"error": {"code": 1}} with status 200,
// is seen although the client asked for compression as a browser does,
// and the API prefers deflate, which the refusal checks cannot read: the
// proxy does not forward the client's Accept-Encoding, so that its
// Transport asks for gzip and gets the answer decoded.
func TestRefusalInCompressedBody(t *testing.T) {
	is := is.New(t)
	var logins atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := `{"result": true, "error": null}`
		if r.Header.Get("Authorization") != "Bearer t-2" {
			body = `{"result": null, "error": {"message": "Not authenticated", "code": 1}}`
		}
		var zw io.WriteCloser
		switch ae := r.Header.Get("Accept-Encoding"); {
		case strings.Contains(ae, "deflate"):
			w.Header().Set("Content-Encoding", "deflate")
			zw = zlib.NewWriter(w)
		case strings.Contains(ae, "gzip"):
			w.Header().Set("Content-Encoding", "gzip")
			zw = gzip.NewWriter(w)
		default:
			io.WriteString(w, body)
			return
		}
		io.WriteString(zw, body)
		zw.Close()
	}))
	t.Cleanup(up.Close)
	refused := func(resp *http.Response) bool {
		b, _ := loginauth.PeekBody(resp, 1<<10)
		return strings.Contains(string(b), `"Not authenticated"`)
	}
	src := loginauth.New(loginauth.Config{Origins: []string{up.URL}, Scheme: loginauth.HeaderScheme{Prefix: "Bearer", IsRefused: refused},
		Login: func(context.Context) (*oauth2.Token, error) {
			if logins.Add(1) == 1 {
				return &oauth2.Token{AccessToken: "t-1"}, nil // a session that the API has ended
			}
			return &oauth2.Token{AccessToken: "t-2"}, nil
		}})
	u := serve(t, Config{Source: src, BaseURL: up.URL})
	req, _ := http.NewRequest(http.MethodGet, u+"/json", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br") // as a browser sends it
	resp, err := http.DefaultClient.Do(req)
	is.NoErr(err)
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	is.Equal(resp.Header.Get("Content-Encoding"), "")
	is.Equal(string(got), `{"result": true, "error": null}`) // re-sent after the refusal in the body
	is.Equal(logins.Load(), int64(2))
}
