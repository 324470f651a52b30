package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/redis/go-redis/v9"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/redisstore"
	"github.com/loginauth/loginauth/storetest"
)

func TestConformance(t *testing.T) {
	needRedis(t)
	storetest.Run(t, func(t *testing.T) loginauth.Store { return newStore(t) })
}

func TestKeysAndTTL(t *testing.T) {
	is := is.New(t)
	st := newStore(t)
	ctx := context.Background()
	raw := st.Client

	is.NoErr(st.Save(ctx, "xano https://x.example/api:g alice", []byte("v1"), time.Now().Add(time.Hour)))
	got, err := raw.Get(ctx, st.Prefix+"xano https://x.example/api:g alice").Result()
	is.NoErr(err)
	is.Equal(got, "v1") // the value is at prefix+key
	ttl := raw.PTTL(ctx, st.Prefix+"xano https://x.example/api:g alice").Val()
	is.True(ttl > 59*time.Minute && ttl <= time.Hour) // the TTL is the token's remaining lifetime

	is.NoErr(st.Save(ctx, "xano https://x.example/api:g alice", []byte("v2"), time.Time{}))
	is.Equal(raw.PTTL(ctx, st.Prefix+"xano https://x.example/api:g alice").Val(), time.Duration(-1)) // zero expiry: no TTL

	is.NoErr(st.Save(ctx, "short", []byte("v"), time.Now().Add(1500*time.Microsecond)))
	ttl = raw.PTTL(ctx, st.Prefix+"short").Val()
	is.True(ttl != -1) // a sub-millisecond remainder still gets a TTL

	is.NoErr(st.Save(ctx, "gone", []byte("v"), time.Now().Add(-time.Second)))
	is.Equal(raw.Exists(ctx, st.Prefix+"gone").Val(), int64(0)) // an expired token is not saved

	b, err := st.Load(ctx, "never saved")
	is.NoErr(err)
	is.True(b == nil) // missing: nil, nil
}

func TestDefaultPrefix(t *testing.T) {
	needRedis(t)
	is := is.New(t)
	ctx := context.Background()
	client := newClient(t, redisAddr)
	st := redisstore.New(client)
	key := "redisstore-test-" + t.Name() + "-" + fmt.Sprint(time.Now().UnixNano())
	t.Cleanup(func() {
		client.Del(context.Background(), redisstore.DefaultPrefix+key, redisstore.DefaultPrefix+key+":lock")
	})

	is.NoErr(st.Save(ctx, key, []byte("v"), time.Now().Add(time.Minute)))
	is.Equal(client.Get(ctx, redisstore.DefaultPrefix+key).Val(), "v") // the default prefix is loginauth:
	unlock, err := st.Lock(ctx, key)
	is.NoErr(err)
	is.Equal(client.Exists(ctx, redisstore.DefaultPrefix+key+":lock").Val(), int64(1)) // the lock is the key with :lock
	unlock()
	is.Equal(client.Exists(ctx, redisstore.DefaultPrefix+key+":lock").Val(), int64(0)) // released
}

