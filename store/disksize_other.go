//go:build !unix

package store

import "io/fs"

// allocated returns a file's length where the platform does not report
// allocated blocks.
func allocated(fi fs.FileInfo) int64 { return fi.Size() }
