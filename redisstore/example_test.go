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
// logs in, the others find its token in Redis. Here three replicas call a
// fake Xano; the Redis is at $LOGINAUTH_REDIS_ADDR, which run-tests.sh
// (or the tests' TestMain) sets.
func Example() {
	api := xanotest.NewServer() // yours is at https://<instance>.xano.io/api:<group>
	defer api.Close()

	replica := func() *http.Client {
		client := redis.NewClient(&redis.Options{
			Addr:                  os.Getenv("LOGINAUTH_REDIS_ADDR"),
			ContextTimeoutEnabled: true, // let Store.Timeout bound reads and writes
		})
		src := xano.NewSource(xano.Config{
			BaseURL:  api.BaseURL(),
			Email:    xanotest.Email,
			Password: xanotest.Password, // os.Getenv("XANO_PASSWORD")
			Options:  loginauth.Options{Store: redisstore.New(client)},
		})
		return &http.Client{Transport: loginauth.NewTransport(src, nil)}
	}
	for i := range 3 {
		resp, err := replica().Get(api.BaseURL() + xano.MePath)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println("replica", i+1, resp.Status)
	}
	fmt.Println("logins:", api.Logins())
	// Output:
	// replica 1 200 OK
	// replica 2 200 OK
	// replica 3 200 OK
	// logins: 1
}

// TestStoreKey checks the key of a Source's token: it names the provider,
// the base URL and the account, and Redis forgets it when Xano's token
// expires.
func TestStoreKey(t *testing.T) {
	st := newStore(t)
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	src := xano.NewSource(xano.Config{
		BaseURL:  srv.BaseURL(),
		Email:    xanotest.Email,
		Password: xanotest.Password,
		Options:  loginauth.Options{Store: st},
	})
	_, err := src.Token()
	is.NoErr(err)
	key := st.Prefix + "xano " + srv.BaseURL() + " " + xanotest.Email
	ttl := newClient(t, redisAddr).PTTL(context.Background(), key).Val()
	is.True(ttl > xano.DefaultLifetime-time.Minute && ttl <= xano.DefaultLifetime) // the TTL is the token's lifetime
}
