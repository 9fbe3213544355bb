package cli

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/merge"
	"github.com/vecimg/vecimg/internal/parquetio"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// readExport reads a Parquet export back through parquetio.
func readExport(t *testing.T, dir string) []parquetio.Row {
	t.Helper()
	return testfix.ReadParquet(t, dir)
}

func sameVectors(t *testing.T, what string, a, b []parquetio.Row) {
	t.Helper()
	testfix.SameVectors(t, what, a, b)
}

// TestParquetRoundTrip: export → import into a new store → export gives the
// same ids and bit-identical vectors; export → merge into a new store →
// export gives the same rows, paths and hashes included.
func TestParquetRoundTrip(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	mustRun(t, "--db", db, "import", "-q", "--model-name", "m", "testdata/npz/good.npz")
	mustRun(t, "--db", db, "cluster", "--k", "2")
	exp1 := filepath.Join(dir, "exp1")
	res := decodeJSON[app.ExportParquetResult](t, mustRun(t, "--db", db, "export", "--json", "--format", "parquet", "--rows-per-file", "4", "--out", exp1))
	if res.Records != 6 || res.Dim != 8 || len(res.Files) != 2 || res.Files[0].Rows != 4 || res.Files[1].Rows != 2 || res.VectorType != "float32" {
		t.Fatalf("export: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(exp1, parquetio.SuccessFile)); err != nil {
		t.Fatal(err)
	}
	rows1 := readExport(t, exp1)
	labelled := 0
	for _, r := range rows1 {
		if r.Label >= 0 {
			labelled++
		}
	}
	if labelled != 6 {
		t.Fatalf("%d of 6 exported rows have a label after cluster", labelled)
	}

	// Import the folder into a new store and export again.
	db2 := filepath.Join(dir, "b.db")
	imp := decodeJSON[app.ImportResult](t, mustRun(t, "--db", db2, "import", "--json", "--model-name", "m", exp1))
	if imp.Rows != 6 || imp.Format != "parquet" || imp.Dim != 8 {
		t.Fatalf("import of the export: %+v", imp)
	}
	exp2 := filepath.Join(dir, "exp2.parquet") // the suffix chooses Parquet
	mustRun(t, "--db", db2, "export", "-q", "--out", exp2)
	sameVectors(t, "export → import → export", rows1, readExport(t, exp2))

	// Merge restores a store with its paths and hashes from the export.
	db3 := filepath.Join(dir, "c.db")
	mr := decodeJSON[app.MergeResult](t, mustRun(t, "--db", db3, "merge", "--json", exp1))
	if mr.Written != 6 {
		t.Fatalf("merge of the export: %+v", mr)
	}
	exp3 := filepath.Join(dir, "exp3")
	mustRun(t, "--db", db3, "export", "-q", "--format", "parquet", "--out", exp3)
	rows3 := readExport(t, exp3)
	sameVectors(t, "export → merge → export", rows1, rows3)
	for i := range rows1 {
		a, b := rows1[i], rows3[i]
		if a.Path != b.Path || a.SHA256 != b.SHA256 || a.Width != b.Width || a.Height != b.Height || b.Label != -1 {
			t.Fatalf("row %d: %+v vs %+v", i, a, b)
		}
	}
	// float16 is half the vector bytes and close.
	exp4 := filepath.Join(dir, "exp4")
	r16 := decodeJSON[app.ExportParquetResult](t, mustRun(t, "--db", db, "export", "--json", "--format", "parquet", "--vector-type", "float16", "--out", exp4))
	if r16.VectorType != "float16" || r16.Records != 6 {
		t.Fatalf("float16 export: %+v", r16)
	}
	for i, r := range readExport(t, exp4) {
		for j, v := range r.Vector {
			if w := rows1[i].Vector[j]; math.Abs(float64(v-w)) > 1e-3*math.Abs(float64(w))+1e-4 {
				t.Fatalf("float16 row %d value %d: %v vs %v", i, j, v, w)
			}
		}
	}
}

func TestParquetRefusals(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	mustRun(t, "--db", db, "import", "-q", "--model-name", "m", "testdata/npz/good.npz")
	// An --out folder that holds other files.
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "keep.txt"), []byte("mine"), 0o644)
	_, err := run(t, "--db", db, "export", "--format", "parquet", "--out", other)
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "keep.txt") {
		t.Fatalf("export into a folder with other files: %v", err)
	}
	if ents, _ := os.ReadDir(other); len(ents) != 1 {
		t.Fatalf("refused export left %d entries", len(ents))
	}
	if _, err := run(t, "--db", db, "export", "--format", "csv"); !errors.Is(err, ErrUsage) {
		t.Fatalf("--format csv: %v", err)
	}
	if _, err := run(t, "--db", db, "export", "--format", "parquet", "--vector-type", "int8", "--out", filepath.Join(dir, "x")); !errors.Is(err, ErrUsage) {
		t.Fatalf("--vector-type int8: %v", err)
	}

	// Bad Parquet: truncated, wrong column; nothing is written, no store made.
	exp := filepath.Join(dir, "exp")
	mustRun(t, "--db", db, "export", "-q", "--format", "parquet", "--out", exp)
	b, _ := os.ReadFile(filepath.Join(exp, parquetio.PartName(0)))
	cut := filepath.Join(dir, "cut.parquet")
	os.WriteFile(cut, b[:len(b)-20], 0o644)
	db2 := filepath.Join(dir, "new.db")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{cut}, "not a complete Parquet file"},
		{[]string{exp, "--vector-column", "path"}, "single"},
		{[]string{exp, "--id-column", "nope"}, "no id column"},
	} {
		_, err := run(t, append([]string{"--db", db2, "import", "--model-name", "m"}, c.args...)...)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("import %v: %v (want %q)", c.args, err, c.want)
		}
		if _, err := os.Stat(db2); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("refused import %v created the store", c.args)
		}
	}
}

