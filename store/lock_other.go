//go:build !unix

package store

import (
	"errors"
	"io"
	"os"
)

// lockShared: without flock, the read-only view takes no lock of its own
// (badger's writer still locks the store on these systems its own way).
func lockShared(path string) (*os.File, error) { return os.Open(path) }

// mapFile reads f into memory.
func mapFile(f *os.File, size int64) ([]byte, func(), error) {
	b := make([]byte, size)
	_, err := io.ReadFull(f, b)
	return b, func() {}, err
}

// freeSpace cannot tell here: the write is tried.
var freeSpace = func(string) (int64, error) { return 0, errors.New("free space unknown") }
