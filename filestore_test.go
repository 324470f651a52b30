package loginauth_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/storetest"
	"github.com/matryer/is"
	"golang.org/x/oauth2"
)

var (
	_ loginauth.Store  = (*loginauth.FileStore)(nil)
	_ loginauth.Locker = (*loginauth.FileStore)(nil)
)

// newFileStore returns a FileStore in a directory that does not exist yet,
// so that the store creates it. (t.TempDir itself is 0755 under umask 022,
// which the store would refuse.)
func newFileStore(t *testing.T) *loginauth.FileStore {
	return &loginauth.FileStore{Dir: filepath.Join(t.TempDir(), "store")}
}

// valuePath is the file of key in st: the hex SHA-256 of the key.
func valuePath(st *loginauth.FileStore, key string) string {
	return keyPath(st, key, ".json")
}

// keyPath is the file of key in st with the given suffix: ".json", ".lock"
// or ".wlock".
func keyPath(st *loginauth.FileStore, key, suffix string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(st.Dir, hex.EncodeToString(sum[:])+suffix)
}

// needUnixStore skips the test on systems where FileStore cannot refuse
// links, FIFOs and other users' files: all but those of filestore_unix.go.
func needUnixStore(t *testing.T) {
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
	default:
		t.Skipf("FileStore does not check owners, links or FIFOs on %s", runtime.GOOS)
	}
}

func TestFileStoreConformance(t *testing.T) {
	t.Parallel() // the suite waits on the clock; the other conformance runs overlap it
	storetest.Run(t, func(t *testing.T) loginauth.Store { return newFileStore(t) })
}

func TestFileStoreConformanceExistingDir(t *testing.T) {
	t.Parallel() // the suite waits on the clock; the other conformance runs overlap it
	storetest.Run(t, func(t *testing.T) loginauth.Store {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		return &loginauth.FileStore{Dir: dir}
	})
}

func TestFileStoreModes(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no Unix file modes")
	}
	is := is.New(t)
	ctx := context.Background()
	st := &loginauth.FileStore{Dir: filepath.Join(t.TempDir(), "a", "b")}
	is.NoErr(st.Save(ctx, "k", []byte("v"), time.Time{}))
	fi, err := os.Stat(st.Dir)
	is.NoErr(err)
	is.Equal(fi.Mode().Perm(), os.FileMode(0o700)) // a created directory is 0700
	fi, err = os.Stat(valuePath(st, "k"))
	is.NoErr(err)
	is.Equal(fi.Mode().Perm(), os.FileMode(0o600)) // a value's file is 0600
	unlock, err := st.Lock(ctx, "k")
	is.NoErr(err)
	unlock()
	entries, err := os.ReadDir(st.Dir)
	is.NoErr(err)
	for _, e := range entries {
		fi, err := e.Info()
		is.NoErr(err)
		is.Equal(fi.Mode().Perm(), os.FileMode(0o600)) // every file is 0600, locks too
		is.True(!strings.Contains(e.Name(), "tmp"))    // no temporary file is left
	}

	// A directory that others may read is refused by every method.
	is.NoErr(os.Chmod(st.Dir, 0o755))
	_, err = st.Load(ctx, "k")
	is.True(err != nil)                                         // Load refuses a 0755 directory
	is.True(strings.HasPrefix(err.Error(), "loginauth: "))      // the error is the package's
	is.True(strings.Contains(err.Error(), st.Dir))              // and names the directory
	is.True(strings.Contains(err.Error(), "0755"))              // and its mode
	is.True(st.Save(ctx, "k", []byte("v"), time.Time{}) != nil) // Save refuses it
	is.True(st.Delete(ctx, "k", []byte("v")) != nil)            // Delete refuses it
	_, err = st.Lock(ctx, "k")
	is.True(err != nil) // Lock refuses it
	is.NoErr(os.Chmod(st.Dir, 0o700))

	// A file that others may read is refused by Load and Delete.
	path := valuePath(st, "k")
	is.NoErr(os.Chmod(path, 0o644))
	_, err = st.Load(ctx, "k")
	is.True(err != nil)                                    // Load refuses a 0644 file
	is.True(strings.HasPrefix(err.Error(), "loginauth: ")) // the error is the package's
	is.True(strings.Contains(err.Error(), path))           // and names the file
	is.True(strings.Contains(err.Error(), "0644"))         // and its mode
	is.True(st.Delete(ctx, "k", []byte("v")) != nil)       // Delete refuses it
	_, err = os.Stat(path)
	is.NoErr(err) // and left it alone

	// Save replaces it with a file of its own.
	is.NoErr(st.Save(ctx, "k", []byte("w"), time.Time{}))
	fi, err = os.Stat(path)
	is.NoErr(err)
	is.Equal(fi.Mode().Perm(), os.FileMode(0o600)) // the replaced file is 0600
	b, err := st.Load(ctx, "k")
	is.NoErr(err)
	is.Equal(string(b), "w")
}

