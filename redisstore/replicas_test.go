package redisstore_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/redisstore"
)

// get sends n concurrent GET /data requests through client and returns
// the status codes that came back.
func get(t *testing.T, client *http.Client, a *api, n int) map[int]int {
	t.Helper()
	codes := make(map[int]int)
	var mu sync.Mutex // guards codes
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := client.Get(a.URL + "/data")
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return codes
}

func TestRedisStoppedMidRun(t *testing.T) {
	is := is.New(t)
	srv, err := startRedis() // a Redis of this test's own, to stop
	if err != nil {
		t.Skip(err)
	}
	defer srv.Stop()
	a := newAPI(t, 10*time.Millisecond)
	logs := &records{}
	newReplica := func() (*loginauth.Source, *http.Client) {
		st := &redisstore.Store{Client: newClient(t, srv.Addr), Timeout: 200 * time.Millisecond}
		src := newSource(a, st, slog.New(logs))
		return src, &http.Client{Transport: loginauth.NewTransport(src, nil)}
	}
	src, client := newReplica()

	is.Equal(get(t, client, a, 20), map[int]int{200: 20}) // with Redis up
	is.Equal(a.Logins(), int64(1))
	raw := newClient(t, srv.Addr)
	is.True(strings.Contains(raw.Get(context.Background(), redisstore.DefaultPrefix+fleetKey).Val(), `"access_token":"tok-`)) // the token is in Redis
	is.Equal(len(logs.ops("loginauth: store-error")), 0)                                                                      // and nothing went wrong

	srv.Stop()
	a.RevokeAll() // the API refuses the token: the replica must log in again, without Redis

	start := time.Now()
	is.Equal(get(t, client, a, 20), map[int]int{200: 20}) // requests still succeed
	took := time.Since(start)
	is.Equal(a.Logins(), int64(2)) // the Source logged in by itself, once
	is.True(took < 3*time.Second)  // without waiting long for the dead Redis
	ops := logs.ops("loginauth: store-error")
	t.Logf("store errors logged: %v; the requests took %v", ops, took.Round(time.Millisecond))
	for _, op := range []string{"delete", "load", "lock", "save"} {
		is.True(ops[op] > 0) // every failed store call was logged
	}
	is.Equal(src.Stats().Invalidations, int64(1))

	// A replica that starts while Redis is down works alone.
	_, client2 := newReplica()
	is.Equal(get(t, client2, a, 5), map[int]int{200: 5})
	is.Equal(a.Logins(), int64(3))
	is.True(!strings.Contains(logs.text(), "tok-")) // no token reached the logs
}

func TestRevocationReachesAllReplicas(t *testing.T) {
	needRedis(t)
	is := is.New(t)
	a := newAPI(t, 50*time.Millisecond)
	prefix := newPrefix(t)
	const replicas, requests = 5, 10
	srcs := make([]*loginauth.Source, replicas)
	clients := make([]*http.Client, replicas)
	logs := &records{}
	for i := range srcs {
		st := &redisstore.Store{Client: newClient(t, redisAddr), Prefix: prefix}
		srcs[i] = newSource(a, st, slog.New(logs))
		clients[i] = &http.Client{Transport: loginauth.NewTransport(srcs[i], nil)}
	}
	everyone := func() map[int]int {
		all := make(map[int]int)
		var mu sync.Mutex // guards all
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Go(func() {
				codes := get(t, c, a, requests)
				mu.Lock()
				defer mu.Unlock()
				for code, n := range codes {
					all[code] += n
				}
			})
		}
		wg.Wait()
		return all
	}

	is.Equal(everyone(), map[int]int{200: replicas * requests}) // the fleet starts
	is.Equal(a.Logins(), int64(1))                              // with one login

	a.RevokeAll()
	is.Equal(everyone(), map[int]int{200: replicas * requests}) // every request is served after the revocation
	is.Equal(a.Logins(), int64(2))                              // with exactly one re-login for the fleet
	is.True(a.Refused() >= replicas)                            // each replica was refused

	want, err := srcs[0].Token()
	is.NoErr(err)
	for _, src := range srcs {
		tok, err := src.Token()
		is.NoErr(err)
		is.Equal(tok.AccessToken, want.AccessToken)   // the replicas share the new token
		is.Equal(src.Stats().Invalidations, int64(1)) // after each invalidated the old one once
	}
	stored, err := newClient(t, redisAddr).Get(context.Background(), prefix+fleetKey).Result()
	is.NoErr(err)
	is.True(strings.Contains(stored, want.AccessToken))  // the new token is in Redis
	is.Equal(len(logs.ops("loginauth: store-error")), 0) // and the Store never failed
}
