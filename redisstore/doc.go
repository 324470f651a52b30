// Package redisstore keeps the tokens of [loginauth.Source]s in Redis, so
// that the processes of a fleet that use one account share one token and
// log in once between them, instead of once each.
//
// A [Store] is a [loginauth.Store] and a [loginauth.Locker]; give it to a
// Source through [loginauth.Options.Store]:
//
//	client := redis.NewClient(&redis.Options{
//		Addr:                  "redis.internal:6379",
//		ContextTimeoutEnabled: true, // let Store.Timeout bound reads and writes
//	})
//	src := xano.NewSource(xano.Config{
//		BaseURL: base, Email: email, Password: password,
//		Options: loginauth.Options{Store: redisstore.New(client)},
//	})
//	httpClient := &http.Client{Transport: loginauth.NewTransport(src, nil)}
//
// # Keys and values
//
// The token of a Source is the string value at [Store.Prefix] followed by
// the Source's store key ([loginauth.Config.StoreKey]), which names the
// provider, the base URL and the user, never a secret. It is written with
// SET and a TTL equal to the token's remaining lifetime, so that Redis
// forgets it when it expires. A refused token is removed with a
// compare-and-delete script: a replica that was refused an old token never
// deletes the newer one that another replica has just saved.
//
// # The login lock
//
// Before a Source logs in, it takes the lock of its key: the value at the
// token's key followed by ":lock", set with SET NX PX [Store.LockTTL] to a
// random value that names the holder. The holder logs in, saves the token
// and releases the lock with a compare-and-delete script that also
// publishes on a channel of the same name. The others wait on that channel
// and, at the latest, until the lock's TTL ends or [Store.LockPoll] has
// passed; once they hold the lock they read the Store again and find the
// new token. A fleet that starts at once thus logs in once.
//
// A holder that dies before it releases the lock stops nobody for longer
// than LockTTL: the lock expires, the next Source takes it and, as no token
// appeared, logs in itself.
//
// # Failures
//
// Each command is bounded by [Store.Timeout], so that a Redis that is down
// or stalls fails fast, and once Redis could not be reached, calls fail at
// once for [Store.Cooldown] instead of each waiting for it again. Errors
// start with "redisstore:" and wrap the client's error. A Source logs them and carries on alone: it logs in
// without the lock and keeps its token in memory, and requests never fail
// because of the Store.
package redisstore