// TestFileStoreForeignOwner plants files of another user (nobody, 65534)
// in the store, which only root can do.
func TestFileStoreForeignOwner(t *testing.T) {
	needUnixStore(t)
	if os.Getuid() != 0 {
		t.Skip("needs root to chown a file to another user")
	}
	const nobody = 65534
	ctx := context.Background()
	newStore := func(t *testing.T) *loginauth.FileStore {
		st := newFileStore(t)
		if err := st.Save(ctx, "k", []byte("v"), time.Time{}); err != nil {
			t.Fatal(err)
		}
		return st
	}
	t.Run("directory", func(t *testing.T) {
		is := is.New(t)
		st := newStore(t)
		is.NoErr(os.Chown(st.Dir, nobody, nobody))
		_, err := st.Load(ctx, "k")
		is.True(err != nil)                                         // Load refuses another user's directory
		is.True(strings.Contains(err.Error(), st.Dir))              // and names it
		is.True(strings.Contains(err.Error(), "belongs to user"))   // and says why
		is.True(st.Save(ctx, "k", []byte("w"), time.Time{}) != nil) // Save refuses it
		is.True(st.Delete(ctx, "k", []byte("v")) != nil)            // Delete refuses it
		_, err = st.Lock(ctx, "k")
		is.True(err != nil) // Lock refuses it
	})
	t.Run("value", func(t *testing.T) {
		is := is.New(t)
		st := newStore(t)
		path := valuePath(st, "k")
		is.NoErr(os.Chown(path, nobody, nobody))
		_, err := st.Load(ctx, "k")
		is.True(err != nil)                                       // Load refuses another user's file
		is.True(strings.Contains(err.Error(), path))              // and names it
		is.True(strings.Contains(err.Error(), "belongs to user")) // and says why
		is.True(st.Delete(ctx, "k", []byte("v")) != nil)          // Delete refuses it
		_, err = os.Stat(path)
		is.NoErr(err) // and left it alone
		is.NoErr(st.Save(ctx, "k", []byte("w"), time.Time{}))
		b, err := st.Load(ctx, "k")
		is.NoErr(err)
		is.Equal(string(b), "w") // Save replaced it with a file of its own
	})
	for _, suffix := range []string{".lock", ".wlock"} {
		t.Run(suffix, func(t *testing.T) {
			is := is.New(t)
			st := newStore(t)
			path := keyPath(st, "k", suffix)
			is.NoErr(os.WriteFile(path, nil, 0o600))
			is.NoErr(os.Chown(path, nobody, nobody))
			unlock, err := st.Lock(ctx, "k")
			if err == nil {
				unlock()
			}
			err2 := st.Save(ctx, "k", []byte("w"), time.Time{})
			if suffix == ".lock" {
				is.True(err != nil)                                       // Lock refuses another user's lock file
				is.True(strings.Contains(err.Error(), "belongs to user")) // and says why
				is.NoErr(err2)
			} else {
				is.True(err2 != nil)                                       // Save refuses another user's write lock
				is.True(strings.Contains(err2.Error(), "belongs to user")) // and says why
				is.NoErr(err)
			}
		})
	}
}

