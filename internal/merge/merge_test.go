package merge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/parquetio"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

const dim = 8

func manifest() store.Manifest {
	return store.Manifest{Model: "test-model", Preset: "blitz", Dim: dim, InputSize: 448}
}

// rec makes a record whose content follows from content (so two records
// with the same content string are identical).
func rec(id, content string) store.Record {
	h := sha256.Sum256([]byte(content))
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(math.Sin(float64(h[i])+float64(i))) + 0.001*float32(i)
	}
	return store.Record{ID: id, Path: "/img/" + id + ".jpg", SHA256: hex.EncodeToString(h[:]), Width: 10, Height: 20, Vector: v}
}

// makeStore writes recs into a new store and closes it.
func makeStore(t *testing.T, m store.Manifest, recs ...store.Record) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "db")
	testfix.PutStore(t, p, m, recs...)
	return p
}

func openAll(t *testing.T, paths ...string) []Source {
	t.Helper()
	var srcs []Source
	for _, p := range paths {
		s, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		srcs = append(srcs, s)
	}
	return srcs
}

func outStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "out"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// contents lists id=sha per record of st.
func contents(t *testing.T, st *store.Store) string {
	t.Helper()
	var b strings.Builder
	err := st.Scan(context.Background(), func(r *store.Record) error {
		fmt.Fprintf(&b, "%s=%s ", r.ID, r.SHA256[:6])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func want(recs ...store.Record) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "%s=%s ", r.ID, r.SHA256[:6])
	}
	return b.String()
}

func TestMergeDisjointAndDuplicates(t *testing.T) {
	a := makeStore(t, manifest(), rec("1", "one"), rec("3", "three"), rec("5", "five"))
	b := makeStore(t, manifest(), rec("2", "two"), rec("3", "three"), rec("4", "four"))
	out := outStore(t)
	res, err := Merge(context.Background(), out, openAll(t, a, b), Options{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 5 || res.Duplicates != 1 || res.NConflicts != 0 || res.Inputs[0].Records != 3 || res.Inputs[1].Records != 3 {
		t.Fatalf("result %+v", res)
	}
	if got, w := contents(t, out), want(rec("1", "one"), rec("2", "two"), rec("3", "three"), rec("4", "four"), rec("5", "five")); got != w {
		t.Fatalf("merged %s, want %s", got, w)
	}
	r, err := out.Get("3")
	if err != nil || r.Meta.Label != store.NoLabel || r.Vector[2] != rec("3", "three").Vector[2] {
		t.Fatalf("record 3: %+v %v", r, err)
	}
	// Run again: a resumed merge writes nothing new.
	res, err = Merge(context.Background(), out, openAll(t, a, b), Options{})
	if err != nil || res.Written != 0 || res.Present != 5 {
		t.Fatalf("second run: %+v %v", res, err)
	}
}

func TestMergeConflictRefused(t *testing.T) {
	a := makeStore(t, manifest(), rec("1", "one"), rec("2", "two"))
	b := makeStore(t, manifest(), rec("2", "other two"), rec("3", "three"))
	out := outStore(t)
	_, err := Merge(context.Background(), out, openAll(t, a, b), Options{})
	var ce *ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) || ce.Total != 1 || ce.Conflicts[0].ID != "2" ||
		!strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) || strings.Contains(err.Error(), "--") {
		t.Fatalf("conflict: %v", err)
	}
	if n, _ := out.Count(); n != 0 {
		t.Fatalf("a refused merge wrote %d records", n)
	}
}

func TestMergeConflictRename(t *testing.T) {
	a := makeStore(t, manifest(), rec("1", "one"), rec("2", "two"))
	b := makeStore(t, manifest(), rec("2", "other two"), rec("3", "three"))
	c := makeStore(t, manifest(), rec("2", "two"), rec("2x", "x"))
	out := outStore(t)
	res, err := Merge(context.Background(), out, openAll(t, a, b, c), Options{OnConflict: Rename})
	if err != nil {
		t.Fatal(err)
	}
	if res.NConflicts != 1 || len(res.Conflicts[0].Renamed) != 1 || res.Conflicts[0].Renamed[0] != "2~2" || res.Written != 5 {
		t.Fatalf("result %+v", res)
	}
	r2 := rec("2~2", "other two")
	if got, w := contents(t, out), want(rec("1", "one"), rec("2", "two"), rec("2x", "x"), r2, rec("3", "three")); got != w {
		t.Fatalf("merged %s, want %s", got, w)
	}
	// Resume after a complete run: nothing more.
	res, err = Merge(context.Background(), out, openAll(t, a, b, c), Options{OnConflict: Rename})
	if err != nil || res.Written != 0 {
		t.Fatalf("second run: %+v %v", res, err)
	}
	// An input that holds the renamed id itself is refused.
	d := makeStore(t, manifest(), rec("2", "two"), rec("2~2", "clash"))
	e := makeStore(t, manifest(), rec("2", "other two"))
	_, err = Merge(context.Background(), outStore(t), openAll(t, d, e), Options{OnConflict: Rename})
	var re *RenameError
	if !errors.As(err, &re) || !errors.Is(err, ErrRenameTaken) || re.ID != "2~2" || re.Output || !strings.Contains(err.Error(), "renamed") {
		t.Fatalf("renamed id clash: %v", err)
	}
}

