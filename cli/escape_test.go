package cli

import (
	"bytes"
	"errors"
	"github.com/vecimg/vecimg/internal/testfix"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"
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
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	testfix.NoisePNGs(t, imgs, 2, 3)
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

// A file of random bytes given to import (as Parquet or npz), to merge or
// to ingest (as a JPEG) is reported with facts about it, never with its
// bytes, and what is printed is one clean line (issue 21).
func TestBadFilesNotQuoted(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(7, 9))
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = byte(r.UintN(256))
	}
	head := strings.Trim(strconv.Quote(string(junk[:3])), `"`) // as a %q would quote it
	clean := func(what, msg string) {
		t.Helper()
		if !utf8.ValidString(msg) || strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 }) {
			t.Errorf("%s printed control characters or invalid UTF-8: %q", what, msg)
		}
		if strings.Contains(msg, string(junk[:3])) || strings.Contains(msg, head) {
			t.Errorf("%s quotes the file's bytes: %q", what, msg)
		}
	}
	for name, want := range map[string]string{
		"x.parquet": "is not a Parquet file (it does not start with PAR1)",
		"x.npz":     "is not a readable .npz (zip) archive",
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, junk, 0o644); err != nil {
			t.Fatal(err)
		}
		out, stderr, err := runBoth(t, "--db", filepath.Join(dir, "db-"+name), "import", path, "--model-name", "m")
		if err == nil {
			t.Fatalf("import of a binary %s succeeded", name)
		}
		clean("import "+name, out+stderr+ErrorText(err))
		if !strings.Contains(err.Error(), path+" "+want) {
			t.Errorf("import %s: %v, want %q", name, err, want)
		}
	}
	db := filepath.Join(dir, "db")
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	testfix.NoisePNGs(t, imgs, 1, 1)
	bad := filepath.Join(imgs, "bad.jpg")
	if err := os.WriteFile(bad, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runBoth(t, "--db", db, "ingest", "--weights", testWeights, imgs)
	if err != nil || !strings.Contains(out, bad+": not an image") {
		t.Fatalf("ingest with a binary .jpg: %v\n%s", err, out)
	}
	clean("ingest", out+stderr)
	_, _, err = runBoth(t, "--db", db, "merge", filepath.Join(dir, "x.parquet"))
	if err == nil {
		t.Fatal("merge of a binary x.parquet succeeded")
	}
	clean("merge", ErrorText(err))
	// What main prints of an error is escaped, whatever a name holds.
	if got := ErrorText(errors.New("open a\x1b[31mb.npz: bad \xff\nsecond line")); got != `open a\x1b[31mb.npz: bad \xff`+"\nsecond line" {
		t.Errorf("ErrorText: %q", got)
	}
}