// notWaiting runs f, and fails the test if f has not returned within 10 s,
// after opening the FIFO at fifo for writing so that an open(2) waiting on
// its other end returns. (The wait is real time: a goroutine in a system
// call does not let a synctest bubble's clock advance.)
func notWaiting(t *testing.T, fifo string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		<-done
		t.Fatal("the store waited on a FIFO")
	}
}

func TestFileStoreFIFO(t *testing.T) {
	needUnixStore(t)
	mkfifo, err := exec.LookPath("mkfifo")
	if err != nil {
		t.Skip("needs mkfifo")
	}
	is := is.New(t)
	st := newFileStore(t)
	is.NoErr(os.Mkdir(st.Dir, 0o700))
	const key = "test alice"
	for _, suffix := range []string{".json", ".lock"} {
		if out, err := exec.Command(mkfifo, "-m", "0600", keyPath(st, key, suffix)).CombinedOutput(); err != nil {
			t.Fatalf("mkfifo: %v: %s", err, out)
		}
	}
	path := valuePath(st, key)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	notWaiting(t, path, func() {
		_, err = st.Load(ctx, key)
	})
	is.True(err != nil)                                          // Load refuses a FIFO
	is.True(strings.Contains(err.Error(), "not a regular file")) // and says why
	notWaiting(t, path, func() {
		err = st.Delete(ctx, key, []byte("v"))
	})
	is.True(err != nil) // so does Delete
	_, err = st.Lock(ctx, key)
	is.True(err != nil)                                          // and Lock, at the lock's path
	is.True(strings.Contains(err.Error(), "not a regular file")) // and says why

	var logins atomic.Int64
	login := func(context.Context) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", logins.Add(1))}, nil
	}
	var log bytes.Buffer
	var tok *oauth2.Token
	notWaiting(t, path, func() {
		tok, err = fileStoreSource(st, login, &log).Token()
	})
	is.NoErr(err)                                      // the Source logs in all the same
	is.Equal(tok.AccessToken, "tok-1")                 // once
	is.True(strings.Contains(log.String(), "op=load")) // and logs the store's complaint
	tok, err = fileStoreSource(st, login, io.Discard).Token()
	is.NoErr(err)
	is.Equal(tok.AccessToken, "tok-1") // its Save replaced the FIFO
	is.Equal(logins.Load(), int64(1))
}

func TestFileStoreSymlinks(t *testing.T) {
	needUnixStore(t)
	is := is.New(t)
	ctx := context.Background()
	st := newFileStore(t)
	is.NoErr(os.Mkdir(st.Dir, 0o700))
	outside := filepath.Join(t.TempDir(), "outside")

	// A dangling link at a lock's path: neither Lock nor Save creates its
	// target.
	for _, suffix := range []string{".lock", ".wlock"} {
		is.NoErr(os.Symlink(outside, keyPath(st, "k", suffix)))
	}
	_, err := st.Lock(ctx, "k")
	is.True(err != nil)                                         // Lock refuses a link
	is.True(strings.Contains(err.Error(), "symbolic link"))     // and says so
	is.True(st.Save(ctx, "k", []byte("v"), time.Time{}) != nil) // so does Save, at the write lock
	_, err = os.Lstat(outside)
	is.True(os.IsNotExist(err)) // nothing was created outside the store

	// A link at a value's path to a valid file: not read, and Save
	// replaces the link, not its target.
	is.NoErr(os.Remove(keyPath(st, "k", ".wlock")))
	is.NoErr(os.WriteFile(outside, []byte(`{"value":"b3V0c2lkZQ=="}`), 0o600))
	is.NoErr(os.Symlink(outside, valuePath(st, "k")))
	_, err = st.Load(ctx, "k")
	is.True(err != nil)                                     // Load refuses a link
	is.True(strings.Contains(err.Error(), "symbolic link")) // and says so
	is.NoErr(st.Save(ctx, "k", []byte("v"), time.Time{}))
	b, err := st.Load(ctx, "k")
	is.NoErr(err)
	is.Equal(string(b), "v") // the value's file is the store's own
	b, err = os.ReadFile(outside)
	is.NoErr(err)
	is.Equal(string(b), `{"value":"b3V0c2lkZQ=="}`) // and the target is untouched
}

