package index

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// smallFC6 is the fc6-like generator at dimension 512 (fast enough for unit
// tests; the 256 leading directions still carry 99% of the variance, so the
// codes use the projection).
func smallFC6() fc6like {
	g := defaultFC6()
	g.Dim, g.Clusters = 512, 60
	return g
}

var (
	fc6Once        sync.Once
	fc6Base, fc6Qs [][]float32
)

// fc6Data returns n base vectors and nq queries of smallFC6, generated once
// for all tests (n ≤ 4000, nq ≤ 100).
func fc6Data(n, nq int) ([][]float32, [][]float32) {
	fc6Once.Do(func() { fc6Base, fc6Qs = smallFC6().generate(4000, 100) })
	return fc6Base[:n], fc6Qs[:nq]
}

// fastCfg builds small test graphs quickly (the codebook is the default).
var fastCfg = Config{EfConstruction: 48}

func recallOf(truth, got [][]string) float64 {
	hits, total := 0, 0
	for i, want := range truth {
		for _, id := range want {
			if slices.Contains(got[i], id) {
				hits++
			}
		}
		total += len(want)
	}
	return float64(hits) / float64(total)
}

func searchAll(tb testing.TB, x *Index, qs [][]float32, opt SearchOptions) [][]string {
	tb.Helper()
	out := make([][]string, len(qs))
	for i, q := range qs {
		rs, err := x.SearchWith(q, opt)
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range rs {
			out[i] = append(out[i], r.ID)
		}
	}
	return out
}

func build(tb testing.TB, src Source, dim int, cfg Config) *Index {
	tb.Helper()
	x, err := Build(context.Background(), src, dim, cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return x
}

func TestDotCodeKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 8, 31, 32, 33, 256, 4096, 4099} {
		q := gauss(rng, n, 1)
		c := make([]int8, n)
		for i := range c {
			c[i] = int8(rng.IntN(255) - 127)
		}
		got, want := dotCode(q, c), dotCodeGo(q, c)
		if math.Abs(float64(got-want)) > 1e-3*math.Max(1, math.Abs(float64(want))) {
			t.Errorf("n=%d: dotCode %v, dotCodeGo %v", n, got, want)
		}
		a, b := make([]float32, n), make([]float32, n)
		scaleCode(a, q, c)
		scaleCodeGo(b, q, c)
		if !slices.Equal(a, b) {
			t.Errorf("n=%d: scaleCode differs from scaleCodeGo", n)
		}
	}
}

