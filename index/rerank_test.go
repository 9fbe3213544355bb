package index

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
)

// testSet is a named base set with held-out queries.
type testSet struct {
	name      string
	base, qs  [][]float32
	wantDense bool // the 10th-neighbour distances must be those of tight groups
}

// denseData is fc6-like vectors in tight groups (burst shots, product
// variants): groups of 10 to a few hundred members whose 10th-nearest
// neighbour sits at cosine distance ~0.002-0.005, where code distances
// cannot order the members.
func denseData(n, nq int) ([][]float32, [][]float32) {
	g := smallFC6()
	g.Clusters, g.Within, g.Seed = max(1, n/60), 0.18, 11
	return g.generate(n, nq)
}

// dupData is fc6-like vectors of which a third are exact copies of others
// under other ids (exact distance ties), a sixth scaled copies, the rest
// distinct; queries include copies of stored vectors.
func dupData(n, nq int) ([][]float32, [][]float32) {
	base, qs := fc6Data(n/2, nq)
	rng := rand.New(rand.NewPCG(3, 4))
	out := slices.Clone(base)
	for len(out) < n {
		v := slices.Clone(base[rng.IntN(len(base))])
		if rng.IntN(3) == 0 {
			for i := range v {
				v[i] *= 2
			}
		}
		out = append(out, v)
	}
	for i := 0; i < len(qs); i += 2 {
		qs[i] = slices.Clone(base[rng.IntN(len(base))])
	}
	return out, qs
}

func testSets() []testSet {
	dense, dq := denseData(3000, 40)
	iso, iq := mixture{Dim: 256, Components: 20, Noise: 0.5, Seed: 9}.generate(2000, 40)
	dup, uq := dupData(2000, 40)
	return []testSet{{"dense", dense, dq, true}, {"isotropic", iso, iq, false}, {"duplicates", dup, uq, false}}
}

// walkOf repeats the graph walk of a search for q with breadth ef: it
// returns the context (c.q is the prepared query) and the candidates,
// nearest code first.
func walkOf(x *Index, q []float32, ef int) (*searchCtx, []cand) {
	c := &searchCtx{}
	return c, walkWith(x, c, q, ef)
}

// walkWith is walkOf in the context c, which it reuses (c.q is the
// prepared query afterwards).
func walkWith(x *Index, c *searchCtx, q []float32, ef int) []cand {
	c.unit = grow(c.unit, x.dim)
	normalise(c.unit, q, x.dim)
	x.mu.RLock()
	defer x.mu.RUnlock()
	x.prepareQuery(c, c.unit)
	c.w = append(c.w[:0], x.descend(&c.q, 0))
	x.searchLayer(c, &c.q, c.w, ef, 0)
	return c.res.drainSorted(nil)
}

// candidatesOf repeats the graph walk of a search for q with breadth ef and
// returns its candidates (excluded ids left out).
func candidatesOf(x *Index, q []float32, ef int, excl []string) []uint32 {
	_, w := walkOf(x, q, ef)
	var out []uint32
	for _, e := range w {
		if !slices.Contains(excl, x.idOf(e.s)) {
			out = append(out, e.s)
		}
	}
	return out
}

// bruteTop is the exact top k of the given vectors by (distance, id),
// computed as ExactSearch computes distances.
func bruteTop(q []float32, ids []string, vecs map[string][]float32, k int) []Result {
	u := make([]float32, len(q))
	normalise(u, q, len(q))
	var rs []Result
	for _, id := range ids {
		v := vecs[id]
		inv, _ := invNorm(v)
		rs = append(rs, Result{id, cosDist(dot(u, v) * inv)})
	}
	sortResults(rs)
	return rs[:min(k, len(rs))]
}

func nthNeighbour(base [][]float32, n, samples int) []float64 {
	var out []float64
	for i := 0; i < samples; i++ {
		q := base[i*len(base)/samples]
		var ds []float64
		for _, v := range base {
			ds = append(ds, float64(exactCos(q, v)))
		}
		slices.Sort(ds)
		out = append(out, ds[n]) // ds[0] is q itself
	}
	slices.Sort(out)
	return out
}