// TestFileStoreConformanceLinkedParent runs the store under a directory
// reached through a symbolic link, as ~/.cache may be.
func TestFileStoreConformanceLinkedParent(t *testing.T) {
	t.Parallel() // the suite waits on the clock; the other conformance runs overlap it
	storetest.Run(t, func(t *testing.T) loginauth.Store {
		tmp := t.TempDir()
		link := filepath.Join(tmp, "link")
		if err := os.Symlink(t.TempDir(), link); err != nil {
			t.Skipf("no symbolic links: %v", err)
		}
		return &loginauth.FileStore{Dir: filepath.Join(link, "store")}
	})
}

func TestFileStoreContextEnded(t *testing.T) {
	is := is.New(t)
	st := newFileStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := st.Load(ctx, "k")
	is.True(errors.Is(err, context.Canceled))                                         // Load fails at once
	is.True(errors.Is(st.Save(ctx, "k", []byte("v"), time.Time{}), context.Canceled)) // so does Save
	is.True(errors.Is(st.Delete(ctx, "k", []byte("v")), context.Canceled))            // and Delete
	_, err = st.Lock(ctx, "k")
	is.True(errors.Is(err, context.Canceled)) // and Lock
	_, err = os.Stat(st.Dir)
	is.True(os.IsNotExist(err)) // having touched nothing
}

func TestFileStoreFormat(t *testing.T) {
	is := is.New(t)
	st := newFileStore(t)
	is.NoErr(st.Save(context.Background(), "k", []byte("secret-token"), time.Time{}))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		got := fmt.Sprintf(verb, st)
		is.Equal(got, fmt.Sprintf("loginauth.FileStore{Dir:%q}", st.Dir)) // only the directory
	}
	cache, err := os.UserCacheDir()
	if err == nil {
		is.Equal(fmt.Sprint(&loginauth.FileStore{}), fmt.Sprintf("loginauth.FileStore{Dir:%q}", filepath.Join(cache, "loginauth"))) // the default directory
	}
}

func TestFileStoreFileFormat(t *testing.T) {
	is := is.New(t)
	st := newFileStore(t)
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	is.NoErr(st.Save(context.Background(), "k1/../k2", []byte(`{"access_token":"a"}`), exp))
	b, err := os.ReadFile(valuePath(st, "k1/../k2"))
	is.NoErr(err)
	var got map[string]any
	is.NoErr(json.Unmarshal(b, &got))
	is.Equal(got["expiry"], "2030-01-02T03:04:05Z")        // the expiry, in UTC
	is.Equal(got["value"], "eyJhY2Nlc3NfdG9rZW4iOiJhIn0=") // the value, in base64
	is.Equal(got["version"], 2.0)                          // the format's version
	is.Equal(got["key"], "k1/../k2")                       // the key, for List; never a path
	is.NoErr(st.Save(context.Background(), "never", []byte("v"), time.Time{}))
	b, err = os.ReadFile(valuePath(st, "never"))
	is.NoErr(err)
	is.Equal(string(b), `{"version":2,"key":"never","value":"dg=="}`) // no expiry when it never expires
}

