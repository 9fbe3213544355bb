package index

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vecimg/vecimg/store"
)

// TestProbeStore compares graphs on an existing store, as docs/index.md's
// "Why M = 32" table was made: it builds an index with the given M and
// EfConstruction into PROBE_OUT (unless PROBE_OUT already exists), then
// for each ef measures recall@10 on held-out query vectors against exact
// truth from bench/scale_truth.py, sorts each miss by cause (the walk never
// reached the neighbour although its code distance beat the farthest kept
// candidate; or the codes ranked it out; or the re-rank did not read it),
// times warm searches on one thread, and measures the tuning sample's
// recall at the same breadths:
//
//	PROBE_DB=store.db PROBE_OUT=m32.hnsw PROBE_M=32 PROBE_EFC=200 \
//	  PROBE_Q=q.f32 PROBE_TRUTH=truth.json PROBE_EFS=192,256,384,512 \
//	  GOMAXPROCS=2 go test -run TestProbeStore -v -timeout 60m ./index/
//
// Skipped unless PROBE_DB is set.
func TestProbeStore(t *testing.T) {
	db, out := os.Getenv("PROBE_DB"), os.Getenv("PROBE_OUT")
	if db == "" || out == "" {
		t.Skip("set PROBE_DB, PROBE_OUT, PROBE_Q and PROBE_TRUTH")
	}
	st, dim, gen := openProbeStore(t, db)
	cfg := DefaultConfig()
	cfg.M = envInt(t, "PROBE_M", cfg.M)
	cfg.EfConstruction = envInt(t, "PROBE_EFC", cfg.EfConstruction)
	_, statErr := os.Stat(out)
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	t0 := time.Now()
	x, _, err := Open(context.Background(), out, st, OpenOptions{Dim: dim, Generation: gen, Rebuild: statErr != nil, Config: cfg, RecallTarget: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if statErr != nil {
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
		t.Logf("build M %d EfConstruction %d: %v wall, %v CPU", x.cfg.M, x.cfg.EfConstruction, time.Since(t0).Round(time.Second), cpu.Round(time.Second))
	}
	var truth struct {
		IDs [][]string `json:"ids"`
	}
	b, err := os.ReadFile(os.Getenv("PROBE_TRUTH"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	qs := readProbeQueries(t, os.Getenv("PROBE_Q"), dim)
	if len(qs) != len(truth.IDs) {
		t.Fatalf("%d queries for %d truth rows", len(qs), len(truth.IDs))
	}
	sample := tuneIDs(x.IDs(), TuneQueries)
	want, _, err := x.truthIDs(sample, tuneK, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Split(cmp.Or(os.Getenv("PROBE_EFS"), "128,256,384,512"), ",") {
		ef, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		hit, unreached, ranked, unread := 0, 0, 0, 0
		for i, q := range qs {
			got := map[string]bool{}
			res, err := x.SearchWith(q, SearchOptions{K: 10, Ef: ef})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				got[r.ID] = true
			}
			// The walk again, to see where each miss fell.
			c, w := walkOf(x, q, ef)
			worst := w[len(w)-1].d
			kept := map[uint32]bool{}
			for _, e := range w {
				kept[e.s] = true
			}
			for _, id := range truth.IDs[i][:10] {
				s, ok := x.lookup(id)
				switch {
				case got[id]:
					hit++
				case ok && kept[s]:
					unread++
				case ok && x.dist(&c.q, s) <= worst:
					unreached++
				default:
					ranked++
				}
			}
		}
		// Warm timing: one thread, three passes, the best.
		best := time.Duration(math.MaxInt64)
		for range 3 {
			t1 := time.Now()
			for _, q := range qs {
				x.SearchWith(q, SearchOptions{K: 10, Ef: ef})
			}
			best = min(best, time.Since(t1))
		}
		found, _, _, err := x.searchIDs(sample, SearchOptions{K: tuneK, Ef: ef, Method: Graph, heldOut: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("ef %d: held-out recall@10 %.4f (misses: %d never reached by the walk, %d ranked out by the codes, %d not read); tuning sample %.4f; %.2f ms/query",
			ef, float64(hit)/float64(10*len(qs)), unreached, ranked, unread, overlap(want, found), float64(best.Microseconds())/1000/float64(len(qs)))
	}
	in := make([]int, x.slots())
	for s := range x.slots() {
		for _, u := range x.links(uint32(s), 0) {
			in[u]++
		}
	}
	slices.Sort(in)
	t.Logf("bottom-layer in-degree: min %d, 1%% %d, median %d, max %d", in[0], in[len(in)/100], in[len(in)/2], in[len(in)-1])
}

// TestProbeWalk times the graph walk alone (no re-rank) of the held-out
// queries on an existing index over PROBE_ROUNDS rounds at breadth
// PROBE_EF, one thread, after one pass that warms the pages: a measure of
// the walk's own code (run two builds of this test in turn to compare):
//
//	PROBE_DB=store.db PROBE_OUT=store.db.hnsw PROBE_Q=q.f32 PROBE_EF=384 \
//	  go test -run TestProbeWalk -v ./index/
func TestProbeWalk(t *testing.T) {
	db, out := os.Getenv("PROBE_DB"), os.Getenv("PROBE_OUT")
	if db == "" || out == "" {
		t.Skip("set PROBE_DB, PROBE_OUT and PROBE_Q")
	}
	st, dim, gen := openProbeStore(t, db)
	x, _, err := Open(context.Background(), out, st, OpenOptions{Dim: dim, Generation: gen, RecallTarget: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	qs := readProbeQueries(t, os.Getenv("PROBE_Q"), dim)
	ef := envInt(t, "PROBE_EF", 384)
	c := &searchCtx{}
	for _, q := range qs {
		walkWith(x, c, q, ef)
	}
	var times []time.Duration
	for range envInt(t, "PROBE_ROUNDS", 3) {
		t0 := time.Now()
		for _, q := range qs {
			walkWith(x, c, q, ef)
		}
		times = append(times, time.Since(t0)/time.Duration(len(qs)))
	}
	t.Logf("walk at ef %d, per query by round: %v", ef, times)
}

// openProbeStore opens the store at db read-only for the probes (closed at
// the end of the test) and returns it with its dimension and generation.
func openProbeStore(t *testing.T, db string) (*store.Store, int, uint64) {
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	man, _, err := st.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	gen, _ := st.Generation()
	return st, man.Dim, gen
}

// readProbeQueries reads query vectors of dimension dim, raw little-endian
// float32 rows (bench/scale_truth.py --queries-f32).
func readProbeQueries(t *testing.T, path string, dim int) [][]float32 {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw)%(4*dim) != 0 {
		t.Fatalf("%s: %d bytes is not a whole number of rows of dimension %d", path, len(raw), dim)
	}
	qs := make([][]float32, len(raw)/(4*dim))
	for i := range qs {
		qs[i] = make([]float32, dim)
		for j := range qs[i] {
			qs[i][j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(i*dim+j):]))
		}
	}
	return qs
}