// A graph search returns exactly the top k of its candidate list by exact
// distance, whatever the density, reading fewer vectors than candidates.
func TestBoundedRerankIsExactOverCandidates(t *testing.T) {
	for _, set := range testSets() {
		t.Run(set.name, func(t *testing.T) {
			if set.wantDense {
				d := nthNeighbour(set.base, 10, 60)
				t.Logf("10th-neighbour cosine distance: min %.4f median %.4f max %.4f", d[0], d[len(d)/2], d[len(d)-1])
				if med := d[len(d)/2]; med < 0.0015 || med > 0.006 {
					t.Fatalf("fixture: median 10th-neighbour distance %.4f, want tight groups (0.002-0.005)", med)
				}
			}
			src := sourceOf(set.base)
			x := build(t, src, len(set.base[0]), Config{ExactBelow: -1, EfConstruction: 64})
			reads, cands := 0, 0
			for _, ef := range []int{16, 64} {
				for i, q := range set.qs {
					var st SearchStats
					got, err := x.SearchWith(q, SearchOptions{K: 10, Ef: ef, Stats: &st})
					if err != nil {
						t.Fatal(err)
					}
					var ids []string
					for _, s := range candidatesOf(x, q, ef, nil) {
						ids = append(ids, x.idOf(s))
					}
					want := bruteTop(q, ids, src.vecs, 10)
					if !slices.Equal(got, want) {
						t.Fatalf("ef %d query %d: search gave %v, brute force over its %d candidates %v", ef, i, got, len(ids), want)
					}
					if st.Candidates != len(ids) || st.Capped || st.Read > len(ids) || st.Read < min(10, len(ids)) {
						t.Fatalf("ef %d query %d: stats %+v for %d candidates", ef, i, st, len(ids))
					}
					reads += st.Read
					cands += st.Candidates
				}
			}
			t.Logf("read %d exact vectors for %d candidates (%.1f per query)", reads, cands, float64(reads)/float64(2*len(set.qs)))
			if reads >= cands {
				t.Errorf("read %d vectors for %d candidates: the bound stopped nothing", reads, cands)
			}
		})
	}
}

// The cap stops a search and says so.
func TestRerankCapCounted(t *testing.T) {
	base, qs := denseData(1500, 5)
	x := build(t, sourceOf(base), len(base[0]), Config{ExactBelow: -1, EfConstruction: 48})
	var st SearchStats
	if _, err := x.SearchWith(qs[0], SearchOptions{K: 10, Ef: 200, Rerank: 10, Stats: &st}); err != nil {
		t.Fatal(err)
	}
	if !st.Capped || st.Read != 10 {
		t.Fatalf("rerank cap 10 in a tight group: stats %+v, want capped after 10 reads", st)
	}
	// A configured cap below the search's ef is raised to it: at 1M a tuned
	// ef of 768 was cut by the default cap of 512.
	y := build(t, sourceOf(base), len(base[0]), Config{ExactBelow: -1, EfConstruction: 48, Rerank: 10})
	if _, err := y.SearchWith(qs[0], SearchOptions{K: 10, Ef: 200, Stats: &st}); err != nil {
		t.Fatal(err)
	}
	if st.Capped || st.Read <= 10 {
		t.Fatalf("Config.Rerank 10 below ef 200 in a tight group: stats %+v, want more than 10 reads and no cap", st)
	}
}

