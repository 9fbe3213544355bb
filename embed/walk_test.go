package embed

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// Failures 5 and 9 of issue 18: a link in the folder pulled in images from
// elsewhere on the host, and named pipes, links to devices and link loops
// were skipped without a word.
func TestWalkLinksAndOddFiles(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "watched")
	outside := filepath.Join(base, "elsewhere")
	writePNG(t, filepath.Join(root, "a.png"), 1)
	writePNG(t, filepath.Join(root, "sub", "b.png"), 2)
	writePNG(t, filepath.Join(outside, "secret.png"), 3)
	writePNG(t, filepath.Join(outside, "dir", "c.png"), 4)
	links := map[string]string{
		"inside.png":  filepath.Join(root, "a.png"), // a link within the folder is followed
		"insub":       filepath.Join(root, "sub"),
		"secret.png":  filepath.Join(outside, "secret.png"),
		"outdir":      filepath.Join(outside, "dir"),
		"root":        "/",
		"null.png":    "/dev/null",
		"loop.png":    "loop.png",
		"gone.png":    filepath.Join(base, "nothing.png"),
		"notes-x.txt": filepath.Join(base, "nothing.txt"), // not an image: not listed
	}
	for name, to := range links {
		if err := os.Symlink(to, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "pipe.jpg"), 0o644); err != nil {
		t.Fatal(err)
	}

	ids := func(files []FileEntry) []string {
		var out []string
		for _, f := range files {
			out = append(out, f.ID)
		}
		slices.Sort(out)
		return out
	}
	files, bad, err := Walk(root, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ids(files), ","); got != "a,inside,insub/b" {
		t.Errorf("files %s, want a,inside,insub/b (sub is the folder insub leads to: a loop)", got)
	}
	reasons := map[string]string{}
	for _, b := range bad {
		reasons[filepath.Base(b.Path)] = b.Reason
	}
	for name, want := range map[string]string{
		"secret.png": "outside the folder", "outdir": "outside the folder", "root": "outside the folder",
		"null.png": "outside the folder", "loop.png": "symbolic link loop", "gone.png": "broken symbolic link",
		"pipe.jpg": "named pipe", "sub": "directory loop",
	} {
		if !strings.Contains(reasons[name], want) {
			t.Errorf("%s: reason %q, want one saying %q", name, reasons[name], want)
		}
	}
	if _, listed := reasons["notes-x.txt"]; listed {
		t.Errorf("a broken link that is not an image was listed")
	}

	// --follow-links follows them out; the device is still not a file.
	os.Remove(filepath.Join(root, "root"))
	files, bad, err = Walk(root, true)
	if err != nil {
		t.Fatal(err)
	}
	got := ids(files)
	if !slices.Contains(got, "secret") || !slices.Contains(got, "outdir/c") {
		t.Errorf("with links followed: %v", got)
	}
	found := false
	for _, b := range bad {
		if filepath.Base(b.Path) == "null.png" && strings.Contains(b.Reason, "character device") {
			found = true
		}
	}
	if !found {
		t.Errorf("a link to /dev/null was not listed as a device: %v", bad)
	}
}
