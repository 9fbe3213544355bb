//go:build !unix

package fsutil

import (
	"os"
	"time"
)

func lock(*os.File) {}

// unlocked: without flock, a temporary file untouched for an hour is taken
// for a leftover.
func unlocked(_ *os.File, fi os.FileInfo) bool { return time.Since(fi.ModTime()) > time.Hour }
