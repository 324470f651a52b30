// Command proxybench measures `loginauth proxy` beside a direct call, a
// bare httputil.ReverseProxy and nginx, against the same upstream. It is
// run by bench/proxy.sh, which starts the servers; see BENCHMARKS.md.
//
//	proxybench upstream ADDR          an API with a Xano-style login: POST /api:b/auth/login,
//	                                  GET and POST /api:b/x with "Authorization: Bearer bench-token"
//	proxybench bare ADDR UPSTREAM     a bare ReverseProxy that sets that header
//	proxybench run [flags] NAME=URL…  interleaved rounds of load against each URL
//	proxybench flood ADDR N HOLD      N uploads of 1 MiB that stall one byte short, held HOLD
//
// Servers print "listening on ADDR" once they listen.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loginauth/loginauth/internal/app/proxy"
)

// token is the upstream's one access token.
const token = "bench-token"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: proxybench upstream ADDR | bare ADDR UPSTREAM | run [flags] NAME=URL...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "upstream":
		err = serve(os.Args[2], upstream())
	case "bare":
		err = bare(os.Args[2], os.Args[3])
	case "run":
		err = run(os.Args[2:])
	case "flood":
		err = flood(os.Args[2], os.Args[3], os.Args[4])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxybench:", err)
		os.Exit(1)
	}
}

