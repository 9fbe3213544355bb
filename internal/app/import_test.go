package app

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// importIDs are the ids of goodNPZ: a path-like id, a number, non-ASCII
// and a long one.
var importIDs = []string{"a", "b", "c/d", "12", "éé", "long-id-" + strings.Repeat("x", 20)}

// goodNPZ writes an .npz of importIDs with 8-d vectors in two clear groups
// and returns its path.
func goodNPZ(t *testing.T, dir string) string {
	t.Helper()
	rows := make([][]float32, len(importIDs))
	for i := range rows {
		rows[i] = make([]float32, 8)
		for j := range rows[i] {
			rows[i][j] = float32(i%2*4+j%4) + float32(i)*0.01 + 0.5
		}
	}
	path := filepath.Join(dir, "good.npz")
	testfix.NPZRows(t, path, importIDs, rows)
	return path
}

// TestImport imports an .npz into a new store and uses the store like any
// other: queries work, a new image or an ingest is refused (no model), a
// second import replaces rows, another model name is refused, and an
// export imports back bit for bit.
func TestImport(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db := filepath.Join(dir, "imp.db")
	file := goodNPZ(t, dir)
	a := openApp(t, db)
	res, err := a.Import(ctx, ImportOptions{File: file, ModelName: "clip-vit-b32"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 6 || res.Dim != 8 || res.Format != "npz" || res.Model != "clip-vit-b32" || res.Replaced != 0 || res.Restored || res.File != file {
		t.Fatalf("import: %+v", res)
	}
	info, err := a.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Count != 6 || info.Dim != 8 || info.Model != "clip-vit-b32" || info.Preset != "none" || info.ModelSpec == nil ||
		info.ModelSpec.Kind != store.ModelImported || info.ModelSpec.Name != "clip-vit-b32" || info.Schema != store.SchemaVersion || info.Index == nil || !info.Index.Current {
		t.Fatalf("info after import: %+v %+v", info, info.ModelSpec)
	}
	sim, err := a.Similar(ctx, SimilarOptions{Query: "c/d", K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if sim.QueryID != "c/d" || len(sim.Results) != 5 {
		t.Fatalf("similar on an imported store: %+v", sim)
	}
	for _, r := range sim.Results {
		row := -1
		for i, id := range importIDs {
			if id == r.ID {
				row = i
			}
		}
		if row < 0 || r.Path != file+"#"+strconv.Itoa(row) {
			t.Errorf("result %+v: want the path %s#ROW of its row", r, file)
		}
	}

	// A new image file: the store has no model, and says so.
	imgs := filepath.Join(dir, "imgs")
	if err := os.MkdirAll(imgs, 0o755); err != nil {
		t.Fatal(err)
	}
	testfix.NoisePNGs(t, imgs, 1, 1)
	png := filepath.Join(imgs, "0.png")
	if _, err := a.Similar(ctx, SimilarOptions{Query: png, K: 5}); !errors.Is(err, ErrNoModel) || !strings.Contains(err.Error(), "imported vectors") || !strings.Contains(err.Error(), "clip-vit-b32") {
		t.Fatalf("similar NEW.png on an imported store: %v", err)
	}
	// Ingest into it is refused before anything happens.
	if _, err := a.Ingest(ctx, IngestOptions{Dir: imgs}); !errors.Is(err, ErrNoModel) {
		t.Fatalf("ingest into an imported store: %v", err)
	}

	// Import again with the same model name: rows are replaced.
	part := filepath.Join(dir, "part.npz")
	testfix.NPZRows(t, part, importIDs[:4], [][]float32{{1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2, 2, 2, 2, 2, 1}, {1, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 1}})
	res, err = a.Import(ctx, ImportOptions{File: part, ModelName: "clip-vit-b32"})
	if err != nil || res.Rows != 4 || res.Replaced != 4 {
		t.Fatalf("second import: %+v %v", res, err)
	}
	// Another model name is refused.
	if _, err := a.Import(ctx, ImportOptions{File: file, ModelName: "other"}); !errors.Is(err, store.ErrManifestMismatch) || !IsBadInput(err) {
		t.Fatalf("import with another model name: %v", err)
	}

	// Round trip: export, import into a new store, same vectors.
	exp := filepath.Join(dir, "exp.npz")
	er, err := a.Export(ctx, ExportOptions{Out: exp})
	if err != nil || er.Records != 6 || er.Dim != 8 || er.Labels || er.Format != "npz" {
		t.Fatalf("export: %+v %v", er, err)
	}
	b := openApp(t, filepath.Join(dir, "again.db"))
	if _, err := b.Import(ctx, ImportOptions{File: exp, ModelName: "clip-vit-b32"}); err != nil {
		t.Fatal(err)
	}
	sa, _ := a.Store()
	sb, _ := b.Store()
	for _, id := range importIDs {
		ra, err := sa.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := sb.Get(id)
		if err != nil {
			t.Fatalf("%s missing after the round trip: %v", id, err)
		}
		for j := range ra.Vector {
			if math.Float32bits(ra.Vector[j]) != math.Float32bits(rb.Vector[j]) {
				t.Fatalf("%s[%d]: %v vs %v", id, j, ra.Vector[j], rb.Vector[j])
			}
		}
	}
	if _, err := b.Check(ctx, CheckOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestImportBadFiles: each bad file is refused as bad input with an error
// that names the file and the problem, and writes nothing: an existing
// store and its index stay byte for byte the same, and a new store is not
// created.
func TestImportBadFiles(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db := filepath.Join(dir, "v.db")
	good := goodNPZ(t, dir)
	a := openApp(t, db)
	if _, err := a.Import(ctx, ImportOptions{File: good, ModelName: "m"}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	ok := func(x float32) []float32 { return []float32{x, 1, 2, 3, 4, 5, 6, 7} }
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	full, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "truncated.npz")
	if err := os.WriteFile(trunc, full[:len(full)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{trunc: "not a readable .npz"}
	for name, c := range map[string]struct {
		ids  []string
		rows [][]float32
		want string
	}{
		"nan.npz":            {[]string{"a", "b"}, [][]float32{ok(1), {1, nan, 0, 0, 0, 0, 0, 0}}, `row 1 (id "b"): invalid vector: value 1 is NaN`},
		"inf.npz":            {[]string{"a", "b"}, [][]float32{ok(1), {inf, 0, 0, 0, 0, 0, 0, 0}}, `row 1 (id "b"): invalid vector: value 0 is +Inf`},
		"zero_row.npz":       {[]string{"a", "b", "c/d"}, [][]float32{ok(1), ok(2), {0, 0, 0, 0, 0, 0, 0, 0}}, `row 2 (id "c/d"): invalid vector: all zeros`},
		"duplicate_ids.npz":  {[]string{"a", "b", "c", "b"}, [][]float32{ok(1), ok(2), ok(3), ok(4)}, `duplicate id "b" in rows 1 and 3`},
		"empty_id.npz":       {[]string{"a", ""}, [][]float32{ok(1), ok(2)}, "row 1: invalid id: empty id"},
		"count_mismatch.npz": {[]string{"a", "b"}, [][]float32{ok(1), ok(2), ok(3)}, "2 ids but 3 vector rows"},
	} {
		path := filepath.Join(dir, name)
		testfix.NPZRows(t, path, c.ids, c.rows)
		bad[path] = c.want
	}
	before := testfix.Snapshot(t, db, db+".hnsw")
	for path, words := range bad {
		for _, target := range []string{db, filepath.Join(dir, "new.db")} {
			a := openApp(t, target)
			_, err := a.Import(ctx, ImportOptions{File: path, ModelName: "m"})
			a.Close()
			if err == nil || !strings.Contains(err.Error(), words) || !strings.Contains(err.Error(), filepath.Base(path)) {
				t.Errorf("import %s into %s: err = %v, want it to name the file and say %q", filepath.Base(path), filepath.Base(target), err, words)
			}
			if !IsBadInput(err) {
				t.Errorf("import %s: %v is not bad input", filepath.Base(path), err)
			}
		}
	}
	a = openApp(t, db)
	if _, err := a.Import(ctx, ImportOptions{File: good}); !errors.Is(err, ErrInvalid) {
		t.Errorf("import without a model name: %v", err)
	}
	if _, err := a.Import(ctx, ImportOptions{File: filepath.Join(dir, "vectors.csv"), ModelName: "m"}); !IsBadInput(err) {
		t.Errorf("import of a missing file: %v", err)
	}
	a.Close()
	if _, err := os.Stat(filepath.Join(dir, "new.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused import created the store: %v", err)
	}
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, db, db+".hnsw"))
}