func TestMergeOutputConflict(t *testing.T) {
	a := makeStore(t, manifest(), rec("1", "one"))
	out := outStore(t)
	if err := out.EnsureManifest(manifest()); err != nil {
		t.Fatal(err)
	}
	if err := out.Put([]store.Record{rec("1", "previous")}); err != nil {
		t.Fatal(err)
	}
	_, err := Merge(context.Background(), out, openAll(t, a), Options{})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "OUT") {
		t.Fatalf("conflict with the output store: %v", err)
	}
}

func TestMergeManifestMismatch(t *testing.T) {
	a := makeStore(t, manifest(), rec("1", "one"))
	m := manifest()
	m.Preset = "recipe"
	b := makeStore(t, m, rec("2", "two"))
	m2 := manifest()
	m2.Model = "other-model"
	c := makeStore(t, m2, rec("3", "three"))
	for _, tc := range []struct{ p, field string }{{b, "preset"}, {c, "model"}} {
		out := outStore(t)
		_, err := Merge(context.Background(), out, openAll(t, a, tc.p), Options{})
		if !errors.Is(err, store.ErrManifestMismatch) || !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), tc.p) {
			t.Fatalf("mismatch on %s: %v", tc.field, err)
		}
		if n, _ := out.Count(); n != 0 {
			t.Fatalf("refused merge wrote %d records", n)
		}
	}
}

func TestMergeParquetInput(t *testing.T) {
	a := makeStore(t, manifest(), rec("1", "one"), rec("2", "two"))
	src, err := store.Open(makeStore(t, manifest(), rec("3", "three"), rec("4", "four")), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(t.TempDir(), "pq")
	if _, err := parquetio.ExportStore(context.Background(), src, pq, parquetio.WriterOptions{RowsPerFile: 1}, nil); err != nil {
		t.Fatal(err)
	}
	src.Close()
	out := outStore(t)
	res, err := Merge(context.Background(), out, openAll(t, a, pq), Options{})
	if err != nil || res.Written != 4 {
		t.Fatalf("%+v %v", res, err)
	}
	got, _ := out.Get("4")
	if w := rec("4", "four"); got.SHA256 != w.SHA256 || math.Float32bits(got.Vector[7]) != math.Float32bits(w.Vector[7]) || got.Path != w.Path {
		t.Fatalf("record from Parquet: %+v", got)
	}
}

func TestMergeUnsortedParquetRefused(t *testing.T) {
	pq := filepath.Join(t.TempDir(), "pq")
	m := manifest()
	w, err := parquetio.Create(pq, dim, parquetio.WriterOptions{Metadata: map[string]string{parquetio.MetaManifest: `{"model":"test-model","preset":"blitz","dim":8,"input_size":448}`}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"b", "a"} {
		r := rec(id, id)
		w.Write([]parquetio.Row{{ID: r.ID, Path: r.Path, SHA256: r.SHA256, Label: -1, Vector: r.Vector}})
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_ = m
	_, err = Merge(context.Background(), outStore(t), openAll(t, pq), Options{})
	if err == nil || !strings.Contains(err.Error(), "not sorted") {
		t.Fatalf("unsorted input: %v", err)
	}
}

func TestMergeForeignParquetRefused(t *testing.T) {
	dir := t.TempDir()
	w, err := parquetio.Create(dir, 2, parquetio.WriterOptions{}) // no manifest in the metadata
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]parquetio.Row{{ID: "a", Label: -1, Vector: []float32{1, 2}}})
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "vecimg import") {
		t.Fatalf("Parquet without a manifest: %v", err)
	}
}
