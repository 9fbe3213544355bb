package index

// Benchmarks on seeded synthetic data:
//
//	go test -bench . -run '^$' -timeout 60m ./index/
//
// VECIMG_BENCH_DATA chooses the data: "mixture" (default; the 50-component
// 4096-d mixture of index/mixture_test.go that the README's tables have
// always used, a near-isotropic worst case for compressed codes) or "fc6"
// (fc6-like vectors with the spectrum and mean of real VGG16 features, see
// synth_test.go). Size: VECIMG_BENCH_N base vectors (default 20000) and
// VECIMG_BENCH_QUERIES held-out queries (default 200). With
// VECIMG_BENCH_INDEX=file, BenchmarkBuild saves the index there and later
// runs map it instead of building. Recall is measured against exact search
// over all queries; latency is one query at a time on one goroutine,
// re-ranking with vectors held in memory (the store's own fetch cost is
// measured by bench/scale.sh). bench/index.sh runs these next to hnswlib
// on the same vectors.

import (
	"context"
	"fmt"
	mrand "math/rand"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	coder "github.com/coder/hnsw"
)

// benchK is the k of recall@k and of every benchmark query.
const benchK = 10

var benchEfs = []int{10, 16, 24, 32, 48, 64, 96, 128, 200}

type benchSet struct {
	dim           int
	base, queries [][]float32
	src           *memSource
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
		switch os.Getenv("VECIMG_BENCH_DATA") {
		case "", "mixture":
			m := benchMixture()
			benchData.dim = m.Dim
			benchData.base, benchData.queries = m.generate(n, nq)
		case "fc6":
			g := defaultFC6()
			benchData.dim = g.Dim
			benchData.base, benchData.queries = g.generate(n, nq)
		default:
			tb.Fatalf("VECIMG_BENCH_DATA=%q: want mixture or fc6", os.Getenv("VECIMG_BENCH_DATA"))
		}
		benchData.src = sourceOf(benchData.base)
		benchData.truth = exactIDs(tb, benchData.src, benchData.queries, benchK)
	})
	return &benchData
}

