package fsutil

import (
	"os"
	"path/filepath"
	"time"

	"github.com/vecimg/vecimg/internal/types"
)

// TempFile is a temporary file WriteFileAtomic left behind.
type TempFile struct {
	Path string
	Size int64
}

// tempPattern is the glob of WriteFileAtomic's temporary files for path.
func tempPattern(path string) string {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	return filepath.Join(dir, "."+base+".tmp-*")
}

// StaleTemps lists the temporary files of earlier WriteFileAtomic calls for
// path that no process is writing any more (a writer holds a lock on its
// temporary file until the rename): what a killed save left.
func StaleTemps(path string) []TempFile {
	m, _ := filepath.Glob(tempPattern(path))
	var out []TempFile
	for _, p := range m {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		fi, err := f.Stat()
		// An empty file may be one a writer has created and not locked yet.
		settled := err == nil && (fi.Size() > 0 || time.Since(fi.ModTime()) > 10*time.Second)
		if settled && fi.Mode().IsRegular() && unlocked(f, fi) {
			out = append(out, TempFile{Path: p, Size: fi.Size()})
		}
		f.Close() // releases the lock
	}
	return out
}

// RemoveStaleTemps removes what StaleTemps lists and returns it.
func RemoveStaleTemps(path string) []TempFile {
	var out []TempFile
	for _, t := range StaleTemps(path) {
		if os.Remove(t.Path) == nil {
			out = append(out, t)
		}
	}
	return out
}

// Inside reports whether path lies in the folder dir (compared as given:
// resolve symbolic links first where that matters).
func Inside(dir, path string) bool { return types.Inside(dir, path) }
