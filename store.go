package loginauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// storeTimeout bounds each Load, Save and Delete that a Source makes.
const storeTimeout = 5 * time.Second

// Store keeps tokens beyond one Source: across restarts of a process, or
// between the processes of a fleet. Keys name the provider, the base URL
// and the user, never a secret. Values are opaque bytes that a Source
// encodes and decodes; a Store only keeps them.
//
// A Source never fails a request because of its Store: it logs the error
// and carries on in memory.
type Store interface {
	// Load returns the value saved under key, or nil and no error when
	// there is none.
	Load(ctx context.Context, key string) ([]byte, error)
	// Save saves value under key. The Store may forget it after expiry
	// (zero: never expires).
	Save(ctx context.Context, key string, value []byte, expiry time.Time) error
	// Delete removes the value under key if, and only if, it still equals
	// value, so that a stale refusal never deletes a newer token.
	Delete(ctx context.Context, key string, value []byte) error
}

// Locker is implemented by a [Store] that can make the processes sharing
// it log in one at a time. Before logging in, a Source takes the lock,
// reads the Store again (another process may just have logged in), and
// releases the lock once it has saved its own token.
type Locker interface {
	// Lock waits, at most until ctx ends, for the login lock of key, and
	// returns the function that releases it.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// MemoryStore is a [Store] in memory, for Sources of one process that
// share an account, and for tests. Its zero value is ready to use.
type MemoryStore struct {
	mu sync.Mutex // guards m
	m  map[string]memoryValue
	// Now returns the current time for expiry. Nil means [time.Now].
	Now func() time.Time
}

type memoryValue struct {
	value  []byte
	expiry time.Time
}

// Load returns the unexpired value under key.
func (m *MemoryStore) Load(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[key]
	if !ok {
		return nil, nil
	}
	if !v.expiry.IsZero() && !m.now().Before(v.expiry) {
		delete(m.m, key)
		return nil, nil
	}
	return bytes.Clone(v.value), nil
}

// Save saves a copy of value under key until expiry.
func (m *MemoryStore) Save(_ context.Context, key string, value []byte, expiry time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[string]memoryValue)
	}
	m.m[key] = memoryValue{value: bytes.Clone(value), expiry: expiry}
	return nil
}

// Delete removes the value under key if it still equals value.
func (m *MemoryStore) Delete(_ context.Context, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.m[key]; ok && bytes.Equal(v.value, value) {
		delete(m.m, key)
	}
	return nil
}

func (m *MemoryStore) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Format prints the number of keys only; never a token.
func (m *MemoryStore) Format(f fmt.State, verb rune) {
	m.mu.Lock()
	n := len(m.m)
	m.mu.Unlock()
	fmt.Fprintf(f, "loginauth.MemoryStore{keys:%d}", n)
}

// storedToken is the encoding of a token in a Store.
type storedToken struct {
	AccessToken  string         `json:"access_token"`
	TokenType    string         `json:"token_type,omitempty"`
	RefreshToken string         `json:"refresh_token,omitempty"`
	Expiry       time.Time      `json:"expiry,omitzero"`
	Extra        map[string]any `json:"extra,omitempty"`
}

// encodeToken encodes tok with the Extra fields named in keep.
func encodeToken(tok *oauth2.Token, keep []string) ([]byte, error) {
	st := storedToken{AccessToken: tok.AccessToken, TokenType: tok.TokenType, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}
	for _, k := range keep {
		if v := tok.Extra(k); v != nil {
			if st.Extra == nil {
				st.Extra = make(map[string]any)
			}
			st.Extra[k] = v
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("loginauth: encoding the token for the store: %w", err)
	}
	return b, nil
}

// decodeToken decodes what encodeToken encoded. A torn or corrupt value is
// an error, which callers treat as no value.
func decodeToken(b []byte) (*oauth2.Token, error) {
	var st storedToken
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("loginauth: stored token is corrupt: %w", err)
	}
	if st.AccessToken == "" {
		return nil, errors.New("loginauth: stored token has no access token")
	}
	tok := &oauth2.Token{AccessToken: st.AccessToken, TokenType: st.TokenType, RefreshToken: st.RefreshToken, Expiry: st.Expiry}
	if st.Extra != nil {
		tok = tok.WithExtra(st.Extra)
	}
	return tok, nil
}

// defaultStoreKey names the provider and the origins.
func defaultStoreKey(provider string, origins []origin) string {
	key := provider
	for _, o := range origins {
		key += " " + o.String()
	}
	return key
}

// loadStored returns an entry for the stored token when there is one that
// is fresh and is not the token that cur says was refused. Otherwise it
// returns as stale a stored token that holds a refresh token, so that a
// refresh can use it.
func (s *Source) loadStored(ctx context.Context, cur *entry) (fresh, stale *entry) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	b, err := s.cfg.Store.Load(ctx, s.cfg.StoreKey)
	if err != nil {
		s.storeError("load", err)
		return nil, nil
	}
	if b == nil {
		return nil, nil
	}
	tok, err := decodeToken(b)
	if err != nil {
		s.storeError("decode", err)
		return nil, nil
	}
	now := s.now()
	e := s.newEntry(tok, now)
	e.stored = string(b)
	expired := !tok.Expiry.IsZero() && !now.Before(tok.Expiry) // newEntry ignores a past expiry
	if expired || (cur != nil && cur.revoked && cur.tok.AccessToken == tok.AccessToken) || !e.fresh(now) {
		if tok.RefreshToken == "" {
			return nil, nil
		}
		return nil, e
	}
	s.debug("token loaded from store")
	return e, nil
}

// storeExpiry is the expiry under which e is saved: its own, or none when
// its refresh token can renew it after it expires.
func (s *Source) storeExpiry(e *entry) time.Time {
	if s.cfg.Refresh != nil && e.tok.RefreshToken != "" {
		return time.Time{}
	}
	return e.tok.Expiry
}

// save saves the token of e, and remembers its encoding for Delete.
func (s *Source) save(ctx context.Context, e *entry) {
	b, err := encodeToken(e.tok, s.cfg.KeepExtra)
	if err != nil {
		s.storeError("encode", err)
		return
	}
	e.stored = string(b)
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := s.cfg.Store.Save(ctx, s.cfg.StoreKey, b, s.storeExpiry(e)); err != nil {
		s.storeError("save", err)
	}
}

// forgetStored deletes b, the stored encoding of a refused token, bounded
// by the store timeout, then marks wg done; a failure is an
// EventStoreError. It runs in a goroutine of its own, off the request
// path: a re-send need not wait for it, since loadStored takes the
// refused token for stale, and Delete compares before it deletes, so that
// a late delete never removes a newer token.
func (s *Source) forgetStored(wg *sync.WaitGroup, b string) {
	defer wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := s.cfg.Store.Delete(ctx, s.cfg.StoreKey, []byte(b)); err != nil {
		s.storeError("delete", err)
	}
}

// lock takes the Store's login lock, when it has one; a failure to take it
// is logged and the login goes ahead unlocked.
func (s *Source) lock(ctx context.Context) func() {
	l, ok := s.cfg.Store.(Locker)
	if !ok {
		return func() {}
	}
	unlock, err := l.Lock(ctx, s.cfg.StoreKey)
	if err != nil {
		s.storeError("lock", err)
		return func() {}
	}
	return unlock
}

// storeError reports a failed Store operation, or a value that does not
// decode.
func (s *Source) storeError(op string, err error) {
	s.emit(Event{Kind: EventStoreError, Op: op, Err: err})
}
