package redisstore_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/redis/go-redis/v9"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/redisstore"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xano/xanotest"
)

// Every replica of a service that calls a Xano API group as one account
// gives its Source the same Redis: the first replica that needs a token
// logs in, the others find its token in Redis. It needs a running Redis,
// so it is compiled but not run; TestExample runs the same code against
// the tests' Redis and a fake Xano.
func Example() {
	client := redis.NewClient(&redis.Options{
		Addr:                  "localhost:6379",
		ContextTimeoutEnabled: true, // let Store.Timeout bound reads and writes
	})
	defer client.Close()

	base := "https://x1a2-b3c4.n7.xano.io/api:AbCdEfGh"
	src := xano.NewSource(xano.Config{
		BaseURL:  base,
		Email:    "reports@example.com",
		Password: os.Getenv("XANO_PASSWORD"),
		Options:  loginauth.Options{Store: redisstore.New(client)},
	})
	httpClient := &http.Client{Transport: loginauth.NewTransport(src, nil)}
	resp, err := httpClient.Get(base + xano.MePath)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
}

func TestExample(t *testing.T) {
	needRedis(t)
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	prefix := newPrefix(t)

	replica := func() *http.Client {
		client := redis.NewClient(&redis.Options{Addr: redisAddr, ContextTimeoutEnabled: true})
		t.Cleanup(func() { client.Close() })
		st := redisstore.New(client)
		st.Prefix = prefix
		src := xano.NewSource(xano.Config{
			BaseURL:  srv.BaseURL(),
			Email:    xanotest.Email,
			Password: xanotest.Password,
			Options:  loginauth.Options{Store: st},
		})
		return &http.Client{Transport: loginauth.NewTransport(src, nil)}
	}
	for range 3 {
		resp, err := replica().Get(srv.BaseURL() + xano.MePath)
		is.NoErr(err)
		resp.Body.Close()
		is.Equal(resp.StatusCode, http.StatusOK)
	}
	is.Equal(srv.Logins(), int64(1)) // three replicas, one login

	// The key names the provider, the base URL and the account; the value
	// is the token, which Redis forgets when Xano's token expires.
	key := prefix + "xano " + srv.BaseURL() + " " + xanotest.Email
	ttl := newClient(t, redisAddr).PTTL(context.Background(), key).Val()
	is.True(ttl > xano.DefaultLifetime-time.Minute && ttl <= xano.DefaultLifetime) // the TTL is the token's lifetime
}
