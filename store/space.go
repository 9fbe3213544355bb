package store

import (
	"errors"
	"fmt"
)

// A full disk must be an error, not a crash: badger writes its value log,
// memtable log and tables through memory-mapped files, and a write to a
// mapped page the file system cannot back ends the process with SIGBUS.
// So every write checks first that the store's file system has room for it
// and for what badger may write along with it (a memtable flushed to a
// table), and refuses with a *NoSpaceError otherwise, before anything is
// written.

// ErrNoSpace: the store's file system has not enough free space for a
// write. The error is a *NoSpaceError.
var ErrNoSpace = errors.New("no space left on the store's file system")

// NoSpaceError says how much space a refused write needed.
type NoSpaceError struct {
	Path string // the store
	Free int64  // bytes available to this user
	Need int64  // bytes the write may take, with badger's own writes
}

func (e *NoSpaceError) Error() string {
	return fmt.Sprintf("no space left on the file system of %s (%d MB free, about %d MB needed); nothing was written",
		e.Path, e.Free>>20, (e.Need+(1<<20)-1)>>20)
}

// Unwrap makes errors.Is(err, ErrNoSpace) true.
func (e *NoSpaceError) Unwrap() error { return ErrNoSpace }

// spareBytes is what a write needs beyond its own bytes: a memtable flushed
// to a table file (at most its size), a new value-log file's first pages,
// the state file, and a margin; memTable is the store's memtable size.
func spareBytes(memTable int64) int64 { return memTable + 4<<20 }

// ensureSpace refuses a write of about n bytes when the file system cannot
// take it with badger's own writes. The value log and the memtable log each
// get the bytes once.
func (s *Store) ensureSpace(n int64) error { return checkSpace(s.path, 2*n+spareBytes(s.memTableSize)) }

func checkSpace(path string, need int64) error {
	free, err := freeSpace(path)
	if err != nil {
		return nil // cannot tell: let the write try
	}
	if free < need {
		return &NoSpaceError{Path: path, Free: free, Need: need}
	}
	return nil
}

func memTableSize(opts Options) int64 {
	if opts.MemTableSize > 0 {
		return opts.MemTableSize
	}
	return DefaultMemTableSize
}
