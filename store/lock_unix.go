//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockShared takes the shared lock badger's read-only open takes on the
// store directory.
func lockShared(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Path: path, PID: lockPID(path)}
		}
		return nil, fmt.Errorf("lock store %q: %w", path, err)
	}
	return f, nil
}

// mapFile maps f read-only.
func mapFile(f *os.File, size int64) (data []byte, unmap func(), err error) {
	data, err = syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func() { syscall.Munmap(data) }, nil
}

// freeSpace reports the bytes available to this user on path's file
// system; a variable so that tests can fake a full disk.
var freeSpace = func(path string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