func serve(addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	return (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}

// upstream is the API: a Xano-style login, and /x, which answers a small
// JSON document to GET and the length of the body to POST.
func upstream() http.Handler {
	doc := []byte(`{"id":42,"name":"alice","email":"alice@example.test","roles":["reader","writer"],"active":true}` + "\n")
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api:b/auth/login", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"authToken":%q}`, token)
	})
	mux.HandleFunc("/api:b/x", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, `{"message":"Invalid token"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			fmt.Fprintf(w, `{"received":%d}`+"\n", n)
			return
		}
		w.Write(doc)
	})
	return mux
}

// bare is a bare ReverseProxy that sets the token, with the default
// FlushInterval and the transport that loginauth proxy builds.
func bare(addr, up string) error {
	u, err := url.Parse(up)
	if err != nil {
		return err
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Header.Set("Authorization", "Bearer "+token)
		},
		Transport: proxy.NewTransport(0),
	}
	return serve(addr, rp)
}

// result is one run of load against one URL.
type result struct {
	reqs, errs int
	rps        float64
	p50, p99   time.Duration
}

// load sends requests from c workers until n are done or d has passed,
// and measures them.
func load(u, method string, body []byte, c, n int, d time.Duration) result {
	tr := &http.Transport{MaxIdleConnsPerHost: c, MaxIdleConns: c}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var left atomic.Int64
	left.Store(int64(n))
	var errs atomic.Int64
	lats := make([][]time.Duration, c)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range c {
		wg.Go(func() {
			for left.Add(-1) >= 0 && ctx.Err() == nil {
				req, _ := http.NewRequest(method, u, bytes.NewReader(body))
				if body == nil {
					req.Body = http.NoBody
				}
				req.Header.Set("Authorization", "Bearer "+token) // direct needs it; the proxies replace it
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("HTTP %d", resp.StatusCode)
					}
				}
				if err != nil {
					errs.Add(1)
					continue
				}
				lats[i] = append(lats[i], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lats...)
	slices.Sort(all)
	r := result{reqs: len(all), errs: int(errs.Load()), rps: float64(len(all)) / elapsed.Seconds()}
	if len(all) > 0 {
		r.p50 = all[len(all)/2]
		r.p99 = all[len(all)*99/100]
	}
	return r
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	rounds := fs.Int("rounds", 5, "interleaved rounds")
	n := fs.Int("n", 20000, "requests per run at most")
	d := fs.Duration("d", 2*time.Second, "duration of a run at most")
	warm := fs.Duration("warm", 300*time.Millisecond, "warm-up of each target before the rounds")
	conc := fs.String("c", "1,8,64", "concurrencies")
	size := fs.Int("post", 64<<10, "bytes of a POST body")
	fs.Parse(args)
	var names, urls []string
	for _, a := range fs.Args() {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("want NAME=URL, got %q", a)
		}
		names, urls = append(names, k), append(urls, v)
	}
	var cs []int
	for _, s := range strings.Split(*conc, ",") {
		var c int
		fmt.Sscan(s, &c)
		cs = append(cs, c)
	}
	post := bytes.Repeat([]byte("x"), *size)
	type key struct {
		method string
		c      int
		target string
	}
	res := map[key][]result{}
	for _, u := range urls {
		load(u, "GET", nil, 8, 1<<30, *warm) // connections, the proxy's login
	}
	for round := range *rounds {
		for _, method := range []string{"GET", "POST"} {
			for _, c := range cs {
				for j := range names {
					t := (j + round) % len(names) // a different order each round
					var body []byte
					if method == "POST" {
						body = post
					}
					r := load(urls[t], method, body, c, *n, *d)
					k := key{method, c, names[t]}
					res[k] = append(res[k], r)
					if r.errs > 0 {
						fmt.Fprintf(os.Stderr, "round %d %s c=%d %s: %d errors\n", round+1, method, c, names[t], r.errs)
					}
				}
			}
		}
		fmt.Fprintf(os.Stderr, "round %d of %d done\n", round+1, *rounds)
	}
	fmt.Printf("| method | c | %s | loginauth / bare (median of per-round ratios) | p99 loginauth / bare |\n", strings.Join(names, " | "))
	fmt.Printf("|---|---:|%s---:|---:|\n", strings.Repeat("---:|", len(names)))
	for _, method := range []string{"GET", "POST"} {
		for _, c := range cs {
			var cells []string
			for _, name := range names {
				rs := res[key{method, c, name}]
				cells = append(cells, fmt.Sprintf("%.0f req/s, p50 %s, p99 %s", median(rs, func(r result) float64 { return r.rps }),
					dur(median(rs, func(r result) float64 { return float64(r.p50) })), dur(median(rs, func(r result) float64 { return float64(r.p99) }))))
			}
			la, ba := res[key{method, c, "loginauth"}], res[key{method, c, "bare"}]
			ratio, p99 := "", ""
			if len(la) > 0 && len(ba) > 0 {
				ratio = fmt.Sprintf("%.2f×", medianRatio(la, ba, func(r result) float64 { return r.rps }))
				p99 = fmt.Sprintf("%.2f×", medianRatio(la, ba, func(r result) float64 { return float64(r.p99) }))
			}
			fmt.Printf("| %s | %d | %s | %s | %s |\n", method, c, strings.Join(cells, " | "), ratio, p99)
		}
	}
	return nil
}

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	return med(v)
}

// medianRatio is the median of a[i]/b[i]: the rounds pair the runs that
// were made close together.
func medianRatio(a, b []result, f func(result) float64) float64 {
	var v []float64
	for i := range min(len(a), len(b)) {
		if f(b[i]) > 0 {
			v = append(v, f(a[i])/f(b[i]))
		}
	}
	return med(v)
}

func med(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func dur(ns float64) string {
	return time.Duration(ns).Round(10 * time.Microsecond).String()
}

// flood opens n connections to addr, sends on each a POST of 1 MiB but
// its last byte, and holds them for hold.
func flood(addr, n, hold string) error {
	var count int
	fmt.Sscan(n, &count)
	d, err := time.ParseDuration(hold)
	if err != nil {
		return err
	}
	const size = 1 << 20
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	var wg sync.WaitGroup
	var sent atomic.Int64
	conns := make([]net.Conn, count)
	for i := range count {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		conns[i] = c
		wg.Go(func() {
			fmt.Fprintf(c, "POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", size)
			left := size - 1
			for left > 0 {
				k := min(left, len(chunk))
				if _, err := c.Write(chunk[:k]); err != nil {
					return
				}
				left -= k
			}
			sent.Add(1)
		})
	}
	wg.Wait()
	fmt.Printf("%d of %d uploads sent all but their last byte; holding them %v\n", sent.Load(), count, d)
	time.Sleep(d)
	for _, c := range conns {
		c.Close()
	}
	return nil
}
