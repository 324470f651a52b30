package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"sync"
	"syscall"
	"time"

	"github.com/loginauth/loginauth"
)

// Labels of the token cache besides the account's (see account.labels).
const (
	// labelFingerprint holds the [jsonlogin.Spec.Fingerprint] of the
	// description a token was stored for.
	labelFingerprint = "fingerprint"
	// labelToken is "refused" on an entry that keeps the account of a
	// refused token, and no token.
	labelToken = "token"
)

// refusedMarker is the value of an entry that keeps an account whose
// token the API refused: not a token, so that no Source loads it.
var refusedMarker = []byte(`{"loginauth":"refused"}`)

// labelingStore is the FileStore that labels every token it saves with
// its account, so that status can list it and later runs find it; that
// keeps the account when a refused token is deleted; and that refuses a
// token stored for a description that sent credentials elsewhere.
type labelingStore struct {
	*loginauth.FileStore
	labels map[string]string
	// purge makes a Delete remove the entry whole, account and all, and
	// Load return what the file holds: for login and logout, which
	// forget the stored token on purpose.
	purge bool
	// changed is called when a stored token's fingerprint is not the
	// description's: the token is not used.
	changed func()
	// mu makes each method's steps one, within the process: a Source
	// deletes a refused token in the background, and the relabelling of
	// a Load must not take the entry that a Delete is turning into an
	// account without a token for one stored before labels.
	mu sync.Mutex
}

// Load returns the stored token, unless the entry holds none (a refused
// token's account) or the token was stored for a description that sends
// credentials elsewhere. A token stored without a fingerprint is taken
// once, and labelled with the description's.
func (s *labelingStore) Load(ctx context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.FileStore.Load(ctx, key)
	if err != nil || b == nil || s.purge {
		return b, err
	}
	if bytes.Equal(b, refusedMarker) {
		return nil, nil
	}
	want := s.labels[labelFingerprint]
	if want == "" {
		return b, nil // a built-in provider: its key says it all
	}
	switch got := s.storedLabels(ctx, key)[labelFingerprint]; got {
	case want:
	case "":
		if err := s.FileStore.SetLabels(ctx, key, s.labels); err != nil {
			return nil, err
		}
	default:
		if s.changed != nil {
			s.changed()
		}
		return nil, nil
	}
	return b, nil
}

// storedLabels returns the labels of the entry of key, or nil.
func (s *labelingStore) storedLabels(ctx context.Context, key string) map[string]string {
	list, _ := s.FileStore.List(ctx)
	for _, e := range list {
		if e.Key == key {
			return e.Labels
		}
	}
	return nil
}

// Save saves the token and labels it.
func (s *labelingStore) Save(ctx context.Context, key string, value []byte, expiry time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.FileStore.Save(ctx, key, value, expiry); err != nil {
		return err
	}
	return s.FileStore.SetLabels(ctx, key, s.labels)
}

// Delete deletes the token under key if it is still value. Unless purge
// is set, the entry stays, with its labels and without a token, so that
// later runs still know the account of a refused token.
func (s *labelingStore) Delete(ctx context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.FileStore.Delete(ctx, key, value); err != nil || s.purge {
		return err
	}
	if b, err := s.FileStore.Load(ctx, key); err != nil || b != nil {
		return err // another process stored a token meanwhile
	}
	if err := s.FileStore.Save(ctx, key, refusedMarker, time.Time{}); err != nil {
		return err
	}
	l := maps.Clone(s.labels)
	l[labelToken] = "refused"
	return s.FileStore.SetLabels(ctx, key, l)
}

// saveWatch records the first failure of a Source to save a token.
type saveWatch struct {
	mu  sync.Mutex
	err error
	// report, if set, is called with the first failure.
	report func(error)
}

// observe is an [loginauth.EventFunc]: it records a failed save.
func (w *saveWatch) observe(ev loginauth.Event) {
	if ev.Kind != loginauth.EventStoreError || ev.Op != "save" {
		return
	}
	w.mu.Lock()
	first := w.err == nil
	if first {
		w.err = ev.Err
	}
	report := w.report
	w.mu.Unlock()
	if first && report != nil {
		report(ev.Err)
	}
}

// failed returns the first failure, or nil.
func (w *saveWatch) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// storeFix says what can make the token cache dir writable again after
// err: a read-only file system needs another directory, not a chmod.
func storeFix(dir string, err error) string {
	other := "choose another directory with --cache-dir or LOGINAUTH_CACHE_DIR"
	switch {
	case dir == "":
		return "check the store given with --store"
	case errors.Is(err, syscall.EROFS):
		return fmt.Sprintf("%s is on a read-only file system: %s", dir, other)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("you cannot write in %s: make it writable with 'chmod u+w %s' if it is yours, or %s", dir, argQuote(dir), other)
	}
	return other
}

// boundStore binds the tokens of a description in a store without labels
// (--store, such as Redis) to the description's fingerprint, as the
// FileStore's label does: each value is saved in an envelope with it,
// and a value whose fingerprint differs is not loaded. A value saved
// without an envelope, by an earlier loginauth, is loaded, and saved in
// one with the next token.
type boundStore struct {
	loginauth.Store
	fingerprint string
	purge       bool   // login and logout: load what is stored, as it is
	changed     func() // called when a stored token's fingerprint differs
	mu          sync.Mutex
	sealed      map[string][]byte // a token → its envelope, for Delete
}

// envelope is a token saved by a boundStore.
type envelope struct {
	Fingerprint string          `json:"fingerprint"`
	Token       json.RawMessage `json:"token"`
}

// bindStore returns st bound to fingerprint, a Locker when st is one.
func bindStore(st loginauth.Store, fingerprint string, purge bool, changed func()) loginauth.Store {
	b := &boundStore{Store: st, fingerprint: fingerprint, purge: purge, changed: changed, sealed: map[string][]byte{}}
	if l, ok := st.(loginauth.Locker); ok {
		return struct {
			*boundStore
			loginauth.Locker
		}{b, l}
	}
	return b
}

// Load returns the token under key, unless its envelope names another
// fingerprint.
func (s *boundStore) Load(ctx context.Context, key string) ([]byte, error) {
	b, err := s.Store.Load(ctx, key)
	if err != nil || b == nil {
		return b, err
	}
	var e envelope
	if json.Unmarshal(b, &e) != nil || e.Fingerprint == "" || e.Token == nil {
		return b, nil // saved before envelopes
	}
	if e.Fingerprint != s.fingerprint && !s.purge {
		if s.changed != nil {
			s.changed()
		}
		return nil, nil
	}
	s.mu.Lock()
	s.sealed[string(e.Token)] = b
	s.mu.Unlock()
	return e.Token, nil
}

// Save saves value in an envelope with the fingerprint.
func (s *boundStore) Save(ctx context.Context, key string, value []byte, expiry time.Time) error {
	b, err := json.Marshal(envelope{Fingerprint: s.fingerprint, Token: value})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.sealed[string(value)] = b
	s.mu.Unlock()
	return s.Store.Save(ctx, key, b, expiry)
}

// Delete deletes the token under key if it is still value, in the
// envelope it was loaded or saved in.
func (s *boundStore) Delete(ctx context.Context, key string, value []byte) error {
	s.mu.Lock()
	b, ok := s.sealed[string(value)]
	s.mu.Unlock()
	if !ok {
		b = value
	}
	return s.Store.Delete(ctx, key, b)
}
