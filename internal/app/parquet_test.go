package app

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/merge"
	"github.com/vecimg/vecimg/internal/parquetio"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// TestParquetRoundTrip: ExportParquet → Import into a new store →
// ExportParquet gives the same ids and bit-identical vectors; the export
// merged into a new store keeps paths and hashes; float16 halves the
// vectors and stays close.
func TestParquetRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	a := openApp(t, filepath.Join(dir, "a.db"))
	if _, err := a.Import(ctx, ImportOptions{File: goodNPZ(t, dir), ModelName: "m"}); err != nil {
		t.Fatal(err)
	}
	exp1 := filepath.Join(dir, "exp1")
	res, err := a.ExportParquet(ctx, ExportParquetOptions{Out: exp1, RowsPerFile: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 6 || res.Dim != 8 || len(res.Files) != 2 || res.Files[0].Rows != 4 || res.Files[1].Rows != 2 ||
		res.VectorType != "float32" || res.Format != "parquet" || res.Path != exp1 || res.Bytes <= 0 {
		t.Fatalf("export: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(exp1, parquetio.SuccessFile)); err != nil {
		t.Fatal(err)
	}
	rows1 := testfix.ReadParquet(t, exp1)

	// Import the folder into a new store (named columns: read as any
	// Parquet, not restored) and export again.
	b := openApp(t, filepath.Join(dir, "b.db"))
	imp, err := b.Import(ctx, ImportOptions{File: exp1, ModelName: "m", Columns: ParquetColumns{ID: "id", Vector: "vector"}})
	if err != nil {
		t.Fatal(err)
	}
	if imp.Rows != 6 || imp.Format != "parquet" || imp.Dim != 8 || imp.Restored {
		t.Fatalf("import of the export: %+v", imp)
	}
	exp2 := filepath.Join(dir, "exp2")
	if _, err := b.ExportParquet(ctx, ExportParquetOptions{Out: exp2}); err != nil {
		t.Fatal(err)
	}
	testfix.SameVectors(t, "export → import → export", rows1, testfix.ReadParquet(t, exp2))

	// Without named columns, an export is restored as exported.
	r := openApp(t, filepath.Join(dir, "r.db"))
	imp, err = r.Import(ctx, ImportOptions{File: exp1})
	if err != nil || !imp.Restored || imp.Rows != 6 || imp.Model != "m" {
		t.Fatalf("restore of the export: %+v %v", imp, err)
	}

	// Merge restores a store with its paths and hashes from the export.
	c := openApp(t, filepath.Join(dir, "c.db"))
	mr, err := c.Merge(ctx, MergeOptions{Inputs: []string{exp1}})
	if err != nil || mr.Written != 6 {
		t.Fatalf("merge of the export: %+v %v", mr, err)
	}
	exp3 := filepath.Join(dir, "exp3")
	if _, err := c.ExportParquet(ctx, ExportParquetOptions{Out: exp3}); err != nil {
		t.Fatal(err)
	}
	rows3 := testfix.ReadParquet(t, exp3)
	testfix.SameVectors(t, "export → merge → export", rows1, rows3)
	for i := range rows1 {
		x, y := rows1[i], rows3[i]
		if x.Path != y.Path || x.SHA256 != y.SHA256 || x.Width != y.Width || x.Height != y.Height || !strings.Contains(x.Path, "good.npz#") {
			t.Fatalf("row %d: %+v vs %+v", i, x, y)
		}
	}

	exp4 := filepath.Join(dir, "exp4")
	r16, err := a.ExportParquet(ctx, ExportParquetOptions{Out: exp4, VectorType: "float16"})
	if err != nil || r16.VectorType != "float16" || r16.Records != 6 {
		t.Fatalf("float16 export: %+v %v", r16, err)
	}
	for i, row := range testfix.ReadParquet(t, exp4) {
		for j, v := range row.Vector {
			if w := rows1[i].Vector[j]; math.Abs(float64(v-w)) > 1e-3*math.Abs(float64(w))+1e-4 {
				t.Fatalf("float16 row %d value %d: %v vs %v", i, j, v, w)
			}
		}
	}
}

// TestParquetRefusals: bad export options and folders, and bad Parquet
// inputs, are refused before anything is written.
func TestParquetRefusals(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	a := openApp(t, filepath.Join(dir, "a.db"))
	if _, err := a.Import(ctx, ImportOptions{File: goodNPZ(t, dir), ModelName: "m"}); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExportParquet(ctx, ExportParquetOptions{Out: other}); !IsBadInput(err) || !strings.Contains(err.Error(), "keep.txt") {
		t.Fatalf("export into a folder with other files: %v", err)
	}
	if ents, _ := os.ReadDir(other); len(ents) != 1 {
		t.Fatalf("refused export left %d entries", len(ents))
	}
	for name, o := range map[string]ExportParquetOptions{
		"int8":     {Out: filepath.Join(dir, "x"), VectorType: "int8"},
		"rows < 0": {Out: filepath.Join(dir, "x"), RowsPerFile: -1},
		"no out":   {},
	} {
		if _, err := a.ExportParquet(ctx, o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a refused export made its folder")
	}

	// Bad Parquet: truncated, wrong column; nothing is written, no store made.
	exp := filepath.Join(dir, "exp")
	if _, err := a.ExportParquet(ctx, ExportParquetOptions{Out: exp}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(exp, parquetio.PartName(0)))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.parquet")
	if err := os.WriteFile(cut, data[:len(data)-20], 0o644); err != nil {
		t.Fatal(err)
	}
	db2 := filepath.Join(dir, "new.db")
	for _, c := range []struct {
		o    ImportOptions
		want string
	}{
		{ImportOptions{File: cut}, "not a complete Parquet file"},
		{ImportOptions{File: exp, Columns: ParquetColumns{Vector: "path"}}, "single"},
		{ImportOptions{File: exp, Columns: ParquetColumns{ID: "nope"}}, "no id column"},
	} {
		c.o.ModelName = "m"
		b := openApp(t, db2)
		_, err := b.Import(ctx, c.o)
		b.Close()
		if !IsBadInput(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("import %+v: %v (want %q)", c.o, err, c.want)
		}
		if _, err := os.Stat(db2); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("refused import %+v created the store", c.o)
		}
	}
}

// TestMerge: conflicts are refused (nothing created) or renamed; a merge
// run again finds its records there; inputs of another manifest, no
// input, the output itself or one input twice are refused.
func TestMerge(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	m := store.Manifest{Model: "mm", Preset: "blitz", Dim: 4, InputSize: 448}
	x, y := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	testfix.PutStore(t, x, m, testfix.Record("1", 1), testfix.Record("2", 2))
	testfix.PutStore(t, y, m, testfix.Record("2", 3), testfix.Record("3", 4))
	out := filepath.Join(dir, "out.db")
	a := openApp(t, out)
	_, err := a.Merge(ctx, MergeOptions{Inputs: []string{x, y}})
	var ce *merge.ConflictError
	if !errors.Is(err, merge.ErrConflict) || !IsBadInput(err) || !errors.As(err, &ce) || ce.Total != 1 || ce.Conflicts[0].ID != "2" {
		t.Fatalf("conflicting merge: %v", err)
	}
	a.Close()
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused merge created the output store")
	}
	a = openApp(t, out)
	res, err := a.Merge(ctx, MergeOptions{Inputs: []string{x, y}, OnConflict: merge.Rename})
	if err != nil || res.Written != 4 || res.NConflicts != 1 || res.Conflicts[0].Renamed[0] != "2~2" || res.Into != out {
		t.Fatalf("rename merge: %+v %v", res, err)
	}
	res, err = a.Merge(ctx, MergeOptions{Inputs: []string{x, y}, OnConflict: merge.Rename})
	if err != nil || res.Written != 0 || res.Present != 4 {
		t.Fatalf("merge run again: %+v %v", res, err)
	}
	info, err := a.Info(ctx)
	if err != nil || info.Count != 4 {
		t.Fatalf("after the merges: %d records, %v", info.Count, err)
	}

	m2 := m
	m2.Preset = "recipe"
	z := filepath.Join(dir, "c.db")
	testfix.PutStore(t, z, m2, testfix.Record("9", 9))
	o2 := openApp(t, filepath.Join(dir, "o2.db"))
	if _, err := o2.Merge(ctx, MergeOptions{Inputs: []string{x, z}}); !errors.Is(err, store.ErrManifestMismatch) || !strings.Contains(err.Error(), "preset") {
		t.Fatalf("manifest mismatch: %v", err)
	}
	for name, o := range map[string]MergeOptions{
		"no input":         {},
		"unknown conflict": {Inputs: []string{x}, OnConflict: "drop"},
		"the output":       {Inputs: []string{out}},
		"an input twice":   {Inputs: []string{x, x}},
	} {
		if _, err := a.Merge(ctx, o); !IsBadInput(err) {
			t.Errorf("%s: %v, want bad input", name, err)
		}
	}
}