func TestFileStoreReadsTheFirstFormat(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	st := newFileStore(t)
	is.NoErr(os.MkdirAll(st.Dir, 0o700))
	// As the first format wrote it: no version, no key.
	is.NoErr(os.WriteFile(valuePath(st, "old"), []byte(`{"expiry":"2999-01-02T03:04:05Z","value":"dg=="}`), 0o600))
	b, err := st.Load(ctx, "old")
	is.NoErr(err)
	is.Equal(string(b), "v") // read as before
	list, err := st.List(ctx)
	is.NoErr(err)
	is.Equal(len(list), 1)    // listed
	is.Equal(list[0].Key, "") // without the key it never kept
	// A format of a later version is not taken for a value.
	is.NoErr(os.WriteFile(valuePath(st, "new"), []byte(`{"version":3,"value":"dg=="}`), 0o600))
	_, err = st.Load(ctx, "new")
	is.True(err != nil && strings.Contains(err.Error(), "format version 3")) // names the version
}

func TestFileStoreListAndLabels(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := newFileStore(t)
	st.Now = func() time.Time { return now }
	tokExp := now.Add(time.Hour).Round(time.Second)
	tok := fmt.Sprintf(`{"access_token":"secret-a","refresh_token":"secret-r","expiry":%q}`, tokExp.Format(time.RFC3339))
	is.NoErr(st.Save(ctx, "b key", []byte(tok), time.Time{}))
	is.NoErr(st.Save(ctx, "a key", []byte(`{"access_token":"secret-b"}`), now.Add(time.Minute)))
	is.NoErr(st.Save(ctx, "gone", []byte(`{"access_token":"secret-c"}`), now.Add(-time.Minute)))
	is.True(st.SetLabels(ctx, "missing", map[string]string{"x": "y"}) != nil) // no value to label
	is.NoErr(st.SetLabels(ctx, "b key", map[string]string{"provider": "mic"}))
	is.NoErr(st.Save(ctx, "b key", []byte(tok), time.Time{})) // a new token keeps the labels

	list, err := st.List(ctx)
	is.NoErr(err)
	is.Equal(len(list), 2) // the expired value is left out
	is.Equal(list[0], loginauth.FileEntry{Key: "a key", Expiry: now.Add(time.Minute)})
	is.Equal(list[1].Key, "b key")
	is.Equal(list[1].Labels, map[string]string{"provider": "mic"}) // kept across the Save
	is.True(list[1].TokenExpiry.Equal(tokExp))                     // the token's own expiry
	is.True(list[1].Refreshable)                                   // it has a refresh token
	is.True(!strings.Contains(fmt.Sprint(list), "secret"))         // never a token

	empty := &loginauth.FileStore{Dir: filepath.Join(t.TempDir(), "none")}
	list, err = empty.List(ctx)
	is.NoErr(err)
	is.Equal(len(list), 0) // a missing directory holds none
}

func TestFileStoreExpiryUsesClock(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := newFileStore(t)
	st.Now = func() time.Time { return now }
	is.NoErr(st.Save(ctx, "k", []byte("v"), now.Add(time.Hour)))
	now = now.Add(59 * time.Minute)
	b, err := st.Load(ctx, "k")
	is.NoErr(err)
	is.Equal(string(b), "v") // unexpired
	now = now.Add(time.Minute)
	b, err = st.Load(ctx, "k")
	is.NoErr(err)
	is.Equal(b, nil) // expired at its expiry
	_, err = os.Stat(valuePath(st, "k"))
	is.True(os.IsNotExist(err)) // and its file removed
}

// fileStoreSource is a Source with key "test alice" in st.
func fileStoreSource(st loginauth.Store, login loginauth.LoginFunc, log io.Writer) *loginauth.Source {
	return loginauth.New(loginauth.Config{
		Provider: "test", Origins: []string{"https://api.example.com"}, Login: login, StoreKey: "test alice",
		Options: loginauth.Options{Store: st, Logger: slog.New(slog.NewTextHandler(log, nil))},
	})
}

