package loginauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultLockWait is how long [FileStore.Lock] waits for the login of
// another process when [FileStore.LockWait] is zero.
const DefaultLockWait = 30 * time.Second

// maxFileSize bounds what a FileStore reads from one file.
const maxFileSize = 1 << 20

// FileStore is a [Store] and a [Locker] in a directory, for the processes
// of one machine and user: command-line tools that should not log in on
// every run, or workers that should log in once between them. Its zero
// value is ready to use.
//
// Each key has a file named after the SHA-256 of the key, so that a key
// never acts as a path: <hex>.json holds the value, its key, its expiry
// and its labels (see [FileStore.SetLabels]), as
// {"version":2,"key":"…","expiry":"2006-01-02T15:04:05Z","labels":{…},"value":"<base64>"}.
// Files of the first format, {"expiry":…,"value":…} with no version, are
// read as well; [FileStore.List] lists them without their key. A file is written
// to a temporary file in the same directory, synced and renamed over the
// old one, so that a reader sees the old value or the new one, never a
// mix. An expired value is absent.
//
// The directory is created with mode 0700 and the files with 0600. A
// FileStore refuses to use a directory, or to read a file, that group or
// others may read or write, or that another user owns; Save replaces such
// a file with one of its own. It opens only regular files, never through a
// symbolic link in the last part of a file's path, and without waiting on
// a FIFO or device found there; a link in Dir or above it, such as a
// linked ~/.cache, is followed. Owners, links and FIFOs are checked so on
// Linux, macOS and the BSDs; modes on every system but Windows and Plan 9.
//
// <hex>.lock is the login lock of the key, held with flock(2) where the
// system has it, so that the lock goes when the process that held it
// dies; <hex>.wlock makes each Save and Delete a step of its own, so that
// Delete compares and removes with no Save in between. Elsewhere a lock is
// a file created exclusively, and taken as abandoned two minutes after it
// was made.
type FileStore struct {
	// Dir is the directory of the files. Empty means "loginauth" in
	// [os.UserCacheDir].
	Dir string

	// LockWait bounds how long Lock waits for another process's login
	// (the context given to Lock may end it sooner). Zero means
	// [DefaultLockWait]; a negative value means Lock does not wait.
	LockWait time.Duration

	// Now returns the current time for expiry. Nil means [time.Now].
	Now func() time.Time
}

// fileVersion is the version of the file format that Save writes. A file
// with no version is of the first format: an expiry and a value.
const fileVersion = 2

// fileEntry is the content of a value's file.
type fileEntry struct {
	Version int               `json:"version,omitempty"`
	Key     string            `json:"key,omitempty"`
	Expiry  time.Time         `json:"expiry,omitzero"`
	Labels  map[string]string `json:"labels,omitempty"`
	Value   []byte            `json:"value"`
}

// FileEntry describes a value of a [FileStore], without the value, as
// [FileStore.List] returns it.
type FileEntry struct {
	// Key is the value's key; empty for a file written in the first
	// format, which did not keep it.
	Key string
	// Expiry is when the store forgets the value; zero means never.
	Expiry time.Time
	// Labels are the labels set with [FileStore.SetLabels].
	Labels map[string]string
	// TokenExpiry and Refreshable describe the value when it is a token
	// that a [Source] saved: the token's own expiry (zero: none stated),
	// and whether it holds a refresh token. Both are zero otherwise.
	TokenExpiry time.Time
	Refreshable bool
}

// Load returns the unexpired value under key; nil and no error when the
// directory or the file is missing.
func (s *FileStore) Load(ctx context.Context, key string) ([]byte, error) {
	dir, ok, err := s.openDir(ctx, false)
	if err != nil || !ok {
		return nil, err
	}
	path := filepath.Join(dir, fileName(key, ".json"))
	raw, err := readFile(path)
	if err != nil || raw == nil {
		return nil, err
	}
	fe, err := decodeFile(path, raw)
	if err != nil {
		return nil, err
	}
	if !fe.Expiry.IsZero() && !s.now().Before(fe.Expiry) {
		// Remove it if no one is writing the key just now; an expired
		// value may still hold a refresh token.
		s.removeIf(ctx, dir, key, -1, func(b []byte) bool { return bytes.Equal(b, raw) })
		return nil, nil
	}
	return fe.Value, nil
}

// Save saves value under key until expiry (zero: no expiry), replacing the
// file atomically.
func (s *FileStore) Save(ctx context.Context, key string, value []byte, expiry time.Time) error {
	dir, _, err := s.openDir(ctx, true)
	if err != nil {
		return err
	}
	if !expiry.IsZero() {
		expiry = expiry.UTC()
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, fileName(key, ".wlock")), s.lockWait())
	if err != nil {
		return err
	}
	defer unlock()
	fe := fileEntry{Version: fileVersion, Key: key, Expiry: expiry, Value: value}
	if old, ok := s.read(dir, key); ok {
		fe.Labels = old.Labels // a new token of the same account
	}
	return writeEntry(dir, key, fe)
}

