package app

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

// Reads through a releasingStore give what the store gives, also across
// the releases of the value log's pages between them.
func TestReleasingStoreVectors(t *testing.T) {
	defer func(b int) { releaseRandomBytes = b }(releaseRandomBytes)
	releaseRandomBytes = (16*4 + faultAround) * 100 // a release every 100 vectors of 16 floats
	if n := randomReadsPerRelease(16); n != 100 {
		t.Fatalf("a release every %d random reads, want 100 (each counted as its vector and a fault-around window)", n)
	}
	dir := t.TempDir()
	ctx := context.Background()
	db := filepath.Join(dir, "v.db")
	w, err := Open(ctx, Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	writeNPZ(t, filepath.Join(dir, "a.npz"), "a", 1000, 16, 1)
	if _, err := w.Import(ctx, ImportOptions{File: filepath.Join(dir, "a.npz"), ModelName: "m", NoIndex: true}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	a, err := Open(ctx, Config{DB: db, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	st, err := a.Store()
	if err != nil {
		t.Fatal(err)
	}
	rs := newReleasingStore(st, 16)
	for lo := 0; lo < 1000; lo += 37 {
		var ids []string
		for i := lo; i < min(lo+37, 1000); i++ {
			ids = append(ids, fmt.Sprintf("a%d", i))
		}
		got, want := make([][]float32, len(ids)), make([][]float32, len(ids))
		if err := rs.Vectors(ids, got); err != nil {
			t.Fatal(err)
		}
		if err := st.Vectors(ids, want); err != nil {
			t.Fatal(err)
		}
		for i := range ids {
			if len(want[i]) != 16 || !slices.Equal(got[i], want[i]) {
				t.Fatalf("%s: %v through the releasing store, %v from the store", ids[i], got[i], want[i])
			}
		}
	}
	if n := rs.fetched.Load(); n != 1000 {
		t.Errorf("counted %d vectors read, want 1000", n)
	}
}