func TestDeleteComparesAtomically(t *testing.T) {
	is := is.New(t)
	st := newStore(t)
	ctx := context.Background()
	far := time.Now().Add(time.Hour)

	// Replicas refused "old" race with one that saves "new": whatever the
	// order, "new" survives every stale Delete.
	for range 20 {
		is.NoErr(st.Save(ctx, "k", []byte("old"), far))
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if err := st.Delete(ctx, "k", []byte("old")); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Go(func() {
			if err := st.Save(ctx, "k", []byte("new"), far); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		b, err := st.Load(ctx, "k")
		is.NoErr(err)
		is.Equal(string(b), "new") // a stale Delete removed the newer token
	}
}

func TestLockExpiresWhenNotReleased(t *testing.T) {
	is := is.New(t)
	st := newStore(t)
	st.LockTTL = 300 * time.Millisecond
	st.LockPoll = 10 * time.Second // the wait must end with the TTL, not with a poll
	ctx := context.Background()

	_, err := st.Lock(ctx, "k") // never released: its holder "died"
	is.NoErr(err)
	start := time.Now()
	unlock, err := st.Lock(ctx, "k")
	is.NoErr(err)
	defer unlock()
	waited := time.Since(start)
	is.True(waited >= 200*time.Millisecond) // the lock was held until it expired
	is.True(waited < 2*time.Second)         // and taken soon after it expired
}

func TestReleaseWakesWaiters(t *testing.T) {
	is := is.New(t)
	st := newStore(t)
	st.LockTTL = time.Minute
	st.LockPoll = time.Minute // only the announcement of the release can wake the waiters
	ctx := context.Background()

	unlock, err := st.Lock(ctx, "k")
	is.NoErr(err)
	const waiters = 4
	got := make(chan time.Duration, waiters)
	var released time.Time
	var mu sync.Mutex // guards released
	for range waiters {
		go func() {
			u, err := st.Lock(ctx, "k")
			if err != nil {
				t.Error(err)
				got <- 0
				return
			}
			mu.Lock()
			d := time.Since(released)
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
			u()
			got <- d
		}()
	}
	// Once every waiter listens for the release, only the release's
	// announcement can wake them: LockPoll is a minute.
	for deadline := time.Now().Add(10 * time.Second); ; {
		n := st.Client.PubSubNumSub(ctx, st.Prefix+"k:lock").Val()[st.Prefix+"k:lock"]
		if n == waiters {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d waiters subscribed to the release", n, waiters)
		}
		time.Sleep(5 * time.Millisecond) // a real Redis: its subscriptions are polled
	}
	mu.Lock()
	released = time.Now()
	mu.Unlock()
	unlock()
	for range waiters {
		select {
		case d := <-got:
			is.True(d < 5*time.Second) // each took the lock once the previous holder released it
		case <-time.After(10 * time.Second):
			t.Fatal("a waiter was not woken by the release")
		}
	}
}

func TestUnlockOnlyByOwner(t *testing.T) {
	is := is.New(t)
	st := newStore(t)
	st.LockTTL = 200 * time.Millisecond
	ctx := context.Background()
	lockKey := st.Prefix + "k:lock"

	unlockA, err := st.Lock(ctx, "k")
	is.NoErr(err)
	time.Sleep(300 * time.Millisecond) // A's lock expires while A still works
	st.LockTTL = 10 * time.Second
	unlockB, err := st.Lock(ctx, "k")
	is.NoErr(err)
	owner := st.Client.Get(ctx, lockKey).Val()

	unlockA()                                          // late: must not release B's lock
	is.Equal(st.Client.Get(ctx, lockKey).Val(), owner) // B still holds the lock
	wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = st.Lock(wctx, "k")
	is.True(errors.Is(err, context.DeadlineExceeded)) // so a third process waits

	unlockB()
	unlockB()                                                // idempotent
	is.Equal(st.Client.Exists(ctx, lockKey).Val(), int64(0)) // released by its owner
}

func TestLockGivesUp(t *testing.T) {
	is := is.New(t)
	st := newStore(t)
	ctx := context.Background()
	unlock, err := st.Lock(ctx, "k")
	is.NoErr(err)
	defer unlock()

	wctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = st.Lock(wctx, "k")
	is.True(errors.Is(err, context.DeadlineExceeded))           // the error wraps ctx's
	is.True(strings.HasPrefix(err.Error(), "redisstore: lock")) // and names the package
	is.True(time.Since(start) < time.Second)                    // it gave up with ctx

	done, cancel2 := context.WithCancel(ctx)
	cancel2()
	_, err = st.Lock(done, "other")
	is.True(errors.Is(err, context.Canceled)) // an ended ctx takes no lock
}

func TestRedisDownFailsFast(t *testing.T) {
	is := is.New(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	is.NoErr(err)
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	st := &redisstore.Store{Client: newClient(t, addr), Timeout: 200 * time.Millisecond}
	checkFailsFast(t, st)
}

func TestRedisStallsFailsFast(t *testing.T) {
	is := is.New(t)
	l, err := net.Listen("tcp", "127.0.0.1:0") // accepts, reads and never answers
	is.NoErr(err)
	var conns sync.WaitGroup
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Go(func() {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			})
		}
	}()
	t.Cleanup(func() { l.Close(); conns.Wait() })
	st := &redisstore.Store{Client: newClient(t, l.Addr().String()), Timeout: 200 * time.Millisecond}
	checkFailsFast(t, st)
}

// checkFailsFast checks that every method of st, whose Redis does not
// answer, fails within a few Timeouts with a redisstore error.
func checkFailsFast(t *testing.T, st *redisstore.Store) {
	ctx := context.Background()
	ops := map[string]func() error{
		"load":   func() error { _, err := st.Load(ctx, "k"); return err },
		"save":   func() error { return st.Save(ctx, "k", []byte("v"), time.Now().Add(time.Hour)) },
		"delete": func() error { return st.Delete(ctx, "k", []byte("v")) },
		"lock":   func() error { _, err := st.Lock(ctx, "k"); return err },
	}
	for op, fn := range ops {
		start := time.Now()
		err := fn()
		d := time.Since(start)
		if !isStoreError(err) || !strings.HasPrefix(err.Error(), "redisstore: "+op+": ") {
			t.Errorf("%s: err = %v; want a wrapped redisstore: %s error", op, err, op)
		}
		if d > 2*time.Second {
			t.Errorf("%s took %v; want about Timeout (200ms)", op, d)
		}
	}
}

func TestCooldown(t *testing.T) {
	is := is.New(t)
	srv, err := startRedis()
	if err != nil {
		t.Skip(err)
	}
	defer srv.Stop()
	ctx := context.Background()
	st := &redisstore.Store{Client: newClient(t, srv.Addr), Timeout: 300 * time.Millisecond, Cooldown: 500 * time.Millisecond}
	is.NoErr(st.Save(ctx, "k", []byte("v"), time.Time{}))

	srv.Stop()
	_, err = st.Load(ctx, "k")
	is.True(isStoreError(err)) // Redis is gone
	start := time.Now()
	_, err = st.Lock(ctx, "k")
	is.True(time.Since(start) < 50*time.Millisecond)                              // the next call fails at once
	is.True(strings.HasPrefix(err.Error(), "redisstore: lock: not asking Redis")) // and says why
	t.Logf("during the cooldown: %v", err)
	_, loadErr := st.Load(ctx, "k")
	is.True(errors.Is(loadErr, errors.Unwrap(errors.Unwrap(err)))) // both wrap the failure that started the cooldown

	_, port, _ := net.SplitHostPort(srv.Addr)
	again, err := startRedisAt(srv.bin, port) // Redis is back
	is.NoErr(err)
	defer again.Stop()
	time.Sleep(500 * time.Millisecond)
	b, err := st.Load(ctx, "k")
	is.NoErr(err)     // asked again after the cooldown
	is.True(b == nil) // a Redis without persistence restarts empty

	// Error replies mean that Redis is up: they start no cooldown.
	is.NoErr(st.Client.LPush(ctx, redisstore.DefaultPrefix+"list", "x").Err())
	_, err = st.Load(ctx, "list")
	is.True(isStoreError(err)) // WRONGTYPE
	_, err = st.Load(ctx, "k")
	is.NoErr(err) // no cooldown
}

func TestUnlockDuringCooldown(t *testing.T) {
	is := is.New(t)
	st := newStore(t)
	ctx := context.Background()
	unlock, err := st.Lock(ctx, "k")
	is.NoErr(err)

	st.Timeout = time.Nanosecond // Redis "stalls"
	_, err = st.Load(ctx, "k")
	is.True(strings.Contains(err.Error(), "no answer within 1ns")) // a timeout starts a cooldown
	st.Timeout = 0
	_, err = st.Load(ctx, "k")
	is.True(strings.Contains(err.Error(), "not asking Redis")) // the cooldown is on

	unlock()
	is.Equal(st.Client.Exists(ctx, st.Prefix+"k:lock").Val(), int64(0)) // the lock is released all the same
}

func TestNoClient(t *testing.T) {
	is := is.New(t)
	var st redisstore.Store
	ctx := context.Background()
	_, err := st.Load(ctx, "k")
	is.Equal(err.Error(), "redisstore: Store.Client is nil")
	is.True(st.Save(ctx, "k", nil, time.Time{}) != nil)
	is.True(st.Delete(ctx, "k", nil) != nil)
	_, err = st.Lock(ctx, "k")
	is.True(err != nil)
}

func TestFormatHidesClient(t *testing.T) {
	is := is.New(t)
	client := redis.NewClient(&redis.Options{Addr: "redis.internal:6379", Password: "s3cret-redis-password"})
	defer client.Close()
	st := redisstore.New(client)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, st)
		is.Equal(out, `redisstore.Store{Prefix:"loginauth:"}`) // no address, no password
	}
}
