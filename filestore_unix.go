//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package loginauth

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// openFlags make every open of a store file refuse a symbolic link in the
// last part of its path, and return at once on a FIFO or device instead of
// waiting for the other end; openFile then refuses such a file.
const openFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// fileOwner returns the user ID of the owner of fi.
func fileOwner(fi fs.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// fileLock is a lock file held with flock(2). The lock belongs to the open
// file, so two opens of one path exclude each other within a process as
// well as across processes, and the system drops it when the process
// dies. The file itself stays, empty: removing it would let a waiter lock
// an unlinked file.
type fileLock struct {
	f *os.File
}

func openLock(path string) (*fileLock, error) {
	f, _, err := openFile(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, err
	}
	return &fileLock{f: f}, nil
}

// try takes the lock if it is free, without waiting.
func (l *fileLock) try() (bool, error) {
	for {
		err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		default:
			return false, err
		}
	}
}

// unlock releases a lock taken by try.
func (l *fileLock) unlock() { l.f.Close() } // closing the file releases its flock

// close gives up a lock that try did not take.
func (l *fileLock) close() { l.f.Close() }

// syncDir makes the entries of dir durable: a rename or removal in it.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
