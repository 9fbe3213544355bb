package app

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/vecimg/vecimg/store"
)

// Reads through a releasingStore give what the store gives, also across
// the releases of the value log's pages between them.
func TestReleasingStoreVectors(t *testing.T) {
	defer func(b int) { releaseRandomBytes = b }(releaseRandomBytes)
	releaseRandomBytes = (16*4 + faultAround) * 100 // a release every 100 vectors of 16 floats
	if n := randomReadsPerRelease(16); n != 100 {
		t.Fatalf("a release every %d random reads, want 100 (each counted as its vector and a fault-around window)", n)
	}
	st := readOnlyStore1000(t)
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

// A scan in parts through a releasingStore passes every vector once, as
// the store has it, while its parts release the value log's pages under
// one another (run under -race by make test).
func TestReleasingStoreScanParts(t *testing.T) {
	defer func(b int) { releaseBytes = b }(releaseBytes)
	releaseBytes = 16 * 4 * 50 // a release every 50 vectors of 16 floats
	ctx := context.Background()
	st := readOnlyStore1000(t)
	want := map[string][]float32{}
	if err := st.ScanVectors(ctx, func(id string, v []float32) error { want[id] = slices.Clone(v); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, parts := range []int{2, 3} {
		var mu sync.Mutex
		got := map[string][]float32{}
		err := newReleasingStore(st, 16).ScanVectorsParts(ctx, parts, func(_ int, id string, v []float32) error {
			mu.Lock()
			defer mu.Unlock()
			if _, dup := got[id]; dup {
				t.Errorf("parts %d: %s passed twice", parts, id)
			}
			got[id] = slices.Clone(v)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !maps.EqualFunc(got, want, slices.Equal) || len(want) != 1000 {
			t.Errorf("parts %d: %d vectors, want the store's %d, the same", parts, len(got), len(want))
		}
	}
}

// readOnlyStore1000 imports 1,000 vectors of 16 floats (ids a0 to a999,
// no index) and returns the store opened read-only, closed on cleanup.
func readOnlyStore1000(t *testing.T) *store.Store {
	t.Helper()
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
	t.Cleanup(func() { a.Close() })
	st, err := a.Store()
	if err != nil {
		t.Fatal(err)
	}
	return st
}
