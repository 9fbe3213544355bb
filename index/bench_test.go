package index

// Benchmarks on the seeded benchmark mixture (see benchMixture):
//
//	go test -bench . -run '^$' -benchtime 2000x -timeout 60m ./index/
//
// Size: VECIMG_BENCH_N base vectors (default 20000) and VECIMG_BENCH_QUERIES
// held-out queries (default 200). With VECIMG_BENCH_INDEX=file, BenchmarkBuild
// saves the index there and later runs load it instead of building. Recall is measured against exact search over
// all queries; latency is one query at a time on one goroutine. bench/index.sh
// runs these next to hnswlib on the same vectors.

import (
	"fmt"
	mrand "math/rand"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	coder "github.com/coder/hnsw"
)

// benchK is the k of recall@k and of every benchmark query.
const benchK = 10

var benchEfs = []int{10, 16, 24, 32, 48, 64, 96, 128, 200}

type benchSet struct {
	base, queries [][]float32
	truth         [][]string // exact top-benchK ids per query
}

var (
	benchDataOnce sync.Once
	benchData     benchSet

	benchIndexMu    sync.Mutex
	benchIndexBuilt *Index
)

// loadBench generates the benchmark data and its exact ground truth once.
func loadBench(tb testing.TB) *benchSet {
	benchDataOnce.Do(func() {
		n := envInt(tb, "VECIMG_BENCH_N", 20000)
		nq := envInt(tb, "VECIMG_BENCH_QUERIES", 200)
		m := benchMixture()
		benchData.base, benchData.queries = m.generate(n, nq)
		x, err := New(m.Dim, Config{})
		if err != nil {
			tb.Fatal(err)
		}
		// Exact search needs no graph: fill the slab directly.
		for i, v := range benchData.base {
			if err := x.addUnlinked(idOf(i), v); err != nil {
				tb.Fatal(err)
			}
		}
		benchData.truth = make([][]string, nq)
		for i, q := range benchData.queries {
			rs, err := x.SearchExact(q, benchK)
			if err != nil {
				tb.Fatal(err)
			}
			for _, r := range rs {
				benchData.truth[i] = append(benchData.truth[i], r.ID)
			}
		}
	})
	return &benchData
}

// recallAgainst returns recall@benchK of found (ids per query) against truth.
func recallAgainst(truth, found [][]string) float64 {
	hits, total := 0, 0
	for i, want := range truth {
		for _, id := range want {
			if slices.Contains(found[i], id) {
				hits++
			}
		}
		total += len(want)
	}
	return float64(hits) / float64(total)
}

// buildBench builds the benchmark index with the default Config: with
// AddBatch (all cores), or serially with one Add per vector.
func buildBench(tb testing.TB, d *benchSet, serial bool) *Index {
	x, err := New(len(d.base[0]), Config{})
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]string, len(d.base))
	for i := range ids {
		ids[i] = idOf(i)
	}
	if !serial {
		if err := x.AddBatch(ids, d.base); err != nil {
			tb.Fatal(err)
		}
		return x
	}
	for i, v := range d.base {
		if err := x.Add(ids[i], v); err != nil {
			tb.Fatal(err)
		}
	}
	return x
}

// benchIndex returns the index built by BenchmarkBuild. If that benchmark
// did not run, it loads $VECIMG_BENCH_INDEX when that file exists (saved by
// an earlier BenchmarkBuild on the same data) or builds the index.
func benchIndex(b *testing.B) (*benchSet, *Index) {
	d := loadBench(b)
	benchIndexMu.Lock()
	defer benchIndexMu.Unlock()
	if benchIndexBuilt != nil {
		return d, benchIndexBuilt
	}
	if path := os.Getenv("VECIMG_BENCH_INDEX"); path != "" {
		if x, _, err := Load(path); err == nil && x.Len() == len(d.base) {
			benchIndexBuilt = x
			return d, x
		}
	}
	benchIndexBuilt = buildBench(b, d, false)
	return d, benchIndexBuilt
}