func TestFileStoreCorruptFileIsAbsent(t *testing.T) {
	for name, corrupt := range map[string]func(valid []byte) []byte{
		"garbage": func([]byte) []byte { return []byte("\x00\xffnot json at all") },
		"torn":    func(valid []byte) []byte { return valid[:len(valid)/2] },
		"empty":   func([]byte) []byte { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			st := newFileStore(t)
			var logins atomic.Int64
			login := func(context.Context) (*oauth2.Token, error) {
				return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", logins.Add(1))}, nil
			}
			_, err := fileStoreSource(st, login, io.Discard).Token()
			is.NoErr(err)
			path := valuePath(st, "test alice")
			valid, err := os.ReadFile(path)
			is.NoErr(err)
			is.NoErr(os.WriteFile(path, corrupt(valid), 0o600))

			var log bytes.Buffer
			tok, err := fileStoreSource(st, login, &log).Token()
			is.NoErr(err)                                  // a corrupt file does not fail the caller
			is.Equal(tok.AccessToken, "tok-2")             // the Source logged in
			is.Equal(logins.Load(), int64(2))              // once
			is.True(strings.Contains(log.String(), "op=")) // and logged the store's complaint

			tok, err = fileStoreSource(st, login, io.Discard).Token()
			is.NoErr(err)
			is.Equal(tok.AccessToken, "tok-2") // the new token replaced the corrupt file
			is.Equal(logins.Load(), int64(2))
		})
	}
}

// TestFileStoreOneProcessManySources checks that Sources of one process,
// each with a FileStore of its own on one directory, exclude each other:
// flock(2) locks belong to open files, not to processes.
func TestFileStoreOneProcessManySources(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		var logins atomic.Int64
		login := func(context.Context) (*oauth2.Token, error) {
			n := logins.Add(1)
			time.Sleep(time.Second) // the bubble's clock: the others arrive meanwhile and wait for the lock
			return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", n)}, nil
		}
		const n = 8
		toks := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				tok, err := fileStoreSource(&loginauth.FileStore{Dir: dir}, login, io.Discard).Token()
				if err != nil {
					t.Error(err)
					return
				}
				toks[i] = tok.AccessToken
			})
		}
		wg.Wait()
		is.Equal(logins.Load(), int64(1)) // one login among all the Sources
		for _, tok := range toks {
			is.Equal(tok, "tok-1") // and every Source has its token
		}
	})
}

func TestFileStoreLockWait(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		ctx := context.Background()
		holder := &loginauth.FileStore{Dir: dir}
		unlock, err := holder.Lock(ctx, "k")
		is.NoErr(err)
		defer unlock()

		start := time.Now()
		_, err = (&loginauth.FileStore{Dir: dir, LockWait: 10 * time.Second}).Lock(ctx, "k")
		is.True(err != nil)                         // LockWait bounds the wait
		is.Equal(time.Since(start), 10*time.Second) // to itself
		is.True(strings.HasPrefix(err.Error(), "loginauth: "))
		is.True(strings.Contains(err.Error(), "still held by another after 10s")) // and says so

		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		start = time.Now()
		_, err = (&loginauth.FileStore{Dir: dir}).Lock(cctx, "k")
		is.True(errors.Is(err, context.DeadlineExceeded)) // so does the context
		is.Equal(time.Since(start), 5*time.Second)
		is.True(strings.Contains(err.Error(), "gave up waiting")) // and says so

		start = time.Now()
		_, err = (&loginauth.FileStore{Dir: dir, LockWait: -1}).Lock(ctx, "k")
		is.True(err != nil) // a negative LockWait does not wait
		is.Equal(time.Since(start), time.Duration(0))

		got := make(chan error, 1)
		go func() {
			u, err := (&loginauth.FileStore{Dir: dir}).Lock(ctx, "k")
			if err == nil {
				u()
			}
			got <- err
		}()
		time.Sleep(time.Second)
		unlock()
		unlock()        // a second unlock is harmless
		is.NoErr(<-got) // a waiter takes the lock once it is free
		u, err := (&loginauth.FileStore{Dir: dir, LockWait: -1}).Lock(ctx, "k")
		is.NoErr(err) // free again
		u()
	})
}