// The query-side bound holds for every stored vector, with room to spare
// beyond the rounding slack, and so does the fine codes' tighter one.
func TestQueryBoundHolds(t *testing.T) {
	for _, set := range testSets() {
		t.Run(set.name, func(t *testing.T) {
			x := build(t, sourceOf(set.base), len(set.base[0]), fastCfg)
			worst, worstFine := 0.0, 0.0
			var sumWidth, sumFine float64
			for _, q := range set.qs[:10] {
				c := &searchCtx{unit: make([]float32, x.dim)}
				normalise(c.unit, q, x.dim)
				x.prepareQuery(c, c.unit)
				for s := range x.slots() {
					s := uint32(s)
					v := set.base[mustAtoi(t, x.idOf(s))]
					exact := exactCos(q, v)
					gap := math.Abs(float64(exact - x.dist(&c.q, s)))
					b := x.bound(&c.q, s)
					if gap > float64(b) {
						t.Fatalf("slot %d: |exact − code| = %.3g above the bound %.3g", s, gap, b)
					}
					worst = max(worst, gap/float64(b-c.q.slack))
					d := x.dist(&c.q, s)
					lb := x.fineLB(&c.q, s, d)
					fb := x.q2fineBound(&c.q, s)
					est := lb + fb // the fine estimate
					if g := math.Abs(float64(exact - est)); g > float64(fb)*(1+1e-6) || exact < lb {
						t.Fatalf("slot %d: exact %.7f below the fine lower bound %.7f (fine estimate %.7f, bound %.3g)", s, exact, lb, est, fb)
					} else {
						worstFine = max(worstFine, g/float64(fb-c.q.fslack))
					}
					sumWidth += float64(b)
					sumFine += float64(fb)
				}
			}
			t.Logf("largest gap / bound without the rounding slack: %.3f (fine: %.3f); mean bound %.5f, fine %.5f", worst, worstFine, sumWidth/float64(10*x.slots()), sumFine/float64(10*x.slots()))
			// (The fine bound's residual term alone can be nearly reached:
			// near-identical vectors have nearly parallel residuals.)
			if worst > 1 {
				t.Errorf("the bound holds only thanks to the rounding slack (ratio %.3f)", worst)
			}
			if sumFine > sumWidth {
				t.Errorf("the fine bound (mean %.5f) is no tighter than the coarse one (%.5f)", sumFine/float64(10*x.slots()), sumWidth/float64(10*x.slots()))
			}
		})
	}
}

func mustAtoi(t *testing.T, s string) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Exact search from the codes returns what a float32 scan of every vector
// returns (ties by id included), by vector and by id, reading a fraction of
// the vectors.
func TestExactFromCodesEqualsScan(t *testing.T) {
	for _, set := range testSets() {
		t.Run(set.name, func(t *testing.T) {
			src := sourceOf(set.base)
			x := build(t, src, len(set.base[0]), fastCfg)
			reads := 0
			for _, k := range []int{1, 10, 50} {
				want, err := ExactSearch(context.Background(), src, set.qs, k, nil)
				if err != nil {
					t.Fatal(err)
				}
				for i, q := range set.qs {
					var st SearchStats
					got, err := x.SearchWith(q, SearchOptions{K: k, Method: Exact, Stats: &st})
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(got, want[i]) {
						t.Fatalf("k %d query %d: from the codes %v, scan %v", k, i, got, want[i])
					}
					if k == 10 {
						reads += st.Read
					}
				}
			}
			// By id: the id left out, as SearchID does.
			for _, i := range []int{0, 7, len(set.base) - 1} {
				id := idOf(i)
				want, err := ExactSearch(context.Background(), src, [][]float32{set.base[i]}, 10, [][]string{{id}})
				if err != nil {
					t.Fatal(err)
				}
				got, err := x.SearchID(id, SearchOptions{K: 10, Method: Exact})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want[0]) {
					t.Fatalf("by id %s: from the codes %v, scan %v", id, got, want[0])
				}
			}
			mean := float64(reads) / float64(len(set.qs))
			t.Logf("k 10: %.1f vectors read per query of %d", mean, len(set.base))
			if mean > float64(len(set.base))/4 {
				t.Errorf("exact search read %.0f of %d vectors per query", mean, len(set.base))
			}
		})
	}
}