// BenchmarkBuild builds the index with AddBatch (GOMAXPROCS goroutines) and
// the default Config (M=16, EfConstruction=200). The search benchmarks use
// the index it builds.
func BenchmarkBuild(b *testing.B) {
	d := loadBench(b)
	var x *Index
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		x = buildBench(b, d, false)
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/build")
	benchIndexMu.Lock()
	benchIndexBuilt = x
	benchIndexMu.Unlock()
	if path := os.Getenv("VECIMG_BENCH_INDEX"); path != "" {
		if err := x.Save(path, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildSerial builds the same index with one Add per vector, on one
// goroutine.
func BenchmarkBuildSerial(b *testing.B) {
	d := loadBench(b)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		buildBench(b, d, true)
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/build")
}

// recallCache keeps recall per benchmark name: the testing package calls a
// benchmark function several times while it sizes b.N.
var recallCache sync.Map

func cachedRecall(name string, f func() float64) float64 {
	if r, ok := recallCache.Load(name); ok {
		return r.(float64)
	}
	r := f()
	recallCache.Store(name, r)
	return r
}

// BenchmarkSearch measures graph search per ef: latency of one query at a
// time and recall@10 against exact search over all queries.
func BenchmarkSearch(b *testing.B) {
	d, x := benchIndex(b)
	for _, ef := range benchEfs {
		b.Run(fmt.Sprintf("ef=%d", ef), func(b *testing.B) {
			opt := SearchOptions{K: benchK, Ef: ef, Method: Graph}
			recall := cachedRecall(b.Name(), func() float64 {
				found := make([][]string, len(d.queries))
				for i, q := range d.queries {
					rs, err := x.SearchWith(q, opt)
					if err != nil {
						b.Fatal(err)
					}
					for _, r := range rs {
						found[i] = append(found[i], r.ID)
					}
				}
				return recallAgainst(d.truth, found)
			})
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if _, err := x.SearchWith(d.queries[i%len(d.queries)], opt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/query")
			b.ReportMetric(recall, "recall@10")
		})
	}
}

// BenchmarkExact measures exact search (all cores) on the same queries.
func BenchmarkExact(b *testing.B) {
	d, x := benchIndex(b)
	start := time.Now()
	for i := range b.N {
		if _, err := x.SearchExact(d.queries[i%len(d.queries)], benchK); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/query")
}

// BenchmarkCoderHNSW measures github.com/coder/hnsw v0.6.1 on the same data:
// M=16, its default Ml, cosine distance, EfSearch=200 while building (the
// counterpart of EfConstruction), then recall@10 per EfSearch.
func BenchmarkCoderHNSW(b *testing.B) {
	d := loadBench(b)
	g := coderGraph(b, d)
	for _, ef := range benchEfs {
		b.Run(fmt.Sprintf("ef=%d", ef), func(b *testing.B) {
			g.EfSearch = ef
			recall := cachedRecall(b.Name(), func() float64 {
				found := make([][]string, len(d.queries))
				for i, q := range d.queries {
					for _, nd := range g.Search(q, benchK) {
						found[i] = append(found[i], nd.Key)
					}
				}
				return recallAgainst(d.truth, found)
			})
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				g.Search(d.queries[i%len(d.queries)], benchK)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/query")
			b.ReportMetric(recall, "recall@10")
		})
	}
}

var (
	coderOnce  sync.Once
	coderBuilt *coder.Graph[string]
)

// coderGraph builds the coder/hnsw graph once and logs its build time.
func coderGraph(b *testing.B, d *benchSet) *coder.Graph[string] {
	coderOnce.Do(func() { coderBuilt = buildCoder(b, d) })
	return coderBuilt
}

func buildCoder(b *testing.B, d *benchSet) *coder.Graph[string] {
	g := coder.NewGraph[string]()
	g.M = 16
	g.Distance = coder.CosineDistance
	g.Rng = mrand.New(mrand.NewSource(1))
	g.EfSearch = 200
	start := time.Now()
	for i, v := range d.base {
		g.Add(coder.MakeNode(idOf(i), v))
	}
	fmt.Printf("coder/hnsw v0.6.1: built %d vectors in %.1f s (one goroutine)\n", len(d.base), time.Since(start).Seconds())
	return g
}

// BenchmarkCrossover compares exact search (all cores) with graph search at
// the default EfSearch on small indexes, to place Config.ExactBelow: below
// the size where the graph gets faster, exact search is used.
func BenchmarkCrossover(b *testing.B) {
	m := benchMixture()
	base, qs := m.generate(4000, 100)
	ids := make([]string, len(base))
	for i := range ids {
		ids[i] = idOf(i)
	}
	for _, n := range []int{250, 500, 1000, 2000, 4000} {
		x, err := New(m.Dim, Config{})
		if err != nil {
			b.Fatal(err)
		}
		if err := x.AddBatch(ids[:n], base[:n]); err != nil {
			b.Fatal(err)
		}
		for _, method := range []Method{Exact, Graph} {
			b.Run(fmt.Sprintf("n=%d/%v", n, method), func(b *testing.B) {
				opt := SearchOptions{K: benchK, Method: method}
				start := time.Now()
				for i := range b.N {
					if _, err := x.SearchWith(qs[i%len(qs)], opt); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/query")
			})
		}
	}
}

// BenchmarkLoad measures Load of a saved 300 × 4096 index (the size of the
// dev set) and, when $VECIMG_BENCH_INDEX exists, of that file.
func BenchmarkLoad(b *testing.B) {
	m := benchMixture()
	base, _ := m.generate(300, 0)
	ids := make([]string, len(base))
	for i := range ids {
		ids[i] = idOf(i)
	}
	x, err := New(m.Dim, Config{})
	if err != nil {
		b.Fatal(err)
	}
	if err := x.AddBatch(ids, base); err != nil {
		b.Fatal(err)
	}
	small := b.TempDir() + "/small.hnsw"
	if err := x.Save(small, 1); err != nil {
		b.Fatal(err)
	}
	paths := map[string]string{"n=300": small}
	if p := os.Getenv("VECIMG_BENCH_INDEX"); p != "" {
		if _, err := os.Stat(p); err == nil {
			paths["bench-index"] = p
		}
	}
	for name, p := range paths {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				if _, _, err := Load(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDot compares the vek32 kernel used for every distance with the
// plain unrolled Go loop, on two 4096-d vectors that stay in cache.
func BenchmarkDot(b *testing.B) {
	a, v := gauss(rand.New(rand.NewPCG(1, 1)), 4096, 1), gauss(rand.New(rand.NewPCG(2, 2)), 4096, 1)
	for _, k := range []struct {
		name string
		f    func(a, b []float32) float32
	}{{"vek32", dot}, {"go", dotGo}} {
		b.Run(k.name, func(b *testing.B) {
			var s float32
			for range b.N {
				s += k.f(a, v)
			}
			if s == 0 {
				b.Log(s)
			}
		})
	}
}

// BenchmarkPrefetch measures graph search (ef 64) with and without asking
// for the next vector's first cache lines ahead of time.
func BenchmarkPrefetch(b *testing.B) {
	d, x := benchIndex(b)
	defer func(v int) { prefetchMax = v }(prefetchMax)
	for _, lines := range []int{0, 16} {
		b.Run(fmt.Sprintf("lines=%d", lines), func(b *testing.B) {
			prefetchMax = lines
			opt := SearchOptions{K: benchK, Ef: 64, Method: Graph}
			start := time.Now()
			for i := range b.N {
				if _, err := x.SearchWith(d.queries[i%len(d.queries)], opt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/query")
		})
	}
}
