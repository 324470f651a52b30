// Command loginauth is the loginauth command of the core module with one
// store more: --store redis://[USER:PASSWORD@]HOST:PORT/DB keeps the
// tokens in Redis, through the redisstore package, so that the commands
// of every machine of a fleet share one token and one login.
//
//	go install github.com/loginauth/loginauth/redisstore/cmd/loginauth@latest
//	loginauth token xano --store redis://127.0.0.1:6379/0
//
// Every other command, flag and exit status is that of
// github.com/loginauth/loginauth/cmd/loginauth.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/app/cli"
	"github.com/loginauth/loginauth/redisstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], env())
	stop()
	os.Exit(code)
}

// env is the process's Env with the Redis store.
func env() cli.Env {
	e := cli.OSEnv()
	e.Stores = map[string]cli.StoreOpener{"redis": openRedis, "rediss": openRedis}
	return e
}

// openRedis opens the Redis store at rawURL, a redis:// or rediss:// URL
// as redis.ParseURL reads it.
func openRedis(ctx context.Context, rawURL string) (loginauth.Store, func() error, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	c := redis.NewClient(opt)
	return redisstore.New(c), c.Close, nil
}
