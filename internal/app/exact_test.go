package app

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// --exact gives the same answer with an index file (from the codes) as
// without one (streaming the store), and --check reports what it read.
func TestExactWithAndWithoutIndex(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db := filepath.Join(dir, "v.db")
	a, err := Open(ctx, Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	file := filepath.Join(dir, "a.npz")
	writeNPZ(t, file, "a", 2500, 24, 1)
	if _, err := a.Import(ctx, ImportOptions{File: file, ModelName: "m"}); err != nil {
		t.Fatal(err)
	}
	rec, err := a.Recall(ctx, RecallOptions{Queries: 50, K: 10})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Tuning == nil || rec.Ef != rec.Tuning.Ef || rec.ReadMean < 10 || rec.ReadP99 < int(rec.ReadMean) || rec.ExactReadMean < 10 || rec.Recall < 0.9 {
		t.Fatalf("similar --check: %+v (tuning %+v)", rec, rec.Tuning)
	}
	var withIndex [][]Neighbor
	for _, q := range []string{"a3", "a700", "a2499"} {
		res, err := a.Similar(ctx, SimilarOptions{Query: q, K: 10, Exact: true, NoPaths: true})
		if err != nil {
			t.Fatal(err)
		}
		withIndex = append(withIndex, res.Results)
	}
	if err := os.Remove(IndexPath(db)); err != nil {
		t.Fatal(err)
	}
	for i, q := range []string{"a3", "a700", "a2499"} {
		res, err := a.Similar(ctx, SimilarOptions{Query: q, K: 10, Exact: true, NoPaths: true})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Results, withIndex[i]) {
			t.Fatalf("%s: from the codes %v, streamed %v", q, withIndex[i], res.Results)
		}
	}
	if _, err := os.Stat(IndexPath(db)); !os.IsNotExist(err) {
		t.Fatalf("--exact without an index file built one (%v)", err)
	}
}