// TestRecallFC6 checks recall@10 of the graph walk plus re-rank on fc6-like
// data, and that the distances returned are the exact ones.
func TestRecallFC6(t *testing.T) {
	g := smallFC6()
	base, qs := fc6Data(4000, 100)
	src := sourceOf(base)
	x := build(t, src, g.Dim, Config{ExactBelow: -1})
	if x.CodeDim() != DefaultCodeDim {
		t.Fatalf("code dim %d, want %d (projection)", x.CodeDim(), DefaultCodeDim)
	}
	truth, err := ExactSearch(context.Background(), src, qs, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]string
	for _, r := range truth {
		var ids []string
		for _, e := range r {
			ids = append(ids, e.ID)
		}
		want = append(want, ids)
	}
	got := searchAll(t, x, qs, SearchOptions{K: 10})
	if r := recallOf(want, got); r < 0.97 {
		t.Errorf("recall@10 %.4f, want ≥ 0.97", r)
	}
	// Distances: every returned distance equals the exact one.
	for i, q := range qs[:20] {
		rs, err := x.SearchWith(q, SearchOptions{K: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			for _, w := range truth[i] {
				if w.ID == r.ID && w.Distance != r.Distance {
					t.Errorf("query %d, %s: distance %v, exact %v", i, r.ID, r.Distance, w.Distance)
				}
			}
			u := make([]float32, g.Dim)
			normalise(u, q, g.Dim)
			v := src.vecs[r.ID]
			if d := float64(1 - dot(u, v)/sqrt32(dot(v, v))); math.Abs(d-float64(r.Distance)) > 1e-5 {
				t.Errorf("query %d, %s: distance %v, recomputed %v", i, r.ID, r.Distance, d)
			}
		}
	}
	// Without re-ranking (no fetcher) the codes alone still find most.
	x.SetFetcher(nil)
	if r := recallOf(want, searchAll(t, x, qs, SearchOptions{K: 10})); r < 0.6 {
		t.Errorf("recall@10 without re-rank %.4f, want ≥ 0.6", r)
	}
}

// TestRecallIsotropic: on a flat spectrum the automatic code dimension
// keeps the whole vector (int8 of the centred vector).
func TestRecallIsotropic(t *testing.T) {
	m := mixture{Dim: 256, Components: 20, Latent: 8, Spread: 1, Noise: 0.5, Seed: 9}
	base, qs := m.generate(3000, 100)
	src := sourceOf(base)
	x := build(t, src, m.Dim, Config{ExactBelow: -1})
	if x.CodeDim() != m.Dim {
		t.Errorf("code dim %d, want %d", x.CodeDim(), m.Dim)
	}
	want := exactIDs(t, src, qs, 10)
	if r := recallOf(want, searchAll(t, x, qs, SearchOptions{K: 10})); r < 0.97 {
		t.Errorf("recall@10 %.4f, want ≥ 0.97", r)
	}
	// The brute-force code scan used for small indexes.
	x.cfg.ExactBelow = 1 << 20
	if r := recallOf(want, searchAll(t, x, qs, SearchOptions{K: 10})); r < 0.99 {
		t.Errorf("code scan recall@10 %.4f, want ≥ 0.99", r)
	}
}

func TestSearchIDAndExclude(t *testing.T) {
	g := smallFC6()
	base, _ := fc6Data(1500, 0)
	src := sourceOf(base)
	x := build(t, src, g.Dim, fastCfg)
	rs, err := x.SearchID("7", SearchOptions{K: 5, Exclude: []string{"8"}})
	if err != nil {
		t.Fatal(err)
	}
	want, err := ExactSearch(context.Background(), src, [][]float32{base[7]}, 5, [][]string{{"7", "8"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rs, want[0]) {
		t.Errorf("SearchID: %v\nexact:    %v", rs, want[0])
	}
	if _, err := x.SearchID("nope", SearchOptions{K: 5}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	ex, err := x.SearchID("7", SearchOptions{K: 5, Exclude: []string{"8"}, Method: Exact})
	if err != nil || !slices.Equal(ex, want[0]) {
		t.Errorf("Method Exact: %v, %v", ex, err)
	}
	if _, err := x.SearchWith(base[0], SearchOptions{K: 0}); !errors.Is(err, ErrInvalidK) {
		t.Errorf("k=0: %v", err)
	}
	if _, err := x.SearchWith(make([]float32, g.Dim), SearchOptions{K: 1}); !errors.Is(err, ErrInvalidVector) {
		t.Errorf("zero query: %v", err)
	}
	if _, err := x.SearchWith(base[0][:10], SearchOptions{K: 1}); !errors.Is(err, ErrDimension) {
		t.Errorf("short query: %v", err)
	}
}

func TestExactSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	src := newMemSource()
	var all [][]float32
	for i := range 1000 {
		v := gauss(rng, 64, 1)
		all = append(all, v)
		src.put(idOf(i), v)
	}
	qs := [][]float32{gauss(rng, 64, 1), all[3]}
	rs, err := ExactSearch(context.Background(), src, qs, 7, [][]string{nil, {"3"}})
	if err != nil {
		t.Fatal(err)
	}
	for qi, q := range qs {
		type r struct {
			id string
			d  float64
		}
		var ref []r
		for i, v := range all {
			if qi == 1 && i == 3 {
				continue
			}
			ref = append(ref, r{idOf(i), 1 - float64(dot(q, v))/math.Sqrt(float64(dot(q, q))*float64(dot(v, v)))})
		}
		slices.SortFunc(ref, func(a, b r) int {
			if a.d < b.d {
				return -1
			}
			if a.d > b.d {
				return 1
			}
			return 0
		})
		for i, e := range rs[qi] {
			if e.ID != ref[i].id || math.Abs(float64(e.Distance)-ref[i].d) > 1e-5 {
				t.Errorf("query %d rank %d: %v, want %v", qi, i, e, ref[i])
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ExactSearch(ctx, src, qs, 3, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestFileRoundTrip: a saved and mapped index answers exactly like the one
// in memory, and Verify accepts it.
func TestFileRoundTrip(t *testing.T) {
	g := smallFC6()
	base, qs := fc6Data(2000, 30)
	src := sourceOf(base)
	x := build(t, src, g.Dim, Config{ExactBelow: -1, EfConstruction: 48})
	path := filepath.Join(t.TempDir(), "x.idx")
	if err := x.Save(path, 42); err != nil {
		t.Fatal(err)
	}
	if err := Verify(path); err != nil {
		t.Fatal(err)
	}
	y, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if y.mm == nil {
		t.Error("OpenFile did not map the file")
	}
	y.SetFetcher(src)
	if y.Generation() != 42 || y.Len() != 2000 || y.Dim() != g.Dim {
		t.Errorf("generation %d, len %d, dim %d", y.Generation(), y.Len(), y.Dim())
	}
	opt := SearchOptions{K: 10}
	if a, b := searchAll(t, x, qs, opt), searchAll(t, y, qs, opt); !slices.EqualFunc(a, b, slices.Equal) {
		t.Error("mapped index answers differently")
	}
	fi, err := Stat(path)
	if err != nil || fi.Vectors != 2000 || fi.Generation != 42 || fi.CodeDim != DefaultCodeDim {
		t.Errorf("Stat: %+v, %v", fi, err)
	}
	// Changing a mapped index copies it to the heap first.
	if err := y.Add("new", base[0]); err != nil {
		t.Fatal(err)
	}
	if y.mm != nil || !y.Has("new") || y.Len() != 2001 {
		t.Errorf("after Add: mapped %v, len %d", y.mm != nil, y.Len())
	}
}

func corruptCopy(t *testing.T, path string, edit func([]byte) []byte) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "bad.idx")
	if err := os.WriteFile(p, edit(slices.Clone(b)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFileCorruption(t *testing.T) {
	g := smallFC6()
	base, qs := fc6Data(800, 5)
	src := sourceOf(base)
	x := build(t, src, g.Dim, fastCfg)
	path := filepath.Join(t.TempDir(), "x.idx")
	if err := x.Save(path, 1); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	h, err := parseHeader(raw[:headerLen], int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(at uint64) func([]byte) []byte {
		return func(b []byte) []byte { b[at] ^= 0x40; return b }
	}
	cases := []struct {
		name   string
		edit   func([]byte) []byte
		atOpen bool // detected by OpenFile, not only by Verify
		want   error
		reopen bool // also check that Open rebuilds it
	}{
		{"truncated header", func(b []byte) []byte { return b[:100] }, true, ErrCorrupt, false},
		{"truncated body", func(b []byte) []byte { return b[:len(b)-5] }, true, ErrCorrupt, true},
		{"extra bytes", func(b []byte) []byte { return append(b, 0) }, true, ErrCorrupt, false},
		{"header byte", flip(30), true, ErrCorrupt, false},
		{"magic", flip(1), true, ErrCorrupt, false},
		{"version", func(b []byte) []byte { b[8] = 9; return b }, true, ErrVersion, true},
		{"codebook byte", flip(h.sec[secCodebook].off + 100), true, ErrCorrupt, false},
		{"code byte", flip(h.sec[secCodes].off + 1000), false, ErrCorrupt, false},
		{"link byte", flip(h.sec[secL0].off + 4*3 + 2), false, ErrCorrupt, true},
		{"id byte", flip(h.sec[secIDBlob].off + 3), false, ErrCorrupt, false},
		{"id table byte", flip(h.sec[secHtab].off + 9), false, ErrCorrupt, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := corruptCopy(t, path, c.edit)
			_, err := OpenFile(p)
			if c.atOpen && !errors.Is(err, c.want) {
				t.Errorf("OpenFile: %v, want %v", err, c.want)
			}
			if !c.atOpen {
				if err != nil {
					t.Fatalf("OpenFile: %v (the section is checked lazily)", err)
				}
				// Searching the damaged file must not crash.
				y, _ := OpenFile(p)
				y.SetFetcher(src)
				for _, q := range qs {
					y.SearchWith(q, SearchOptions{K: 5, Method: Graph})
				}
				y.SearchID("3", SearchOptions{K: 5})
				y.Close()
			}
			if err := Verify(p); !errors.Is(err, c.want) {
				t.Errorf("Verify: %v, want %v", err, c.want)
			}
			if !c.reopen {
				return
			}
			// Open with a source rebuilds it (Verify on: every damage is seen).
			z, info, err := Open(context.Background(), p, src, OpenOptions{Dim: g.Dim, Generation: 1, Verify: true, Config: fastCfg})
			if err != nil {
				t.Fatal(err)
			}
			defer z.Close()
			if !info.Rebuilt || !info.Saved || z.Len() != len(base) {
				t.Errorf("Open: %+v, len %d", info, z.Len())
			}
			if err := Verify(p); err != nil {
				t.Errorf("rebuilt file: %v", err)
			}
		})
	}
}

// TestOpenSync: Open builds, reuses, updates incrementally (adds, deletes,
// replacements) and the result matches a fresh build.
func TestOpenSync(t *testing.T) {
	g := smallFC6()
	base, qs := fc6Data(3300, 100)
	src := sourceOf(base[:3000])
	path := filepath.Join(t.TempDir(), "x.idx")
	ctx := context.Background()
	var stages []string
	var last int64
	opt := OpenOptions{Dim: g.Dim, Generation: 1, Config: Config{ExactBelow: -1},
		Progress: func(stage string, done, total int64) {
			if len(stages) == 0 || stages[len(stages)-1] != stage {
				stages = append(stages, stage)
				if done != 0 { // progress.Func: a stage begins at 0 (none of these resumes)
					t.Errorf("stage %s begins at %d of %d", stage, done, total)
				}
			} else if done < last {
				t.Errorf("stage %s falls back from %d to %d", stage, last, done)
			}
			last = done
		}}
	x, info, err := Open(ctx, path, src, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Rebuilt || info.Reason != "no index file yet" || !info.Saved {
		t.Errorf("first open: %+v", info)
	}
	if !slices.Equal(stages, []string{"sampling", "encoding", "linking", "tuning", "saving"}) {
		t.Errorf("progress stages %v", stages)
	}
	x.Close()
	x, info, err = Open(ctx, path, src, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Loaded || info.Rebuilt || info.Saved || x.mm == nil {
		t.Errorf("second open: %+v", info)
	}
	x.Close()
	// 300 new, 100 deleted, 100 replaced by other vectors.
	for i := 3000; i < 3300; i++ {
		src.put(idOf(i), base[i])
	}
	for i := range 100 {
		src.del(idOf(i))
		src.put(idOf(100+i), base[2000+i])
	}
	src.fetch = 0
	opt.Generation = 2
	x, info, err = Open(ctx, path, src, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if info.Rebuilt || info.Added != 400 || info.Deleted != 100 || !info.Saved {
		t.Errorf("incremental open: %+v", info)
	}
	if src.fetch != 400 {
		t.Errorf("incremental open fetched %d vectors, want the 400 changed", src.fetch)
	}
	if x.Len() != 3200 || x.Has("5") || !x.Has("3299") {
		t.Errorf("len %d, has 5 %v, has 3299 %v", x.Len(), x.Has("5"), x.Has("3299"))
	}
	want := exactIDs(t, src, qs, 10)
	ri := recallOf(want, searchAll(t, x, qs, SearchOptions{K: 10}))
	fresh := build(t, src, g.Dim, Config{ExactBelow: -1})
	rf := recallOf(want, searchAll(t, fresh, qs, SearchOptions{K: 10}))
	if ri < rf-0.02 {
		t.Errorf("incremental recall %.4f, fresh build %.4f", ri, rf)
	}
	t.Logf("recall incremental %.4f, rebuilt %.4f", ri, rf)
	if err := Verify(path); err != nil {
		t.Error(err)
	}
	y, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if err := y.checkStructure(); err != nil {
		t.Error(err)
	}
}

// failingSource fails its vector scan after n vectors.
type failingSource struct {
	*memSource
	n int
}

func (f failingSource) ScanVectors(ctx context.Context, fn func(string, []float32) error) error {
	i := 0
	return f.memSource.ScanVectors(ctx, func(id string, v []float32) error {
		if i++; i > f.n {
			return errors.New("disk on fire")
		}
		return fn(id, v)
	})
}

// TestInterruptedRebuild: a build that fails halfway leaves the old file.
func TestInterruptedRebuild(t *testing.T) {
	g := smallFC6()
	base, _ := fc6Data(600, 0)
	src := sourceOf(base)
	path := filepath.Join(t.TempDir(), "x.idx")
	x, _, err := Open(context.Background(), path, src, OpenOptions{Dim: g.Dim, Generation: 1, Config: fastCfg})
	if err != nil {
		t.Fatal(err)
	}
	x.Close()
	before, _ := os.ReadFile(path)
	_, _, err = Open(context.Background(), path, failingSource{src, 300}, OpenOptions{Dim: g.Dim, Generation: 2, Rebuild: true})
	if err == nil {
		t.Fatal("rebuild with a failing source succeeded")
	}
	after, _ := os.ReadFile(path)
	if !slices.Equal(before, after) {
		t.Error("a failed rebuild changed the index file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("left files behind: %v", entries)
	}
}

func TestAddDeleteInProcess(t *testing.T) {
	g := smallFC6()
	base, qs := fc6Data(1200, 20)
	src := newMemSource()
	x := mustNew(t, g.Dim, Config{ExactBelow: -1, EfConstruction: 64})
	x.SetFetcher(src)
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = idOf(i)
		src.put(ids[i], base[i])
	}
	if err := x.AddBatch(ids, base[:1000]); err != nil {
		t.Fatal(err)
	}
	for i := 1000; i < 1200; i++ {
		src.put(idOf(i), base[i])
		if err := x.Add(idOf(i), base[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 1200; i += 3 {
		src.del(idOf(i))
		if !x.Delete(idOf(i)) {
			t.Fatalf("delete %d", i)
		}
	}
	if x.Delete("0") {
		t.Error("deleted twice")
	}
	if x.Len() != 800 {
		t.Errorf("len %d", x.Len())
	}
	if err := x.checkStructure(); err != nil {
		t.Fatal(err)
	}
	want := exactIDs(t, src, qs, 10)
	if r := recallOf(want, searchAll(t, x, qs, SearchOptions{K: 10})); r < 0.95 {
		t.Errorf("recall after deletes %.4f", r)
	}
	// Delete everything, then add again.
	n, err := x.DeleteBatch(x.IDs())
	if err != nil || n != 800 || x.Len() != 0 {
		t.Fatalf("delete all: %d, %v, len %d", n, err, x.Len())
	}
	if rs, err := x.Search(qs[0], 3); err != nil || len(rs) != 0 {
		t.Errorf("empty index: %v, %v", rs, err)
	}
	if err := x.AddBatch(ids[:50], base[:50]); err != nil {
		t.Fatal(err)
	}
	if err := x.checkStructure(); err != nil {
		t.Fatal(err)
	}
	if err := x.Add("bad", make([]float32, g.Dim)); !errors.Is(err, ErrInvalidVector) {
		t.Errorf("zero vector: %v", err)
	}
	if err := x.Add("", base[0]); !errors.Is(err, ErrInvalidID) {
		t.Errorf("empty id: %v", err)
	}
}

func TestConcurrentSearchWhileAdding(t *testing.T) {
	g := smallFC6()
	base, qs := fc6Data(1500, 10)
	src := sourceOf(base)
	x := build(t, src, g.Dim, Config{ExactBelow: -1, EfConstruction: 48})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				if _, err := x.SearchWith(qs[(w+i)%len(qs)], SearchOptions{K: 5}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			id := "extra" + idOf(i)
			if err := x.Add(id, base[i]); err != nil {
				t.Error(err)
			}
			if i%2 == 0 {
				x.Delete(id)
			}
		}
	})
	wg.Wait()
	if x.Len() != 1525 {
		t.Errorf("len %d", x.Len())
	}
}

// TestRetrainOnDrift: vectors from another distribution than the training
// sample make NeedsRetrain say so, and Open rebuilds.
func TestRetrainOnDrift(t *testing.T) {
	g := smallFC6()
	base, _ := fc6Data(1500, 0)
	src := sourceOf(base)
	path := filepath.Join(t.TempDir(), "x.idx")
	x, _, err := Open(context.Background(), path, src, OpenOptions{Dim: g.Dim, Generation: 1, Config: fastCfg})
	if err != nil {
		t.Fatal(err)
	}
	if r := x.NeedsRetrain(); r != "" {
		t.Errorf("fresh index needs retraining: %s", r)
	}
	x.Close()
	other := g
	other.Seed = 99 // other mean and directions
	drift, _ := other.generate(1100, 0)
	var ids []string
	for i := range drift {
		ids = append(ids, "d"+idOf(i))
	}
	y, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if err := y.AddBatch(ids, drift); err != nil {
		t.Fatal(err)
	}
	if r := y.NeedsRetrain(); !strings.Contains(r, "variance") {
		t.Errorf("after adding drifted vectors: NeedsRetrain %q", r)
	} else {
		t.Logf("reason: %s", r)
	}
	if err := y.Save(path, 2); err != nil {
		t.Fatal(err)
	}
	for i, v := range drift {
		src.put(ids[i], v)
	}
	z, info, err := Open(context.Background(), path, src, OpenOptions{Dim: g.Dim, Generation: 3, Config: fastCfg})
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if !info.Rebuilt || !strings.Contains(info.Reason, "variance") {
		t.Errorf("drifted data: %+v", info)
	}
}

// partedMem is a memSource that also scans in parts, each part's range of
// ids on its own goroutine.
type partedMem struct{ *memSource }

func (m partedMem) ScanVectorsParts(ctx context.Context, parts int, fn func(int, string, []float32) error) error {
	m.mu.Lock()
	ids := m.sorted()
	m.mu.Unlock()
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			for _, id := range ids[p*len(ids)/parts : (p+1)*len(ids)/parts] {
				m.mu.Lock()
				v := slices.Clone(m.vecs[id])
				m.mu.Unlock()
				if err := ctx.Err(); err != nil {
					errs[p] = err
					return
				}
				if err := fn(p, id, v); err != nil {
					errs[p] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// TestExactSearchParts: exact search over a source that scans in parts
// returns what the streaming scan returns, ties between exact copies and
// left-out ids included, with 2 and 3 workers.
func TestExactSearchParts(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	src := newMemSource()
	for i := range 900 {
		v := gauss(rng, 64, 1)
		if i%9 == 5 { // exact copies of an earlier vector: ties by id
			v = slices.Clone(src.vecs[idOf(i-5)])
		}
		src.put(idOf(i), v)
	}
	qs := [][]float32{gauss(rng, 64, 1), src.vecs[idOf(0)], src.vecs[idOf(9)]}
	excl := [][]string{nil, {idOf(0)}, {idOf(9), idOf(14)}}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	want, err := ExactSearch(context.Background(), src, qs, 12, excl)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []int{2, 3} {
		runtime.GOMAXPROCS(w)
		got, err := ExactSearch(context.Background(), partedMem{src}, qs, 12, excl)
		if err != nil {
			t.Fatal(err)
		}
		for i := range qs {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("%d workers, query %d: %v, want %v", w, i, got[i], want[i])
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ExactSearch(ctx, partedMem{src}, qs, 3, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
