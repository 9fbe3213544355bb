package testfix

import (
	"context"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/vecimg/vecimg/internal/npz"
	"github.com/vecimg/vecimg/internal/parquetio"
	"github.com/vecimg/vecimg/store"
)

// NPZRows writes an .npz of the given ids and vector rows to path, as
// `vecimg export` does. Rows are written as given (NaN, ±Inf and zero rows
// included) and len(ids) need not be len(rows), so that bad files can be
// made too.
func NPZRows(t testing.TB, path string, ids []string, rows [][]float32) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z := npz.NewWriter(f)
	if err := z.Strings("ids", ids); err != nil {
		t.Fatal(err)
	}
	dim := 0
	if len(rows) > 0 {
		dim = len(rows[0])
	}
	mw, err := z.Float32s("vectors", len(rows), dim)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := mw.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
}

// PutStore makes a store at path with manifest m holding recs.
func PutStore(t testing.TB, path string, m store.Manifest, recs ...store.Record) {
	t.Helper()
	st, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.EnsureManifest(m); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(recs); err != nil {
		t.Fatal(err)
	}
}

// Record is a 4-d record with id whose vector, path and SHA-256 follow
// from seed: two records of one seed have the same content.
func Record(id string, seed int) store.Record {
	v := make([]float32, 4)
	for i := range v {
		v[i] = float32(seed*10+i) + 0.5
	}
	return store.Record{ID: id, Path: "/x/" + id + ".jpg", SHA256: fmt.Sprintf("%064x", seed), Width: 1, Height: 1, Vector: v}
}

// ReadParquet reads a Parquet export (a folder or one file) back through
// parquetio.
func ReadParquet(t testing.TB, dir string) []parquetio.Row {
	t.Helper()
	d, err := parquetio.Open(dir, parquetio.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var rows []parquetio.Row
	err = d.Scan(context.Background(), func(r *parquetio.Row) error {
		c := *r
		c.Vector = append([]float32(nil), r.Vector...)
		rows = append(rows, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// SameVectors fails the test unless a and b hold the same ids in the same
// order with bit-identical vectors.
func SameVectors(t testing.TB, what string, a, b []parquetio.Row) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d rows vs %d", what, len(a), len(b))
	}
	for i := range a {
		if a[i].ID != b[i].ID || len(a[i].Vector) != len(b[i].Vector) {
			t.Fatalf("%s: row %d: %q (%d values) vs %q (%d values)", what, i, a[i].ID, len(a[i].Vector), b[i].ID, len(b[i].Vector))
		}
		for j := range a[i].Vector {
			if math.Float32bits(a[i].Vector[j]) != math.Float32bits(b[i].Vector[j]) {
				t.Fatalf("%s: row %d (%s) value %d: %v vs %v", what, i, a[i].ID, j, a[i].Vector[j], b[i].Vector[j])
			}
		}
	}
}
