package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// TestImport imports numpy-written files (stored and deflate, '<U' and '|S'
// ids) and an export, and uses the store like any other.
func TestImport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "imp.db")
	res := decodeJSON[app.ImportResult](t, mustRun(t, "--db", db, "import", "--json", "--model-name", "clip-vit-b32", "testdata/npz/good.npz"))
	if res.Rows != 6 || res.Dim != 8 || res.Format != "npz" || res.Model != "clip-vit-b32" {
		t.Fatalf("import: %+v", res)
	}
	info := decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json"))
	if info.Count != 6 || info.Dim != 8 || info.Model != "clip-vit-b32" || info.Preset != "none" || info.ModelSpec == nil ||
		info.ModelSpec.Kind != "imported" || info.ModelSpec.Name != "clip-vit-b32" || info.Schema != store.SchemaVersion || info.Index == nil || !info.Index.Current {
		t.Fatalf("info after import: %+v %+v", info, info.ModelSpec)
	}
	out := decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "--json", "-k", "5", "c/d"))
	if out.QueryID != "c/d" || len(out.Results) != 5 || !strings.HasSuffix(out.Results[0].Path, "good.npz#"+map[string]string{"a": "0", "b": "1", "12": "3", "éé": "4"}[out.Results[0].ID]) && out.Results[0].ID != "long-id-xxxxxxxxxxxxxxxxxxxx" {
		t.Fatalf("similar on an imported store: %+v", out)
	}
	// A new image file: the store has no model, and says so.
	_, err := run(t, "--db", db, "similar", "testdata/images/1.png")
	if !errors.Is(err, app.ErrNoModel) || !strings.Contains(err.Error(), "imported vectors") || !strings.Contains(err.Error(), "clip-vit-b32") {
		t.Fatalf("similar NEW.png on an imported store: %v", err)
	}
	// Ingest into it is refused before anything happens.
	imgs := filepath.Join(dir, "imgs")
	testfix.CopyFile(t, "testdata/images/1.png", filepath.Join(imgs, "1.png"))
	if _, err := run(t, "--db", db, "ingest", imgs); !errors.Is(err, app.ErrNoModel) {
		t.Fatalf("ingest into an imported store: %v", err)
	}
	mustRun(t, "--db", db, "cluster", "--k", "2")
	// Import again with the same model name: rows are replaced.
	res = decodeJSON[app.ImportResult](t, mustRun(t, "--db", db, "import", "--json", "--model-name", "clip-vit-b32", "testdata/npz/good_compressed_bytes.npz"))
	if res.Rows != 4 || res.Replaced != 4 {
		t.Fatalf("second import: %+v", res)
	}
	// Another model name, or the store of a real model, is refused.
	if _, err := run(t, "--db", db, "import", "--model-name", "other", "testdata/npz/good.npz"); !errors.Is(err, store.ErrManifestMismatch) {
		t.Fatalf("import with another model name: %v", err)
	}
	// Round trip: export, import into a new store, same vectors.
	exp := filepath.Join(dir, "exp.npz")
	mustRun(t, "--db", db, "export", "--out", exp)
	db2 := filepath.Join(dir, "again.db")
	mustRun(t, "--db", db2, "import", exp, "--model-name", "clip-vit-b32", "-q")
	a, _ := store.Open(db, store.Options{ReadOnly: true})
	defer a.Close()
	b, _ := store.Open(db2, store.Options{ReadOnly: true})
	defer b.Close()
	ids, _ := a.IDs()
	for _, id := range ids {
		ra, _ := a.Get(id)
		rb, err := b.Get(id)
		if err != nil {
			t.Fatalf("%s missing after the round trip: %v", id, err)
		}
		for j := range ra.Vector {
			if ra.Vector[j] != rb.Vector[j] {
				t.Fatalf("%s[%d]: %v vs %v", id, j, ra.Vector[j], rb.Vector[j])
			}
		}
	}
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestImportBadFiles: each bad file is refused with a clear error, and
// writes nothing: an existing store and its index stay byte-for-byte the
// same, and a new store path is not created.
func TestImportBadFiles(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	mustRun(t, "--db", db, "import", "-q", "--model-name", "m", "testdata/npz/good.npz")
	before := testfix.Snapshot(t, db, db+".hnsw")
	trunc := filepath.Join(dir, "truncated.npz")
	full, _ := os.ReadFile("testdata/npz/good.npz")
	os.WriteFile(trunc, full[:len(full)*2/3], 0o644)
	// A file cut inside the vector data whose zip directory survives: a
	// short member (tested through the reader in internal/npz); here the
	// whole-file cut loses the directory.
	for file, words := range map[string]string{
		"float64.npz":        "float32",
		"int_ids.npz":        "strings",
		"ragged.npz":         "object array",
		"object_ids.npz":     "object array",
		"fortran.npz":        "Fortran order",
		"count_mismatch.npz": "5 ids but 6 vector rows",
		"no_ids.npz":         "ids and vectors",
		"vectors_1d.npz":     "2-D",
		"nan.npz":            `row 3 (id "12"): invalid vector: value 5 is NaN`,
		"inf.npz":            `row 1 (id "b"): invalid vector: value 0 is +Inf`,
		"zero_row.npz":       `row 2 (id "c/d"): invalid vector: all zeros`,
		"duplicate_ids.npz":  `duplicate id "b" in rows 1 and 3`,
		"empty_id.npz":       "row 1: invalid id: empty id",
		trunc:                "not a readable .npz",
	} {
		path := file
		if !filepath.IsAbs(file) {
			path = filepath.Join("testdata/npz", file)
		}
		for _, target := range []string{db, filepath.Join(dir, "new.db")} {
			_, err := run(t, "--db", target, "import", "--model-name", "m", path)
			if err == nil || !strings.Contains(err.Error(), words) || !strings.Contains(err.Error(), filepath.Base(path)) {
				t.Errorf("import %s into %s: err = %v, want it to name the file and say %q", file, filepath.Base(target), err, words)
			}
			if !errors.Is(err, ErrUsage) {
				t.Errorf("import %s: %v is not a usage-class error (exit 2)", file, err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "new.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused import created the store: %v", err)
	}
	if _, err := run(t, "--db", db, "import", "testdata/npz/good.npz"); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "--model-name") {
		t.Fatalf("import without --model-name: %v", err)
	}
	if _, err := run(t, "--db", db, "import", "--model-name", "m", "vectors.csv"); !errors.Is(err, ErrUsage) {
		t.Fatalf("import of a missing file: %v", err)
	}
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, db, db+".hnsw"))
}