// Tuning picks the smallest ef of the ladder whose sampled recall reaches
// tuneAim of the target (0.995 for 0.99), on the recall it says, and the
// index file keeps it.
func TestTune(t *testing.T) {
	base, _ := denseData(3000, 0)
	src := sourceOf(base)
	x := build(t, src, len(base[0]), Config{ExactBelow: -1, EfConstruction: 64})
	tu, err := x.Tune(0.99, 100)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", tu)
	if tu.Queries != 100 || tu.Live != 3000 || tu.Target != 0.99 || !slices.Contains(tuneLadder, tu.Ef) {
		t.Fatalf("tuning %+v", tu)
	}
	ids := tuneIDs(x.IDs(), 100)
	r, err := x.RecallIDs(ids, SearchOptions{K: 10, Ef: tu.Ef})
	if err != nil {
		t.Fatal(err)
	}
	if tuneAim(0.99) != 0.995 {
		t.Fatalf("tuneAim(0.99) = %v, want 0.995", tuneAim(0.99))
	}
	if r != tu.Recall || (r < 0.995 && tu.Ef != tuneLadder[len(tuneLadder)-1]) {
		t.Fatalf("recall at the tuned ef %d: %v, tuning says %v", tu.Ef, r, tu.Recall)
	}
	if i := slices.Index(tuneLadder, tu.Ef); i > 0 {
		r0, _ := x.RecallIDs(ids, SearchOptions{K: 10, Ef: tuneLadder[i-1]})
		if r0 >= 0.995 {
			t.Fatalf("ef %d already reaches %v, but %d was chosen", tuneLadder[i-1], r0, tu.Ef)
		}
	}
	if x.SearchEf() != tu.Ef {
		t.Fatalf("SearchEf %d, tuned %d", x.SearchEf(), tu.Ef)
	}
	path := filepath.Join(t.TempDir(), "x.hnsw")
	if err := x.Save(path, 1); err != nil {
		t.Fatal(err)
	}
	fi, err := Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	y, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if fi.Tuning != tu || y.Tuning() != tu || y.SearchEf() != tu.Ef {
		t.Fatalf("after a round trip: file %+v, index %+v, want %+v", fi.Tuning, y.Tuning(), tu)
	}
}

// Open tunes after a build, and again only after the index grew by 10%.
func TestOpenTunes(t *testing.T) {
	base, _ := denseData(2400, 0)
	src := sourceOf(base[:2000])
	path := filepath.Join(t.TempDir(), "x.hnsw")
	opt := OpenOptions{Dim: len(base[0]), Generation: 1, Config: Config{ExactBelow: -1, EfConstruction: 48}}
	x, info, err := Open(context.Background(), path, src, opt)
	if err != nil {
		t.Fatal(err)
	}
	if info.Tuned == nil || info.TuneErr != nil || x.Tuning() != *info.Tuned || info.Tuned.Live != 2000 {
		t.Fatalf("build: tuned %v (%v), index %+v", info.Tuned, info.TuneErr, x.Tuning())
	}
	fi, _ := Stat(path)
	if fi.Tuning != *info.Tuned {
		t.Fatalf("file tuning %+v, want %+v", fi.Tuning, *info.Tuned)
	}
	for i, n := range []int{2100, 2200} { // +5%: no tuning; +10% of 2000: tuning
		for j := n - 100; j < n; j++ {
			src.put(idOf(j), base[j])
		}
		opt.Generation++
		_, info, err = Open(context.Background(), path, src, opt)
		if err != nil {
			t.Fatal(err)
		}
		if (info.Tuned != nil) != (i == 1) || info.Rebuilt {
			t.Fatalf("update to %d vectors: tuned %+v, rebuilt %v", n, info.Tuned, info.Rebuilt)
		}
	}
	opt.Generation++
	opt.RecallTarget = -1
	src.put(idOf(0), base[1])
	if _, info, err = Open(context.Background(), path, src, opt); err != nil || info.Tuned != nil {
		t.Fatalf("tuning off: %+v, %v", info.Tuned, err)
	}
}