// SetLabels sets the labels of the value under key, such as what a
// command needs to use the token again besides the token itself. The
// labels stay with the key across later Saves, and go with the value on
// Delete. The key must hold a value.
func (s *FileStore) SetLabels(ctx context.Context, key string, labels map[string]string) error {
	dir, _, err := s.openDir(ctx, true)
	if err != nil {
		return err
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, fileName(key, ".wlock")), s.lockWait())
	if err != nil {
		return err
	}
	defer unlock()
	fe, ok := s.read(dir, key)
	if !ok {
		return fmt.Errorf("loginauth: file store: no value to label under the key")
	}
	fe.Version, fe.Key, fe.Labels = fileVersion, key, labels
	return writeEntry(dir, key, fe)
}

// List describes the unexpired values of the store, sorted by key; never
// a value itself. A missing directory holds none. Files it cannot read,
// or that are corrupt, are left out.
func (s *FileStore) List(ctx context.Context) ([]FileEntry, error) {
	dir, ok, err := s.openDir(ctx, false)
	if err != nil || !ok {
		return nil, err
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("loginauth: file store: %w", err)
	}
	var out []FileEntry
	for _, path := range names {
		raw, err := readFile(path)
		if err != nil || raw == nil {
			continue
		}
		fe, err := decodeFile(path, raw)
		if err != nil || (!fe.Expiry.IsZero() && !s.now().Before(fe.Expiry)) {
			continue
		}
		e := FileEntry{Key: fe.Key, Expiry: fe.Expiry, Labels: fe.Labels}
		if tok, err := decodeToken(fe.Value); err == nil {
			e.TokenExpiry, e.Refreshable = tok.Expiry, tok.RefreshToken != ""
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b FileEntry) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// read returns the entry under key, if a file holds one that decodes.
func (s *FileStore) read(dir, key string) (fileEntry, bool) {
	path := filepath.Join(dir, fileName(key, ".json"))
	raw, err := readFile(path)
	if err != nil || raw == nil {
		return fileEntry{}, false
	}
	fe, err := decodeFile(path, raw)
	return fe, err == nil
}

// writeEntry replaces the file of key with fe, atomically. The caller
// holds the key's write lock.
func writeEntry(dir, key string, fe fileEntry) error {
	b, err := json.Marshal(fe)
	if err != nil {
		return fmt.Errorf("loginauth: file store: %w", err)
	}
	name := fileName(key, ".json")
	tmp, err := os.CreateTemp(dir, name+".tmp*") // mode 0600; O_EXCL, so never through a link
	if err != nil {
		return fmt.Errorf("loginauth: file store: %w", err)
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("loginauth: file store: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("loginauth: file store: sync %s: %w", dir, err)
	}
	return nil
}

// Delete removes the file of key if its value still equals value. The
// comparison and the removal hold the key's write lock, which every Save
// takes too.
func (s *FileStore) Delete(ctx context.Context, key string, value []byte) error {
	dir, ok, err := s.openDir(ctx, false)
	if err != nil || !ok {
		return err
	}
	return s.removeIf(ctx, dir, key, s.lockWait(), func(raw []byte) bool {
		var fe fileEntry
		return json.Unmarshal(raw, &fe) == nil && bytes.Equal(fe.Value, value)
	})
}

// removeIf removes the file of key if match reports true of its content,
// holding the key's write lock for at most wait.
func (s *FileStore) removeIf(ctx context.Context, dir, key string, wait time.Duration, match func(raw []byte) bool) error {
	unlock, err := lockFile(ctx, filepath.Join(dir, fileName(key, ".wlock")), wait)
	if err != nil {
		return err
	}
	defer unlock()
	path := filepath.Join(dir, fileName(key, ".json"))
	raw, err := readFile(path)
	if err != nil || raw == nil || !match(raw) {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("loginauth: file store: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("loginauth: file store: sync %s: %w", dir, err)
	}
	return nil
}

// Lock takes the login lock of key: it waits until no other holder, in
// this process or another, has it, for at most LockWait and at most until
// ctx ends. The lock goes when the returned function is called, or when
// the process exits.
func (s *FileStore) Lock(ctx context.Context, key string) (unlock func(), err error) {
	dir, _, err := s.openDir(ctx, true)
	if err != nil {
		return nil, err
	}
	return lockFile(ctx, filepath.Join(dir, fileName(key, ".lock")), s.lockWait())
}

// Format prints the directory only; never a token.
func (s *FileStore) Format(f fmt.State, verb rune) {
	dir, _ := s.dir()
	fmt.Fprintf(f, "loginauth.FileStore{Dir:%q}", dir)
}

func (s *FileStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *FileStore) lockWait() time.Duration {
	if s.LockWait == 0 {
		return DefaultLockWait
	}
	return s.LockWait
}

func (s *FileStore) dir() (string, error) {
	if s.Dir != "" {
		return s.Dir, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("loginauth: file store: %w", err)
	}
	return filepath.Join(cache, "loginauth"), nil
}

// openDir returns the directory after checking its owner and mode, and
// whether it exists. With create, a missing directory is created with mode
// 0700. It fails at once if ctx has ended.
func (s *FileStore) openDir(ctx context.Context, create bool) (dir string, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return "", false, fmt.Errorf("loginauth: file store: %w", err)
	}
	if dir, err = s.dir(); err != nil {
		return "", false, err
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return dir, false, nil
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", false, fmt.Errorf("loginauth: file store: %w", err)
		}
		fi, err = os.Stat(dir)
	}
	if err != nil {
		return "", false, fmt.Errorf("loginauth: file store: %w", err)
	}
	if !fi.IsDir() {
		return "", false, fmt.Errorf("loginauth: file store: %s is not a directory", dir)
	}
	if err := checkOwner("directory", dir, fi); err != nil {
		return "", false, err
	}
	if err := checkMode("directory", dir, fi.Mode()); err != nil {
		return "", false, err
	}
	return dir, true, nil
}

// checkOwner refuses a file or directory that another user owns, on
// systems where files have owners.
func checkOwner(what, path string, fi fs.FileInfo) error {
	uid, ok := fileOwner(fi)
	if !ok || uid == os.Getuid() {
		return nil
	}
	return fmt.Errorf("loginauth: file store: %s %s belongs to user %d, not to this process's user %d", what, path, uid, os.Getuid())
}

// checkMode refuses a file or directory that group or others may read or
// write, on systems with such permissions.
func checkMode(what, path string, mode fs.FileMode) error {
	if !unixModes() || mode.Perm()&0o066 == 0 {
		return nil
	}
	return fmt.Errorf("loginauth: file store: %s %s has mode %#o, which lets group or others read or write it; want %#o", what, path, mode.Perm(), mode.Perm()&^0o077)
}

// fileName is the name of key's file with the given suffix.
func fileName(key, suffix string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:]) + suffix
}

