module github.com/loginauth/loginauth/redisstore

go 1.26.0

require (
	github.com/loginauth/loginauth v0.0.0-00010101000000-000000000000
	github.com/matryer/is v1.4.1
	github.com/redis/go-redis/v9 v9.23.0
	golang.org/x/oauth2 v0.38.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)

replace github.com/loginauth/loginauth => ../
