package app

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A CLI command that writes leaves the vector positions of the new state
// beside the store; read-only queries read by position and answer exactly
// as badger's reads do; positions left stale by a writer that does not
// write them (a server) are rewritten by the next query, never used.
func TestPositionsAnswerAsTheStore(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db := filepath.Join(dir, "v.db")
	file := filepath.Join(dir, "a.npz")
	writeNPZ(t, file, "a", 2500, 96, 1) // 384-byte vectors: their values live in badger's value log
	cli, err := Open(ctx, Config{DB: db, LateWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Import(ctx, ImportOptions{File: file, ModelName: "m"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(PositionsPath(db)); err != nil {
		t.Fatalf("import left no positions file: %v", err)
	}
	queries := []string{"a3", "a700", "a2499"}
	search := func(a *App) [][]Neighbor {
		t.Helper()
		var out [][]Neighbor
		for _, q := range queries {
			res, err := a.Similar(ctx, SimilarOptions{Query: q, K: 10})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res.Results)
		}
		return out
	}
	read := func(what string, want [][]Neighbor) {
		t.Helper()
		ro, err := Open(ctx, Config{DB: db, ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		got := search(ro)
		st, err := ro.Store()
		if err != nil {
			t.Fatal(err)
		}
		if !st.PositionsLoaded() || st.PositionHits() == 0 {
			t.Errorf("%s: positions loaded %v, %d values read by position", what, st.PositionsLoaded(), st.PositionHits())
		}
		for i := range queries {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("%s: %s by position %v, through the store %v", what, queries[i], got[i], want[i])
			}
		}
	}
	want := search(cli) // cli's store is writable: its reads go through badger
	cli.Close()
	read("after import", want)

	// A server-style App (not LateWrite) writes without updating the
	// positions: the next read-only query finds them stale and rewrites them.
	before, _ := os.ReadFile(PositionsPath(db))
	srv, err := Open(ctx, Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	more := filepath.Join(dir, "b.npz")
	writeNPZ(t, more, "b", 300, 96, 2)
	if _, err := srv.Import(ctx, ImportOptions{File: more, ModelName: "m"}); err != nil {
		t.Fatal(err)
	}
	want = search(srv)
	srv.Close()
	if after, _ := os.ReadFile(PositionsPath(db)); !slices.Equal(before, after) {
		t.Fatal("a server-style import rewrote the positions file")
	}
	read("after a write that left them stale", want)
	if after, _ := os.ReadFile(PositionsPath(db)); slices.Equal(before, after) {
		t.Error("the stale positions file was not rewritten")
	}
}
