package app

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// writeNPZ writes n seeded rows of dim values with ids prefix0..prefixN-1.
func writeNPZ(t *testing.T, path, prefix string, n, dim int, seed uint64) {
	t.Helper()
	ids := make([]string, n)
	rows := make([][]float32, n)
	r := rand.New(rand.NewPCG(seed, 3))
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%d", prefix, i)
		rows[i] = make([]float32, dim)
		for j := range rows[i] {
			rows[i][j] = float32(r.NormFloat64())
		}
	}
	testfix.NPZRows(t, path, ids, rows)
}

// TestQueriesDuringImport is the server's use: one App, opened for writing
// once, answering queries from several goroutines while an import writes.
// Run with -race.
func TestQueriesDuringImport(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	a, err := Open(ctx, Config{DB: filepath.Join(dir, "v.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	first, second := filepath.Join(dir, "a.npz"), filepath.Join(dir, "b.npz")
	writeNPZ(t, first, "a", 300, 16, 1)
	writeNPZ(t, second, "b", 3000, 16, 2)
	if _, err := a.Import(ctx, ImportOptions{File: first, ModelName: "m"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, 8)
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				res, err := a.Similar(ctx, SimilarOptions{Query: fmt.Sprintf("a%d", (i*7+g)%300), K: 5})
				if err == nil && len(res.Results) != 5 {
					err = fmt.Errorf("%d results", len(res.Results))
				}
				if err == nil && g == 0 {
					_, err = a.Info(ctx)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	res, err := a.Import(ctx, ImportOptions{File: second, ModelName: "m"})
	close(done)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error("query during import:", e)
	}
	if err != nil || res.Rows != 3000 {
		t.Fatalf("import: %+v %v", res, err)
	}
	got, err := a.Similar(ctx, SimilarOptions{Query: "b17", K: 3, Exact: true})
	if err != nil || got.QueryID != "b17" || len(got.Results) != 3 {
		t.Fatalf("after the import: %+v %v", got, err)
	}
	if _, err := a.Check(ctx, CheckOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	file := filepath.Join(dir, "a.npz")
	writeNPZ(t, file, "a", 10, 4, 1)
	db := filepath.Join(dir, "v.db")
	w, _ := Open(ctx, Config{DB: db})
	if _, err := w.Import(ctx, ImportOptions{File: file, ModelName: "m"}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r, err := Open(ctx, Config{DB: db, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Import(ctx, ImportOptions{File: file, ModelName: "m"}); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("import on a read-only App: %v", err)
	}
	if _, err := r.Cluster(ctx, ClusterOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("cluster with k=0: %v", err)
	}
	if _, err := r.Similar(ctx, SimilarOptions{Vector: []float32{1, 2, 3, 4}, K: 2}); err != nil {
		t.Errorf("query by vector: %v", err)
	}
	if _, err := r.Similar(ctx, SimilarOptions{Vector: []float32{1, 2}, K: 2}); !errors.Is(err, ErrInvalid) {
		t.Errorf("query by a vector of the wrong length: %v", err)
	}
}

func TestStoreProblems(t *testing.T) {
	err := fmt.Errorf("store %q: check found 2 problem(s): %w", "x", errors.Join(
		&store.CorruptError{Key: "r/a\\x00d", ID: "a", Reason: "vector has 3 values"},
		&store.CorruptError{Key: "m/count", Reason: "count 5, records 4"}))
	probs, ok := storeProblems(err)
	if !ok || len(probs) != 2 || probs[0].ID != "a" || probs[0].Where != "store" || probs[1].Key != "m/count" {
		t.Fatalf("%v %+v", ok, probs)
	}
	if _, ok := storeProblems(errors.New("disk on fire")); ok {
		t.Fatal("a read error taken for a finding")
	}
}

// strictProgress fails the test when Add or Done come without Start.
type strictProgress struct {
	t       *testing.T
	started bool
}

func (p *strictProgress) Start(string, string, int64) { p.started = true }
func (p *strictProgress) Add(int64) {
	if !p.started {
		p.t.Error("Add before Start")
	}
}
func (p *strictProgress) Note(string) {}
func (p *strictProgress) Done() {
	if !p.started {
		p.t.Error("Done before Start")
	}
	p.started = false
}

// TestIngestFailsBeforeStart: an ingest stopped before it starts returns
// its error; no progress is finished that was never started (the old CLI
// panicked on its nil bar here).
func TestIngestFailsBeforeStart(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a, err := Open(ctx, Config{DB: filepath.Join(dir, "v.db"), LateWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	os.WriteFile(filepath.Join(dir, "x.png"), []byte("an image file to ingest"), 0o644) // an empty folder is refused first
	_, err = a.Ingest(ctx, IngestOptions{Dir: dir, Model: ModelOptions{Weights: fixtureWeights}, Progress: &strictProgress{t: t}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ingest with a cancelled context: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "v.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed ingest created the store: %v", err)
	}
}
