package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/loginauth/loginauth"
)

// Defaults for the zero values of [Store].
const (
	// DefaultPrefix starts every key a Store writes.
	DefaultPrefix = "loginauth:"
	// DefaultLockTTL is how long a login lock lives when its holder does
	// not release it. It should exceed the time a login takes.
	DefaultLockTTL = 10 * time.Second
	// DefaultLockPoll is the longest a waiter sleeps between two attempts
	// at a lock when no release is announced.
	DefaultLockPoll = 100 * time.Millisecond
	// DefaultTimeout bounds each Redis command.
	DefaultTimeout = 500 * time.Millisecond
	// DefaultCooldown is how long a Store stops asking a Redis that could
	// not be reached.
	DefaultCooldown = time.Second
)

// lockSuffix follows a token's key to make the key of its login lock.
const lockSuffix = ":lock"

var (
	// deleteScript deletes KEYS[1] if, and only if, it holds ARGV[1].
	deleteScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

	// unlockScript releases the lock KEYS[1] if, and only if, ARGV[1]
	// holds it, and announces the release on the channel KEYS[1].
	unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
	redis.call("DEL", KEYS[1])
	redis.call("PUBLISH", KEYS[1], "released")
	return 1
end
return 0`)
)

// Store is a [loginauth.Store] and [loginauth.Locker] in Redis. It is safe
// for concurrent use, by any number of Sources and processes. Only Client
// is required; every other zero value means a default. Do not change the
// fields, or copy the Store, once it is in use.
type Store struct {
	// Client talks to Redis: a *redis.Client, *redis.ClusterClient or
	// *redis.Ring. Set ContextTimeoutEnabled in its options, so that
	// Timeout bounds socket reads and writes too; without it, Timeout
	// bounds dials and waits for a connection, and the client's own
	// ReadTimeout and WriteTimeout bound a server that stalls.
	Client redis.UniversalClient

	// Prefix starts every key the Store writes, so that one Redis can
	// serve other uses and other fleets. Empty means [DefaultPrefix].
	Prefix string

	// LockTTL is how long a login lock lives when its holder dies before
	// releasing it: the other processes wait that long at most. It should
	// exceed the time a login takes, or a slow login lets a second process
	// log in as well. Zero means [DefaultLockTTL].
	LockTTL time.Duration

	// LockPoll is the longest a process waits between two attempts at a
	// held lock. A release is announced and wakes the waiters at once, and
	// a waiter also tries again when the lock's TTL ends; polling only
	// covers an announcement that was lost. Zero means [DefaultLockPoll].
	LockPoll time.Duration

	// Timeout bounds each Redis command, so that a Redis that is down or
	// stalls fails fast: the Source then carries on without it. Zero means
	// [DefaultTimeout].
	Timeout time.Duration

	// Cooldown is how long, after a command failed because Redis could not
	// be reached or did not answer within Timeout, every call fails at
	// once with that failure instead of waiting for Redis again: the
	// login that follows a refusal then waits for one Timeout, not one
	// per command. Error replies from Redis do not start it. Zero means
	// [DefaultCooldown]; a negative value turns it off.
	Cooldown time.Duration

	mu        sync.Mutex // guards downUntil and downErr
	downUntil time.Time  // the end of the cooldown
	downErr   error      // the failure that started it
}

var (
	_ loginauth.Store  = (*Store)(nil)
	_ loginauth.Locker = (*Store)(nil)
)

// New returns a Store that keeps tokens in the Redis of client, with the
// default settings.
func New(client redis.UniversalClient) *Store {
	return &Store{Client: client}
}

// Load returns the token saved under key, or nil and no error when there
// is none or it has expired.
func (s *Store) Load(ctx context.Context, key string) ([]byte, error) {
	var b []byte
	err := s.do(ctx, "load", func(ctx context.Context) error {
		var err error
		b, err = s.Client.Get(ctx, s.key(key)).Bytes()
		if errors.Is(err, redis.Nil) {
			b, err = nil, nil
		}
		return err
	})
	return b, err
}

// Save saves value under key with a TTL of the time left until expiry, as
// the local clock tells it; a zero expiry means no TTL. A value that has
// already expired is not saved.
func (s *Store) Save(ctx context.Context, key string, value []byte, expiry time.Time) error {
	var ttl time.Duration
	if !expiry.IsZero() {
		ttl = time.Until(expiry)
		if ttl <= 0 {
			return s.check()
		}
		ttl = (ttl + time.Millisecond - 1).Truncate(time.Millisecond) // PX counts whole milliseconds
	}
	return s.do(ctx, "save", func(ctx context.Context) error {
		return s.Client.Set(ctx, s.key(key), value, ttl).Err()
	})
}

// Delete removes the value under key if, and only if, it still equals
// value, in one script, so that no other process can save in between.
func (s *Store) Delete(ctx context.Context, key string, value []byte) error {
	return s.do(ctx, "delete", func(ctx context.Context) error {
		return deleteScript.Run(ctx, s.Client, []string{s.key(key)}, value).Err()
	})
}

// Lock takes the login lock of key, waiting at most until ctx ends, and
// returns the function that releases it. The lock expires after
// [Store.LockTTL] if it is not released. Releasing is idempotent and
// removes the lock only while this call's holder still owns it; if it
// fails, the lock expires after LockTTL.
//
// An error means that the lock was not taken: Redis failed, or ctx ended
// first (the error then wraps ctx.Err()).
func (s *Store) Lock(ctx context.Context, key string) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redisstore: lock: %w", err)
	}
	lock := s.key(key) + lockSuffix
	owner := rand.Text()
	ok, wait, err := s.tryLock(ctx, lock, owner)
	if err == nil && !ok {
		err = s.waitLock(ctx, lock, owner, wait)
	}
	if err != nil {
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			// Even during a cooldown: a lock left behind would hold up the
			// other processes for LockTTL. On failure it expires then.
			s.run(context.Background(), "unlock", func(ctx context.Context) error {
				return unlockScript.Run(ctx, s.Client, []string{lock}, owner).Err()
			})
		})
	}, nil
}

// tryLock makes one attempt at lock. When the lock is held, it returns how
// long to wait before the next attempt: until the lock expires, but no
// longer than LockPoll.
func (s *Store) tryLock(ctx context.Context, lock, owner string) (ok bool, wait time.Duration, err error) {
	err = s.do(ctx, "lock", func(ctx context.Context) error {
		var err error
		ok, err = s.Client.SetNX(ctx, lock, owner, s.lockTTL()).Result()
		if err != nil || ok {
			return err
		}
		wait = s.lockPoll()
		switch ttl, err := s.Client.PTTL(ctx, lock).Result(); {
		case err != nil || ttl == -1: // no TTL: someone else's key; poll
		case ttl == -2: // released or expired since the SET
			wait = 0
		case ttl < wait:
			wait = ttl
		}
		return nil
	})
	return ok, wait, err
}

// waitLock waits for lock until it takes it or ctx ends. It listens for
// the announcements of releases, so that it tries again as soon as the
// holder lets go, and polls in case the holder dies or an announcement is
// lost.
func (s *Store) waitLock(ctx context.Context, lock, owner string, wait time.Duration) error {
	sctx, cancel := s.command(ctx)
	sub := s.Client.Subscribe(sctx, lock)
	defer sub.Close()
	_, err := sub.Receive(sctx) // the confirmation of the subscription
	cancel()
	var released <-chan *redis.Message
	if err == nil {
		released = sub.Channel()
		wait = 0 // the holder may have let go before the subscription started
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("redisstore: lock: gave up waiting: %w", ctx.Err())
		case _, open := <-released:
			if !open {
				released = nil // poll from now on
			}
		case <-timer.C:
		}
		ok, next, err := s.tryLock(ctx, lock, owner)
		if err != nil || ok {
			return err
		}
		timer.Reset(next)
	}
}

// do runs the command fn unless Redis is cooling down.
func (s *Store) do(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := s.cooling(); err != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	return s.run(ctx, op, fn)
}

// run runs the command fn, bounded by Timeout, and names op in its error.
// A failure to reach Redis starts a cooldown; an error reply from Redis,
// or the end of the caller's ctx, does not.
func (s *Store) run(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	cctx, cancel := s.command(ctx)
	err := fn(cctx)
	timedOut := ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded)
	cancel()
	switch _, reply := errors.AsType[redis.Error](err); {
	case err == nil:
		return nil
	case timedOut:
		err = fmt.Errorf("no answer within %v: %w", s.timeout(), err)
		s.coolDown(err)
	case !reply && ctx.Err() == nil:
		s.coolDown(err)
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

// cooling returns the failure that started the cooldown while it lasts,
// and nil otherwise.
func (s *Store) cooling() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.downErr == nil || !time.Now().Before(s.downUntil) {
		return nil
	}
	return &cooldownError{until: s.downUntil, err: s.downErr}
}

// coolDown starts a cooldown after err.
func (s *Store) coolDown(err error) {
	d := s.Cooldown
	if d < 0 {
		return
	}
	if d == 0 {
		d = DefaultCooldown
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.downUntil, s.downErr = time.Now().Add(d), err
}

// cooldownError is the error of a call made during a cooldown. It
// unwraps to the failure that started the cooldown.
type cooldownError struct {
	until time.Time
	err   error
}

func (e *cooldownError) Error() string {
	return fmt.Sprintf("not asking Redis for %v after: %v", time.Until(e.until).Round(time.Millisecond), e.err)
}

func (e *cooldownError) Unwrap() error { return e.err }

// Format prints the prefix only; never the client's address or
// credentials, nor a token.
func (s *Store) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "redisstore.Store{Prefix:%q}", s.prefix())
}

func (s *Store) check() error {
	if s.Client == nil {
		return errors.New("redisstore: Store.Client is nil")
	}
	return nil
}

// command returns the context of one Redis command.
func (s *Store) command(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout())
}

func (s *Store) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

func (s *Store) key(key string) string { return s.prefix() + key }

func (s *Store) prefix() string {
	if s.Prefix != "" {
		return s.Prefix
	}
	return DefaultPrefix
}

func (s *Store) lockTTL() time.Duration {
	if s.LockTTL > 0 {
		return s.LockTTL
	}
	return DefaultLockTTL
}

func (s *Store) lockPoll() time.Duration {
	if s.LockPoll > 0 {
		return s.LockPoll
	}
	return DefaultLockPoll
}