// openFile opens the file at path with flag, creating it with mode 0600
// if flag says so. Where the system allows, it does not follow a symbolic
// link in the last part of path, nor wait on a FIFO or device there. It
// refuses what is not a regular file, or belongs to another user. An error
// for a missing file wraps [fs.ErrNotExist].
func openFile(path string, flag int) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, flag|openFlags, 0o600)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, nil, fmt.Errorf("loginauth: file store: %s is a symbolic link", path)
		}
		return nil, nil, fmt.Errorf("loginauth: file store: %w", err)
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
		err = fmt.Errorf("loginauth: file store: %w", err)
	case !fi.Mode().IsRegular():
		err = fmt.Errorf("loginauth: file store: %s is not a regular file", path)
	default:
		err = checkOwner("file", path, fi)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// readFile returns the content of the regular file at path, or nil and no
// error when there is none.
func readFile(path string) ([]byte, error) {
	f, fi, err := openFile(path, os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := checkMode("file", path, fi.Mode()); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("loginauth: file store: %w", err)
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("loginauth: file store: %s is larger than %d bytes", path, maxFileSize)
	}
	return b, nil
}

// decodeFile decodes the content of the file at path.
func decodeFile(path string, raw []byte) (fileEntry, error) {
	var fe fileEntry
	if err := json.Unmarshal(raw, &fe); err != nil {
		return fe, fmt.Errorf("loginauth: file store: %s is corrupt: %w", path, err)
	}
	if fe.Version > fileVersion {
		return fe, fmt.Errorf("loginauth: file store: %s has format version %d; this version of loginauth reads up to %d", path, fe.Version, fileVersion)
	}
	return fe, nil
}

// lockFile takes the lock at path, trying again with a growing pause
// until it is free, wait has passed or ctx ends, whichever comes first.
// It tries at least once.
func lockFile(ctx context.Context, path string, wait time.Duration) (unlock func(), err error) {
	l, err := openLock(path)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	pause := time.Millisecond
	for {
		ok, err := l.try()
		if err != nil {
			l.close()
			return nil, fmt.Errorf("loginauth: file store: lock %s: %w", path, err)
		}
		if ok {
			return sync.OnceFunc(l.unlock), nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			l.close()
			return nil, fmt.Errorf("loginauth: file store: lock %s: still held by another after %v", path, wait)
		}
		t := time.NewTimer(min(pause, left))
		select {
		case <-ctx.Done():
			t.Stop()
			l.close()
			return nil, fmt.Errorf("loginauth: file store: lock %s: gave up waiting: %w", path, ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// unixModes reports whether file modes say who may read and write a file;
// on Windows and Plan 9 they do not, and the directory's own access
// control applies.
func unixModes() bool { return runtime.GOOS != "windows" && runtime.GOOS != "plan9" }
