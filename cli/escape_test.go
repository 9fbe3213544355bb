package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Failure 9 of issue 18: ids and paths were printed raw, so a file name
// could colour the terminal or break a table.
func TestEscapeText(t *testing.T) {
	for in, want := range map[string]string{
		"plain/id-1":          "plain/id-1",
		"é and ü":             "é and ü",
		"red\x1b[31mtext":     `red\x1b[31mtext`,
		"two\nlines\tand\rcr": `two\nlines\tand\rcr`,
		"bell\x07 del\x7f":    `bell\x07 del\x7f`,
		"bad \xff utf8":       `bad \xff utf8`,
		"c1 \u009b csi":       `c1 \u009b csi`,
	} {
		if got := escapeText(in); got != want {
			t.Errorf("escapeText(%q) = %q, want %q", in, got, want)
		}
	}
	var b bytes.Buffer
	tb := newTable(&b, "id", "path")
	tb.row("a\nb", "/x/\x1b[2J.png")
	tb.flush()
	if strings.Count(b.String(), "\n") != 2 || strings.ContainsRune(b.String(), 0x1b) {
		t.Errorf("table with control characters:\n%q", b.String())
	}
}

// The bad-file list of an ingest escapes paths and lists a named pipe.
func TestIngestListsOddFilesEscaped(t *testing.T) {
	needRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	writeNoisePNGs(t, imgs, 2, 3)
	if err := syscall.Mkfifo(filepath.Join(imgs, "pipe\x1b[31m.jpg"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runBoth(t, "--db", filepath.Join(dir, "db"), "ingest", "--weights", testWeights, imgs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsRune(out, 0x1b) || !strings.Contains(out, `pipe\x1b[31m.jpg: not a regular file (a named pipe)`) {
		t.Errorf("ingest output:\n%s", out)
	}
}
