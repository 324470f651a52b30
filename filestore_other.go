//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package loginauth

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"time"
)

// staleLock is the age after which a lock file is taken as left behind by
// a process that died holding it. It exceeds [DefaultLoginTimeout] with
// room to spare.
const staleLock = 2 * time.Minute

// openFlags are none here: an open follows a symbolic link in the last
// part of a path, and waits on a FIFO for its other end.
const openFlags = 0

// fileOwner reports no owner: file ownership is not checked here.
func fileOwner(fs.FileInfo) (uid int, ok bool) { return 0, false }

// fileLock is a lock file created exclusively, holding a random token so
// that its holder removes only its own file. Without flock(2) a dead
// holder's file remains until it is stale.
type fileLock struct {
	path  string
	token []byte
}

func openLock(path string) (*fileLock, error) {
	return &fileLock{path: path, token: []byte(rand.Text())}, nil
}

// try takes the lock if it is free, without waiting.
func (l *fileLock) try() (bool, error) {
	for range 2 {
		f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.Write(l.token)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(l.path)
				return false, err
			}
			return true, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return false, err
		}
		fi, err := os.Stat(l.path)
		if err != nil || time.Since(fi.ModTime()) < staleLock {
			return false, nil
		}
		os.Remove(l.path) // stale: remove it and try once more
	}
	return false, nil
}

// unlock releases a lock taken by try, unless it was taken from this
// holder as stale.
func (l *fileLock) unlock() {
	if b, err := os.ReadFile(l.path); err == nil && bytes.Equal(b, l.token) {
		os.Remove(l.path)
	}
}

// close gives up a lock that try did not take.
func (l *fileLock) close() {}

// syncDir does nothing: directories cannot be synced on every system, and
// a rename is atomic without it.
func syncDir(dir string) error { return nil }
