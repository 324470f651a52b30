package redisstore_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/app/proxy"
	"github.com/loginauth/loginauth/redisstore"
)

// TestProxyFleet runs 8 proxies, each with its own Source and its own
// Store of one Redis, behind its own loopback listener, and sends 1000
// requests spread over them from a cold start, 16 at a time: the API must
// see one login. It then measures, one request at a time, the latency that
// a proxy adds over a direct call through a loginauth.Transport, and logs
// the figures of BENCHMARKS.md's fleet section (run with -v, without
// -race, to read them).
func TestProxyFleet(t *testing.T) {
	needRedis(t)
	is := is.New(t)
	const proxies, requests, workers = 8, 1000, 16
	a := newAPI(t, 50*time.Millisecond)
	prefix := newPrefix(t)

	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	var urls []string
	var sources []*loginauth.Source
	for range proxies {
		src := newSource(a, &redisstore.Store{Client: newClient(t, redisAddr), Prefix: prefix}, nil)
		p, err := proxy.New(proxy.Config{Source: src, BaseURL: a.URL, Transport: tr})
		is.NoErr(err)
		s := httptest.NewServer(p)
		t.Cleanup(s.Close)
		urls = append(urls, s.URL)
		sources = append(sources, src)
	}

	get := func(c *http.Client, url string) (time.Duration, error) {
		start := time.Now()
		resp, err := c.Get(url)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return time.Since(start), err
	}

	// Cold start: 1000 requests over the 8 proxies, 16 at a time.
	cold := make([]time.Duration, requests)
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				d, err := get(client, urls[i%proxies]+"/data")
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
				cold[i] = d
			}
		})
	}
	start := time.Now()
	for i := range requests {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	took := time.Since(start)
	is.Equal(len(errs), 0)                  // every request answered 200
	is.Equal(a.Logins(), int64(1))          // one login for the whole fleet
	is.Equal(a.Requests(), int64(requests)) // every request reached the API with the token
	var logins int64
	for _, src := range sources {
		logins += src.Stats().Logins
	}
	is.Equal(logins, int64(1)) // and one Source logged in; the others loaded its token

	// Warm: one request at a time, a direct call through a
	// loginauth.Transport and a call through a proxy in turn.
	direct := &http.Client{Transport: loginauth.NewTransport(sources[0], tr)}
	const warm = 2000
	var viaDirect, viaProxy []time.Duration
	for i := range warm {
		d, err := get(direct, a.URL+"/data")
		is.NoErr(err) // direct call
		viaDirect = append(viaDirect, d)
		d, err = get(client, urls[i%proxies]+"/data")
		is.NoErr(err) // call through a proxy
		viaProxy = append(viaProxy, d)
	}
	is.Equal(a.Logins(), int64(1)) // still one login

	p50d, p99d := percentiles(viaDirect)
	p50p, p99p := percentiles(viaProxy)
	p50c, p99c := percentiles(cold)
	t.Logf("cold start: %d requests over %d proxies, %d at a time, in %v: %d login; latency p50 %v, p99 %v, max %v",
		requests, proxies, workers, took.Round(time.Millisecond), a.Logins(), p50c, p99c, slices.Max(cold).Round(time.Microsecond))
	t.Logf("warm, one at a time, %d each: direct p50 %v p99 %v; through a proxy p50 %v p99 %v; added p50 %v p99 %v",
		warm, p50d, p99d, p50p, p99p, p50p-p50d, p99p-p99d)
}

// percentiles returns the 50th and 99th percentiles of ds, rounded to the
// microsecond.
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[int(q*float64(len(s)-1))].Round(time.Microsecond) }
	return at(0.50), at(0.99)
}