func buildBench(tb testing.TB, d *benchSet) *Index {
	x, err := Build(context.Background(), d.src, d.dim, Config{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return x
}

// benchIndex returns the index built by BenchmarkBuild. If that benchmark
// did not run, it maps $VECIMG_BENCH_INDEX when that file exists (saved by
// an earlier BenchmarkBuild on the same data) or builds the index.
func benchIndex(b *testing.B) (*benchSet, *Index) {
	d := loadBench(b)
	benchIndexMu.Lock()
	defer benchIndexMu.Unlock()
	if benchIndexBuilt != nil {
		return d, benchIndexBuilt
	}
	if path := os.Getenv("VECIMG_BENCH_INDEX"); path != "" {
		if x, err := OpenFile(path); err == nil && x.Len() == len(d.base) {
			x.SetFetcher(d.src)
			x.SetSource(d.src)
			benchIndexBuilt = x
			return d, x
		}
	}
	benchIndexBuilt = buildBench(b, d)
	return d, benchIndexBuilt
}

// BenchmarkBuild builds the index with Build (GOMAXPROCS goroutines) and the
// default Config, and reports its peak heap growth. The search benchmarks
// use the index it builds.
func BenchmarkBuild(b *testing.B) {
	d := loadBench(b)
	var x *Index
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		x = buildBench(b, d)
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/build")
	b.ReportMetric(float64(x.CodeDim()), "code-dim")
	benchIndexMu.Lock()
	benchIndexBuilt = x
	benchIndexMu.Unlock()
	if path := os.Getenv("VECIMG_BENCH_INDEX"); path != "" {
		if err := x.Save(path, 0); err != nil {
			b.Fatal(err)
		}
		if fi, err := os.Stat(path); err == nil {
			b.ReportMetric(float64(fi.Size())/float64(x.Len()), "file-B/vector")
		}
	}
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

func benchSearch(b *testing.B, d *benchSet, x *Index, opt SearchOptions) {
	recall := cachedRecall(b.Name(), func() float64 {
		return recallOf(d.truth, searchAll(b, x, d.queries, opt))
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
}

// BenchmarkSearch measures graph search plus re-rank per ef: latency of one
// query at a time and recall@10 against exact search over all queries. The
// re-rank depth is the default (40) or ef when smaller, so that ef is the
// walk's real breadth (a search raises ef to the re-rank depth).
func BenchmarkSearch(b *testing.B) {
	d, x := benchIndex(b)
	for _, ef := range benchEfs {
		b.Run(fmt.Sprintf("ef=%d", ef), func(b *testing.B) {
			benchSearch(b, d, x, SearchOptions{K: benchK, Ef: ef, Rerank: max(benchK, min(ef, DefaultRerank)), Method: Graph})
		})
	}
}

// BenchmarkRerank measures ef 128 (the automatic one below 200,000
// vectors) with other re-rank depths (0 = no fetcher: the codes' own
// ranking).
func BenchmarkRerank(b *testing.B) {
	d, x := benchIndex(b)
	for _, r := range []int{0, 10, 20, 40, 80, 160} {
		b.Run(fmt.Sprintf("rerank=%d", r), func(b *testing.B) {
			if r == 0 {
				x.SetFetcher(nil)
				defer x.SetFetcher(d.src)
			}
			benchSearch(b, d, x, SearchOptions{K: benchK, Rerank: max(r, benchK), Ef: max(128, r), Method: Graph})
		})
	}
}

// BenchmarkExact measures exact search streaming from the source (all
// cores) on the same queries.
func BenchmarkExact(b *testing.B) {
	d := loadBench(b)
	start := time.Now()
	for i := range b.N {
		if _, err := ExactSearch(context.Background(), d.src, d.queries[i%len(d.queries):][:1], benchK, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/query")
}

// BenchmarkOpen measures OpenFile of $VECIMG_BENCH_INDEX (or of the built
// index saved to a temporary file) and one query on the fresh mapping.
func BenchmarkOpen(b *testing.B) {
	d, x := benchIndex(b)
	path := os.Getenv("VECIMG_BENCH_INDEX")
	if path == "" {
		path = b.TempDir() + "/bench.idx"
		if err := x.Save(path, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	defer func() {
		b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/open")
	}()
	for i := range b.N {
		y, err := OpenFile(path)
		if err != nil {
			b.Fatal(err)
		}
		y.SetFetcher(d.src)
		if _, err := y.SearchWith(d.queries[i%len(d.queries)], SearchOptions{K: benchK}); err != nil {
			b.Fatal(err)
		}
		y.Close()
	}
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
				return recallOf(d.truth, found)
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

// BenchmarkCrossover compares the code scan (Method Exact inside the index:
// every code, then re-rank) with the graph walk on small indexes, to place
// Config.ExactBelow.
func BenchmarkCrossover(b *testing.B) {
	m := benchMixture()
	base, qs := m.generate(4000, 100)
	for _, n := range []int{250, 500, 1000, 2000, 4000} {
		src := sourceOf(base[:n])
		x, err := Build(context.Background(), src, m.Dim, Config{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, method := range []string{"scan", "graph"} {
			b.Run(fmt.Sprintf("n=%d/%s", n, method), func(b *testing.B) {
				x.cfg.ExactBelow = -1
				if method == "scan" {
					x.cfg.ExactBelow = n + 1
				}
				opt := SearchOptions{K: benchK}
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

// BenchmarkDotCode compares the AVX2 kernel of every approximate distance
// with the portable loop, at code dimensions 252 (the default, called on the
// code alone: the tail the assembly leaves goes to the Go loop), 256 (a
// whole row, as distances call it) and 4096.
func BenchmarkDotCode(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{252, 256, 4096} {
		q := gauss(rng, n, 1)
		c := make([]int8, n)
		for i := range c {
			c[i] = int8(rng.IntN(255) - 127)
		}
		for _, k := range []struct {
			name string
			f    func([]float32, []int8) float32
		}{{"avx2", dotCode}, {"go", dotCodeGo}} {
			b.Run(fmt.Sprintf("n=%d/%s", n, k.name), func(b *testing.B) {
				var s float32
				for range b.N {
					s += k.f(q, c)
				}
				if s == 0 {
					b.Log(s)
				}
			})
		}
	}
}

// BenchmarkDotCode16 compares the integer construction kernel (VNNI where
// the CPU has it, else AVX2) with the AVX2 float32 kernel it replaces while
// building, and the portable loop, at code dimensions 252, 256 and 4096
// (see BenchmarkDotCode).
func BenchmarkDotCode16(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{252, 256, 4096} {
		w, c := linkCase(rng, n)
		q := make([]int16, n)
		quantQuery(q, w, c)
		qf := gauss(rng, n, 1)
		b.Run(fmt.Sprintf("n=%d/int16", n), func(b *testing.B) {
			var s int32
			for range b.N {
				s += dotCode16(q, c)
			}
			sink32 = float32(s)
		})
		b.Run(fmt.Sprintf("n=%d/int16-go", n), func(b *testing.B) {
			var s int32
			for range b.N {
				s += dotCode16Go(q, c)
			}
			sink32 = float32(s)
		})
		b.Run(fmt.Sprintf("n=%d/float32", n), func(b *testing.B) {
			var s float32
			for range b.N {
				s += dotCode(qf, c)
			}
			sink32 = s
		})
		b.Run(fmt.Sprintf("n=%d/prepare-int16", n), func(b *testing.B) {
			for range b.N {
				quantQuery(q, w, c)
			}
		})
		b.Run(fmt.Sprintf("n=%d/prepare-float32", n), func(b *testing.B) {
			for range b.N {
				scaleCode(qf, w, c)
			}
		})
	}
}

var sink32 float32

// BenchmarkProjectRows compares the blocked projection of a block of 16
// vectors on 256 directions of 4096 (encoding) with one dot product at a
// time.
func BenchmarkProjectRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const dim, cdim = 4096, 256
	basis := gauss(rng, dim*cdim, 1)
	ys := make([][]float32, projBlock)
	zs := make([][]float32, projBlock)
	for j := range ys {
		ys[j] = gauss(rng, dim, 1)
		zs[j] = make([]float32, cdim)
	}
	for _, k := range []struct {
		name string
		f    func([]float32, int, int, [][]float32, [][]float32)
	}{{"blocked", projectRows}, {"dot", projectRowsGo}} {
		b.Run(k.name, func(b *testing.B) {
			for range b.N {
				k.f(basis, dim, cdim, ys, zs)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/projBlock, "µs/vector")
		})
	}
}
