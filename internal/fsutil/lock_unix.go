//go:build unix

package fsutil

import (
	"os"
	"syscall"
)

// lock takes an exclusive lock on f, held until f is closed.
func lock(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

// unlocked reports whether no process holds a lock on f (taking it, until f
// is closed).
func unlocked(f *os.File, _ os.FileInfo) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
