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

// importStore makes a store of n imported 512-d vectors (stored in the value
// log) and returns its path.
func importStore(t *testing.T, dir, name string, n int) string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "img" + itoa(i)
	}
	db := filepath.Join(dir, name+".db")
	npz := testfix.NPZ(t, dir, name+".npz", ids, 512, 3)
	mustRun(t, "--db", db, "import", "-q", "--model-name", "m", npz)
	return db
}

// Failures 1 and 2 of issue 18 through the command: check names the
// records a flipped value-log byte damaged, changes no file, and --repair
// drops them; a truncated MANIFEST is reported as a rollback by check and
// refuses every other command until --accept-rollback.
func TestCheckDamage(t *testing.T) {
	dir := t.TempDir()
	db := importStore(t, dir, "a", 200)
	vlogs, _ := filepath.Glob(filepath.Join(db, "*.vlog"))
	vlog := ""
	for _, v := range vlogs {
		if fi, err := os.Stat(v); err == nil && fi.Size() > 1000 {
			vlog = v
		}
	}
	b, err := os.ReadFile(vlog)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x08
	if err := os.WriteFile(vlog, b, 0o644); err != nil {
		t.Fatal(err)
	}
	before := testfix.Snapshot(t, dir)
	out, err := run(t, "--db", db, "check")
	if !errors.Is(err, ErrCheck) || !strings.Contains(out, `store record "img`) || !strings.Contains(out, "value-log entry damaged") {
		t.Fatalf("check of a flipped value-log byte: %v\n%s", err, out)
	}
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, dir))
	// The damaged record is not exported as good.
	if _, err := run(t, "--db", db, "export", "--out", filepath.Join(dir, "x.npz")); err == nil {
		t.Errorf("export of a store with a damaged record succeeded")
	}
	out, err = run(t, "--db", db, "check", "--repair")
	if err != nil || !strings.Contains(out, "repaired: dropped damaged record") || !strings.Contains(out, "199 records") {
		t.Fatalf("check --repair: %v\n%s", err, out)
	}
	mustRun(t, "--db", db, "check")

	// Failure 8: temporary files of a killed index save and of a killed
	// vector-positions write are reported, and removed by --repair (and by
	// the next save: fsutil's test).
	tmp := filepath.Join(dir, ".a.db.hnsw.tmp-4242")
	if err := os.WriteFile(tmp, []byte("half an index"), 0o644); err != nil {
		t.Fatal(err)
	}
	tmpPos := filepath.Join(dir, ".a.db.vpos.tmp-4243")
	if err := os.WriteFile(tmpPos, []byte("positions"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "--db", db, "check")
	if !errors.Is(err, ErrCheck) || !strings.Contains(out, "temporary file of an interrupted index save (13 bytes)") ||
		!strings.Contains(out, "temporary file of an interrupted vector-positions write (9 bytes)") {
		t.Errorf("check with stale temporary files: %v\n%s", err, out)
	}
	mustRun(t, "--db", db, "check", "--repair")
	for _, p := range []string{tmp, tmpPos} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("check --repair left %s", p)
		}
	}

	// A rollback: the second import's records are lost from the MANIFEST.
	db2 := importStore(t, dir, "b", 100)
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = "more" + itoa(i)
	}
	mustRun(t, "--db", db2, "import", "-q", "--model-name", "m", testfix.NPZ(t, dir, "more.npz", ids, 512, 3))
	man := filepath.Join(db2, "MANIFEST")
	fi, _ := os.Stat(man)
	if err := os.Truncate(man, fi.Size()-12); err != nil {
		t.Fatal(err)
	}
	before = testfix.Snapshot(t, db2)
	for _, args := range [][]string{{"info"}, {"export", "--out", filepath.Join(dir, "y.npz")}, {"rm", "img1"}, {"check", "--repair"}} {
		_, err := run(t, append([]string{"--db", db2}, args...)...)
		if !errors.Is(err, app.ErrRollback) || !strings.Contains(err.Error(), "lost: 1 committed batch(es), 100 records") || !strings.Contains(err.Error(), "--accept-rollback") {
			t.Errorf("%s on a rolled-back store: %v", args[0], err)
		}
	}
	out, err = run(t, "--db", db2, "check")
	if !errors.Is(err, ErrCheck) || !strings.Contains(out, "went back in time") || !strings.Contains(out, ".sst are not listed") {
		t.Errorf("check of a rolled-back store: %v\n%s", err, out)
	}
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, db2))
	// Accepted: the store is used as it is now.
	mustRun(t, "--db", db2, "--accept-rollback", "rm", "img1")
	out = mustRun(t, "--db", db2, "info")
	if !strings.Contains(out, "99") {
		t.Errorf("info after the accepted rollback:\n%s", out)
	}
}

// A damaged index file is reported once per fact, naming the file and
// what to do next, by check, info and the query that rebuilds it (issue
// 21: no stacked prefixes such as `open index …: index: corrupt index
// file: …`).
func TestDamagedIndexFileWords(t *testing.T) {
	_, db := importedThirty(t)
	mustRun(t, "--db", db, "similar", "3")
	path := db + ".hnsw"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[20] ^= 0xff // inside the checksummed header
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}

	out, err := run(t, "--db", db, "check")
	want := "index file " + path + ": damaged: header checksum mismatch; `vecimg check --repair` removes it and the next query rebuilds it\n" +
		db + ": 30 records, generation 1, schema 3; index: not usable (listed above); 1 problem\n"
	if out != want {
		t.Errorf("check of a damaged index file printed\n%s\nwant\n%s", out, want)
	}
	wantErr := "check found problems: 1 problem in " + db + " (listed above); run `vecimg check --repair` to drop what is damaged"
	if !errors.Is(err, ErrCheck) || err.Error() != wantErr {
		t.Errorf("check of a damaged index file: %v, want %q", err, wantErr)
	}
	out = mustRun(t, "--db", db, "info")
	if wantRow := "index         " + path + ": damaged: header checksum mismatch (the next query rebuilds it)\n"; !strings.Contains(out, wantRow) {
		t.Errorf("info of a damaged index file has no line %q:\n%s", wantRow, out)
	}
	_, stderr, err := runBoth(t, "--db", db, "similar", "3")
	if wantLine := "index file " + path + " is damaged: header checksum mismatch; rebuilt it\n"; err != nil || !strings.Contains(stderr, wantLine) {
		t.Errorf("similar with a damaged index file: %v; stderr has no line %q:\n%s", err, wantLine, stderr)
	}
	mustRun(t, "--db", db, "check")
}
