package embed

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vecimg/vecimg/internal/shard"
)

// TestKeepFilesCoversEachFileOnce lists a folder with nested files and a
// bad one and checks that four shards together hold each exactly once.
func TestKeepFilesCoversEachFileOnce(t *testing.T) {
	root := t.TempDir()
	for _, n := range []string{"a.jpg", "b.png", "sub/c.jpg", "sub/d.gif", "sub/deep/e.jpeg", "f.jpg", "g.jpg", "h.jpg", "i.jpg"} {
		p := filepath.Join(root, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	os.WriteFile(filepath.Join(root, "a.png"), []byte("x"), 0o644) // same id as a.jpg: reported bad
	files, bad, err := Walk(root, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) != 1 {
		t.Fatalf("want one duplicate-id bad file, got %v", bad)
	}
	seen := map[string]int{}
	seenBad := map[string]int{}
	for i := range 4 {
		s := shard.Spec{Index: i, Count: 4}
		kf, kb := KeepFiles(root, files, bad, s.Owns)
		for _, f := range kf {
			seen[f.Path]++
		}
		for _, b := range kb {
			seenBad[b.Path]++
		}
	}
	if len(seen) != len(files) {
		t.Fatalf("shards hold %d distinct files of %d", len(seen), len(files))
	}
	for p, n := range seen {
		if n != 1 {
			t.Errorf("%s is in %d shards", p, n)
		}
	}
	for p, n := range seenBad {
		if n != 1 {
			t.Errorf("bad file %s is reported by %d shards", p, n)
		}
	}
	if kf, kb := KeepFiles(root, files, bad, nil); len(kf) != len(files) || len(kb) != len(bad) {
		t.Fatal("nil keep must keep everything")
	}
}