// Parallel linking builds the same graph whatever the number of cores (and,
// measured when it was written, the same as linking one node at a time).
func TestParallelLinkDeterministic(t *testing.T) {
	base, _ := fc6Data(1500, 0)
	ids := make([]string, len(base))
	for i := range ids {
		ids[i] = idOf(i)
	}
	graph := func(procs int) string {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		x := mustNew(t, len(base[0]), Config{EfConstruction: 32})
		if err := x.AddBatch(ids[:500], base[:500]); err != nil {
			t.Fatal(err)
		}
		if err := x.AddBatch(ids[500:], base[500:]); err != nil {
			t.Fatal(err)
		}
		if err := x.checkStructure(); err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		h.Write(bytesOf(x.l0))
		h.Write(bytesOf(x.upLinks))
		return fmt.Sprintf("%x entry %d top %d", h.Sum(nil), x.entry, x.top)
	}
	if a, b := graph(1), graph(4); a != b {
		t.Fatalf("1 core: %s; 4 cores: %s", a, b)
	}
}

// TestHeldOutWalk: a held-out search (tuning's) never visits the query's
// own node, on any layer, while a plain walk always finds it first.
func TestHeldOutWalk(t *testing.T) {
	base, _ := fc6Data(1500, 0)
	x := build(t, sourceOf(base), smallFC6().Dim, fastCfg)
	walk := func(i int, hide bool) []uint32 {
		id := idOf(i)
		c := &searchCtx{}
		c.unit = make([]float32, x.dim)
		normalise(c.unit, base[i], x.dim)
		x.mu.RLock()
		defer x.mu.RUnlock()
		s, _ := x.lookup(id)
		x.prepareQuery(c, c.unit)
		if hide {
			c.q.hide = s + 1
		}
		c.w = append(c.w[:0], x.descend(&c.q, 0))
		x.searchLayer(c, &c.q, c.w, 32, 0)
		var out []uint32
		for _, e := range c.res.drainSorted(nil) {
			out = append(out, e.s)
		}
		return out
	}
	for i := 0; i < 1500; i += 37 {
		id := idOf(i)
		s, _ := x.lookup(id)
		if i == 0 { // the entry point too
			s = x.entry
			id = x.idOf(s)
			i, _ = strconv.Atoi(id)
		}
		if got := walk(i, false); len(got) == 0 || got[0] != s {
			t.Fatalf("plain walk for %s: nearest %v, want its own node %d first", id, got[:min(3, len(got))], s)
		}
		if got := walk(i, true); slices.Contains(got, s) || len(got) != 32 {
			t.Fatalf("held-out walk for %s visited its own node %d (or found %d of 32)", id, s, len(got))
		}
		rs, err := x.SearchID(id, SearchOptions{K: 10, heldOut: true})
		if err != nil || len(rs) != 10 {
			t.Fatalf("held-out SearchID(%s): %v, %v", id, rs, err)
		}
	}
}

// q2fineBound is the fine bound fineLB subtracts, for tests.
func (x *Index) q2fineBound(q *query, s uint32) float32 {
	return q.zn*x.fineErr(s) + q.rn*x.errs[2*s] + q.fslack
}

// TestVisitStampWrap: one context reused for more walks than its one-byte
// visit stamps can tell apart walks the same as a fresh context (the
// stamps wrap every 255 walks and the array is cleared then). Between the
// compared walks, 254 walks that visit nothing move the stamp round, so
// that a stale stamp of the last compared walk would hide its own nodes.
func TestVisitStampWrap(t *testing.T) {
	base, qs := fc6Data(800, 4)
	x := build(t, sourceOf(base), len(base[0]), fastCfg)
	reused := &searchCtx{}
	for round := range 4 {
		for i, q := range [][]float32{qs[round], base[round]} {
			got := walkWith(x, reused, q, 32)
			_, want := walkOf(x, q, 32)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("round %d, walk %d (stamp %d): %d candidates with a reused context, %d with a fresh one, or in another order", round, i, reused.stamp, len(got), len(want))
			}
		}
		for range 253 {
			reused.visitReset(x.slots())
		}
	}
}
