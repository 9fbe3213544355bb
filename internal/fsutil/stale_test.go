package fsutil

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Failure 8 of issue 18: a save killed before its rename left its
// temporary file for good. StaleTemps lists such leftovers (and not the
// temporary file of a save in progress, which is locked), and
// RemoveStaleTemps deletes them.
func TestStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db.hnsw")
	left := filepath.Join(dir, ".db.hnsw.tmp-123")
	if err := os.WriteFile(left, []byte("half an index"), 0o644); err != nil {
		t.Fatal(err)
	}
	busy := filepath.Join(dir, ".db.hnsw.tmp-456")
	f, err := os.Create(busy)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	f.WriteString("being written")
	other := filepath.Join(dir, ".other.tmp-1")
	os.WriteFile(other, []byte("x"), 0o644)

	got := StaleTemps(path)
	if len(got) != 1 || got[0].Path != left || got[0].Size != 13 {
		t.Fatalf("StaleTemps = %+v, want only %s (13 bytes)", got, left)
	}
	if err := WriteFileAtomic(path, func(w io.Writer) error {
		// While this save runs, its own temporary file is not stale.
		for _, s := range StaleTemps(path) {
			if s.Path != left {
				t.Errorf("a save in progress is listed as stale: %s", s.Path)
			}
		}
		_, err := w.Write([]byte("index"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if rm := RemoveStaleTemps(path); len(rm) != 1 || rm[0].Path != left {
		t.Errorf("RemoveStaleTemps = %+v", rm)
	}
	for _, p := range []string{busy, other, path} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := os.Stat(left); err == nil {
		t.Errorf("%s is still there", left)
	}
}
