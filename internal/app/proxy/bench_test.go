package proxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
)

// BenchmarkProxy compares a Proxy with a bare httputil.ReverseProxy that
// sets a fixed Authorization, over loopback, with the same transport, and
// with the same pool of copy buffers too ("bare+pool"): the cost of the
// Proxy's checks, its credentials and its buffering for re-sends.
// bench/proxy.sh measures the built command under load.
func BenchmarkProxy(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"id":42,"name":"alice","email":"alice@example.test"}`))
	}))
	b.Cleanup(up.Close)
	upURL, _ := url.Parse(up.URL)
	bare := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upURL)
			pr.Out.Header.Set("Authorization", "Bearer tok")
		},
		Transport: NewTransport(0),
	}
	pooled := *bare
	pooled.BufferPool = buffers{}
	p, err := New(Config{Source: bearerSource(up.URL), BaseURL: up.URL})
	if err != nil {
		b.Fatal(err)
	}
	post := bytes.Repeat([]byte("x"), 64<<10)
	for _, impl := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"bare+pool", &pooled}, {"loginauth", p}} {
		s := httptest.NewServer(impl.h)
		b.Cleanup(s.Close)
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		for _, method := range []string{"GET", "POST"} {
			b.Run("method="+method+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						var body io.Reader = http.NoBody
						if method == "POST" {
							body = bytes.NewReader(post)
						}
						req, _ := http.NewRequest(method, s.URL+"/x", body)
						resp, err := c.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				})
			})
		}
	}
}
