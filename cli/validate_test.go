package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
)

// TestValidateFirst: every refused command leaves the store and its index
// byte-for-byte as they were (and writes no output file); the error says
// what was wrong.
func TestValidateFirst(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	npzFile := testfix.NPZ(t, dir, "v.npz", []string{"1", "2", "3", "4", "5", "6", "7", "8"}, 8, 2)
	mustRun(t, "--db", db, "import", "-q", "--model-name", "m", npzFile)
	mustRun(t, "--db", db, "cluster", "--k", "2")
	goodTpl := filepath.Join(dir, "good.csv")
	os.WriteFile(goodTpl, []byte("ImageID,label\n3,0\n1,0\n"), 0o644)
	badTpl := filepath.Join(dir, "broken.csv")
	os.WriteFile(badTpl, []byte("ImageID,label\n3,0\n99,0\n"), 0o644)
	quoteTpl := filepath.Join(dir, "quote.csv")
	os.WriteFile(quoteTpl, []byte("ImageID,label\n\"3,0\n"), 0o644)
	aFile := filepath.Join(dir, "afile")
	os.WriteFile(aFile, []byte("x"), 0o644)
	csv := filepath.Join(dir, "s.csv")
	sheets := filepath.Join(dir, "sheets")
	check := func(t *testing.T, args []string, want error, words string) {
		t.Helper()
		before := testfix.Snapshot(t, db, db+".hnsw", csv, sheets)
		_, err := run(t, append([]string{"--db", db}, args...)...)
		if err == nil || (want != nil && !errors.Is(err, want)) || !strings.Contains(err.Error(), words) {
			t.Errorf("%v: err = %v, want %v saying %q", args, err, want, words)
		}
		testfix.SameSnapshot(t, before, testfix.Snapshot(t, db, db+".hnsw", csv, sheets))
	}
	for _, tc := range []struct {
		args  []string
		want  error
		words string
	}{
		{[]string{"cluster", "--k", "2", "--template", badTpl, "--export", csv}, ErrUsage, "99"},
		{[]string{"cluster", "--k", "2", "--template", quoteTpl, "--export", csv}, ErrUsage, "quote.csv"},
		{[]string{"cluster", "--k", "2", "--template", filepath.Join(dir, "none.csv"), "--export", csv}, ErrUsage, "none.csv"},
		{[]string{"cluster", "--k", "2", "--template", goodTpl}, ErrUsage, "--template needs --export"},
		{[]string{"cluster", "--k", "2", "--export", filepath.Join(dir, "no", "such", "s.csv")}, ErrUsage, "does not exist"},
		{[]string{"cluster", "--k", "2", "--export", dir}, ErrUsage, "is a folder"},
		{[]string{"cluster", "--k", "2", "--sheets", filepath.Join(aFile, "sub")}, ErrUsage, "is a file"},
		{[]string{"cluster", "--k", "9"}, ErrUsage, "more than the 8 stored"},
		{[]string{"cluster", "--k", "0"}, ErrUsage, "--k"},
		{[]string{"cluster", "--k", "2", "extra"}, ErrUsage, "no arguments"},
		{[]string{"cluster", "--k", "2..3", "--export", csv}, ErrUsage, "writes nothing"},
		{[]string{"cluster", "--report", "--k", "1..3"}, ErrUsage, "2..8"},
		{[]string{"similar", "nope.jpg"}, app.ErrNotFound, `tried id "nope.jpg", id "nope"`},
		{[]string{"similar", "-k", "0", "1"}, ErrUsage, "-k must be positive"},
		{[]string{"similar", "--ef", "-1", "1"}, ErrUsage, "--ef"},
		{[]string{"similar", "1", "2"}, ErrUsage, "one QUERY"},
		{[]string{"similar", "testdata/images/1.png"}, app.ErrNoModel, "imported vectors"},
		{[]string{"export", "--out", filepath.Join(dir, "no", "x.npz")}, ErrUsage, "does not exist"},
		{[]string{"import", "--model-name", "other", npzFile}, nil, "import into a new store"},
		{[]string{"import", "--model-name", "m", "testdata/npz/nan.npz"}, ErrUsage, "NaN"},
		{[]string{"ingest", filepath.Join(dir, "no-such-dir")}, ErrUsage, "not a folder"},
		{[]string{"ingest", dir}, app.ErrNoModel, "imported vectors"},
		{[]string{"info", "extra"}, ErrUsage, "no arguments"},
		{[]string{"check", "extra"}, ErrUsage, "no arguments"},
	} {
		check(t, tc.args, tc.want, tc.words)
	}
	// The query is checked before the index is built: with no index file,
	// a query that names nothing leaves none behind.
	os.Remove(db + ".hnsw")
	check(t, []string{"similar", "nope"}, app.ErrNotFound, "nope")
	if _, err := os.Stat(db + ".hnsw"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed query built the index: %v", err)
	}
	// A missing store is reported, after the arguments were checked, and
	// not created.
	none := filepath.Join(dir, "none.db")
	for _, args := range [][]string{{"info"}, {"similar", "1"}, {"cluster", "--k", "2"}, {"export"}, {"check"}} {
		_, err := run(t, append([]string{"--db", none}, args...)...)
		if !errors.Is(err, app.ErrNoStore) || !strings.Contains(err.Error(), "vecimg ingest") {
			t.Errorf("%v on a missing store: %v", args, err)
		}
	}
	if _, err := os.Stat(none); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a command on a missing store created it: %v", err)
	}
}