func TestMergeCommand(t *testing.T) {
	dir := t.TempDir()
	m := store.Manifest{Model: "mm", Preset: "blitz", Dim: 4, InputSize: 448}
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	testfix.PutStore(t, a, m, testfix.Record("1", 1), testfix.Record("2", 2))
	testfix.PutStore(t, b, m, testfix.Record("2", 3), testfix.Record("3", 4))
	out := filepath.Join(dir, "out.db")
	_, err := run(t, "--db", out, "merge", a, b)
	if !errors.Is(err, ErrUsage) || !errors.Is(err, merge.ErrConflict) || !strings.Contains(err.Error(), `"2"`) || !strings.Contains(err.Error(), "--on-conflict rename") {
		t.Fatalf("conflicting merge: %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused merge created the output store")
	}
	res := decodeJSON[app.MergeResult](t, mustRun(t, "--db", out, "merge", "--json", "--on-conflict", "rename", a, b))
	if res.Written != 4 || res.NConflicts != 1 || res.Conflicts[0].Renamed[0] != "2~2" {
		t.Fatalf("rename merge: %+v", res)
	}
	text := mustRun(t, "--db", out, "merge", "--on-conflict", "rename", a, b)
	if !strings.Contains(text, "0 records written, 4 already there") {
		t.Fatalf("resumed merge: %s", text)
	}
	m2 := m
	m2.Preset = "recipe"
	c := filepath.Join(dir, "c.db")
	testfix.PutStore(t, c, m2, testfix.Record("9", 9))
	if _, err := run(t, "--db", filepath.Join(dir, "o2.db"), "merge", a, c); !errors.Is(err, store.ErrManifestMismatch) || !strings.Contains(err.Error(), "preset") {
		t.Fatalf("manifest mismatch: %v", err)
	}
	for _, args := range [][]string{{"merge"}, {"merge", "--on-conflict", "drop", a}, {"merge", out}, {"merge", a, a}} {
		if _, err := run(t, append([]string{"--db", out}, args...)...); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: %v", args, err)
		}
	}
}

func TestIngestShardFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"--shard", "4/4"}, {"--shard", "x"}, {"--shards", "3"}, {"--shard", "auto"}} {
		_, err := run(t, append([]string{"--db", filepath.Join(dir, "s.db"), "ingest"}, append(args, dir)...)...)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("ingest %v: %v", args, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "s.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("refused ingest created a store")
	}
}

// TestShardedIngestMerge ingests four shards into four stores, merges them
// and compares with one ingest of the whole folder.
func TestShardedIngestMerge(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "test")
	for i, n := range []string{"1.png", "2.png", "3.png", "4.jpg"} {
		for k := range 3 { // 12 files in two folders
			testfix.CopyFile(t, filepath.Join("testdata", "images", n), filepath.Join(imgs, fmt.Sprintf("d%d", k), fmt.Sprintf("%d-%s", i, n)))
		}
	}
	whole := filepath.Join(dir, "whole.db")
	mustRun(t, "--db", whole, "ingest", "-q", "--weights", testWeights, imgs)
	var shards []string
	total := 0
	for i := range 4 {
		db := filepath.Join(dir, fmt.Sprintf("s%d.db", i))
		t.Setenv("JOB_COMPLETION_INDEX", fmt.Sprint(i))
		res := decodeJSON[app.IngestResult](t, mustRun(t, "--db", db, "ingest", "--json", "--shard", "auto", "--shards", "4", "--weights", testWeights, imgs))
		if res.Shard != fmt.Sprintf("%d/4", i) || !strings.Contains(res.ShardFrom, "JOB_COMPLETION_INDEX") {
			t.Fatalf("shard %d: %+v", i, res)
		}
		total += res.Total
		if res.Total > 0 {
			shards = append(shards, db)
		}
		// A re-run shard resumes: nothing to embed.
		again := decodeJSON[embed.IngestStats](t, mustRun(t, "--db", db, "ingest", "--json", "--shard", fmt.Sprintf("%d/4", i), "--weights", testWeights, imgs))
		if again.Stored != 0 || again.Present != res.Total {
			t.Fatalf("re-run of shard %d: %+v", i, again)
		}
	}
	if total != 12 {
		t.Fatalf("shards hold %d files of 12", total)
	}
	merged := filepath.Join(dir, "merged.db")
	mustRun(t, append([]string{"--db", merged, "merge", "-q"}, shards...)...)
	e1, e2 := filepath.Join(dir, "e1"), filepath.Join(dir, "e2")
	mustRun(t, "--db", whole, "export", "-q", "--format", "parquet", "--out", e1)
	mustRun(t, "--db", merged, "export", "-q", "--format", "parquet", "--out", e2)
	sameVectors(t, "sharded vs whole", readExport(t, e1), readExport(t, e2))
}