// The multi-process test runs copies of the test binary as children, each
// of which logs in through a FileStore in one shared directory.
const (
	childEnv        = "LOGINAUTH_FILESTORE_CHILD"
	childURLEnv     = "LOGINAUTH_FILESTORE_URL"
	childBarrierEnv = "LOGINAUTH_FILESTORE_BARRIER"
	childDirEnv     = "LOGINAUTH_FILESTORE_DIR"
)

// TestFileStoreMultiProcess starts several processes at once against one
// login server, and checks that one of them logs in and the others load
// its token from the store.
func TestFileStoreMultiProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel() // real time: it overlaps the conformance runs
	is := is.New(t)
	exe, err := os.Executable()
	is.NoErr(err)
	const children = 5

	// One login API; each login takes 200 ms of real time (processes
	// cannot share a synctest bubble), so that the children overlap.
	var logins atomic.Int64
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := logins.Add(1)
		select {
		case <-time.After(200 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"token": fmt.Sprintf("tok-%d", n)})
	}))
	defer fake.Close()

	var arrived atomic.Int64
	all := make(chan struct{})
	barrier := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Answers once every child has asked, so that they start together.
		if arrived.Add(1) == children {
			close(all)
		}
		select {
		case <-all:
		case <-time.After(5 * time.Second):
			w.WriteHeader(http.StatusGatewayTimeout)
		}
	}))
	defer barrier.Close()

	dir := filepath.Join(t.TempDir(), "store")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	outs := make([]bytes.Buffer, children)
	cmds := make([]*exec.Cmd, children)
	for i := range cmds {
		cmd := exec.CommandContext(ctx, exe, "-test.run=^TestFileStoreMultiProcessChild$", "-test.count=1", "-test.timeout=20s")
		cmd.Env = append(os.Environ(), childEnv+"=1", childURLEnv+"="+fake.URL, childBarrierEnv+"="+barrier.URL, childDirEnv+"="+dir)
		cmd.Stdout = &outs[i]
		cmd.Stderr = &outs[i]
		is.NoErr(cmd.Start())
		cmds[i] = cmd
	}
	toks := make([]string, children)
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v:\n%s", i, err, outs[i].String())
		}
		sc := bufio.NewScanner(&outs[i])
		for sc.Scan() {
			if tok, ok := strings.CutPrefix(sc.Text(), "token="); ok {
				toks[i] = tok
			}
		}
		if toks[i] == "" {
			t.Fatalf("child %d printed no token:\n%s", i, outs[i].String())
		}
	}
	is.Equal(arrived.Load(), int64(children)) // every child reached the barrier
	is.Equal(logins.Load(), int64(1))         // one login among all the processes
	for _, tok := range toks {
		is.Equal(tok, toks[0]) // and every process has the same token
	}
}

// TestFileStoreMultiProcessChild is one child of TestFileStoreMultiProcess;
// on its own it is skipped.
func TestFileStoreMultiProcessChild(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("run by TestFileStoreMultiProcess")
	}
	base, dir := os.Getenv(childURLEnv), os.Getenv(childDirEnv)
	src := loginauth.New(loginauth.Config{
		Provider: "test",
		Origins:  []string{base},
		StoreKey: "test alice",
		Login: func(ctx context.Context) (*oauth2.Token, error) {
			req, _ := http.NewRequestWithContext(ctx, "POST", base+"/login", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			var body struct{ Token string }
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				return nil, err
			}
			return &oauth2.Token{AccessToken: body.Token}, nil
		},
		Options: loginauth.Options{
			Store:  &loginauth.FileStore{Dir: dir},
			Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
		},
	})
	resp, err := http.Get(os.Getenv(childBarrierEnv))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("barrier: %s", resp.Status)
	}
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("token=%s\n", tok.AccessToken)
}
