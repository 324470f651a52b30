// Package storetest checks that a [loginauth.Store] behaves as a Source
// expects. Every Store in this module, and any Store of a user's, runs it:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) loginauth.Store { return newMyStore(t) })
//	}
package storetest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/loginauth/loginauth"
)

// Run runs the conformance tests against stores made by newStore, which
// must return an empty Store for each call.
func Run(t *testing.T, newStore func(t *testing.T) loginauth.Store) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore(t)) })
	}
}

// cases are the conformance tests, each given an empty Store.
var cases = []struct {
	name string
	run  func(t *testing.T, st loginauth.Store)
}{
	{"LoadMissing", loadMissing},
	{"SaveLoad", saveLoad},
	{"KeysAreSeparate", keysAreSeparate},
	{"Overwrite", overwrite},
	{"DeleteComparesFirst", deleteComparesFirst},
	{"Expired", expired},
	{"Concurrent", concurrent},
	{"Lock", lock},
}

// loadMissing checks that a missing key loads as nil, nil.
func loadMissing(t *testing.T, st loginauth.Store) {
	ctx := context.Background()
	b, err := st.Load(ctx, "provider https://api.example.com:443 nobody")
	if err != nil || b != nil {
		t.Fatalf("Load of a missing key = %q, %v; want nil, nil", b, err)
	}
}

// saveLoad checks that a saved value loads back, as the caller's own copy.
func saveLoad(t *testing.T, st loginauth.Store) {
	ctx := context.Background()
	far := time.Now().Add(time.Hour)
	key := "mic https://api.example.com:443/prod alice"
	val := []byte(`{"access_token":"a","extra":{"identityId":"eu-west-1:x"}}`)
	mustSave(t, st, key, val, far)
	got, err := st.Load(ctx, key)
	if err != nil || !bytes.Equal(got, val) {
		t.Fatalf("Load = %q, %v; want %q", got, err, val)
	}
	got[0] = 'X' // the caller's copy is its own
	again, _ := st.Load(ctx, key)
	if !bytes.Equal(again, val) {
		t.Fatalf("Load after modifying a loaded value = %q; want %q", again, val)
	}
}

// keysAreSeparate checks that keys name separate values, and are not paths.
func keysAreSeparate(t *testing.T, st loginauth.Store) {
	ctx := context.Background()
	far := time.Now().Add(time.Hour)
	mustSave(t, st, "k1", []byte("one"), far)
	mustSave(t, st, "k2", []byte("two"), far)
	mustSave(t, st, "k1/../k2", []byte("three"), far) // keys are not paths
	for key, want := range map[string]string{"k1": "one", "k2": "two", "k1/../k2": "three"} {
		if got, err := st.Load(ctx, key); err != nil || string(got) != want {
			t.Fatalf("Load(%q) = %q, %v; want %q", key, got, err, want)
		}
	}
}

// overwrite checks that a second Save replaces the value.
func overwrite(t *testing.T, st loginauth.Store) {
	ctx := context.Background()
	far := time.Now().Add(time.Hour)
	mustSave(t, st, "k", []byte("old"), far)
	mustSave(t, st, "k", []byte("new"), far)
	if got, _ := st.Load(ctx, "k"); string(got) != "new" {
		t.Fatalf("Load after overwrite = %q; want new", got)
	}
}

// deleteComparesFirst checks that Delete removes the value only while it is the one given.
func deleteComparesFirst(t *testing.T, st loginauth.Store) {
	ctx := context.Background()
	far := time.Now().Add(time.Hour)
	mustSave(t, st, "k", []byte("new"), far)
	if err := st.Delete(ctx, "k", []byte("old")); err != nil {
		t.Fatalf("Delete of a stale value: %v", err)
	}
	if got, _ := st.Load(ctx, "k"); string(got) != "new" {
		t.Fatalf("a stale Delete removed the newer value: Load = %q", got)
	}
	if err := st.Delete(ctx, "k", []byte("new")); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got, err := st.Load(ctx, "k"); err != nil || got != nil {
		t.Fatalf("Load after Delete = %q, %v; want nil, nil", got, err)
	}
	if err := st.Delete(ctx, "missing", []byte("x")); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
}

// expired checks that a value past its expiry loads as nil, nil.
func expired(t *testing.T, st loginauth.Store) {
	ctx := context.Background()
	mustSave(t, st, "k", []byte("v"), time.Now().Add(50*time.Millisecond))
	time.Sleep(1100 * time.Millisecond) // stores may keep whole-second TTLs
	if got, err := st.Load(ctx, "k"); err != nil || got != nil {
		t.Fatalf("Load of an expired value = %q, %v; want nil, nil", got, err)
	}
}

// concurrent checks that concurrent Saves and Loads never tear a value.
func concurrent(t *testing.T, st loginauth.Store) {
	ctx := context.Background()
	far := time.Now().Add(time.Hour)
	// Each writer saves its own value, whose every byte and whose
	// length depend on the writer, so that a read that mixes two
	// values, or cuts one short, shows.
	value := func(i int) []byte { return bytes.Repeat([]byte{'a' + byte(i)}, 1000+97*i) }
	whole := func(b []byte) bool {
		i := int(b[0]) - 'a'
		return i >= 0 && i < 16 && bytes.Equal(b, value(i))
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			v := value(i)
			for range 20 {
				if err := st.Save(ctx, "k", v, far); err != nil {
					t.Error(err)
					return
				}
				b, err := st.Load(ctx, "k")
				if err != nil || len(b) == 0 || !whole(b) {
					t.Errorf("torn read: %d bytes, %.40q…, %v", len(b), b, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// lock checks that a Locker holds one lock per key.
func lock(t *testing.T, st loginauth.Store) {
	ctx := context.Background()
	l, ok := st.(loginauth.Locker)
	if !ok {
		t.Skip("not a Locker")
	}
	unlock, err := l.Lock(ctx, "k")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if u, err := l.Lock(wctx, "k"); err == nil {
		u()
		t.Fatal("a second Lock of a held key succeeded")
	}
	got := make(chan error, 1)
	go func() {
		u, err := l.Lock(ctx, "k")
		if err == nil {
			u()
		}
		got <- err
	}()
	time.Sleep(20 * time.Millisecond)
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("Lock after unlock: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Lock did not succeed after unlock")
	}
	u2, err := l.Lock(ctx, "other")
	if err != nil {
		t.Fatalf("Lock of another key: %v", err)
	}
	u2()
}

func mustSave(t *testing.T, st loginauth.Store, key string, val []byte, exp time.Time) {
	t.Helper()
	if err := st.Save(context.Background(), key, val, exp); err != nil {
		t.Fatalf("Save(%q): %v", key, err)
	}
}
