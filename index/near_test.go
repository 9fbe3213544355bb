package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// nearData is fc6-like vectors plus planted near-duplicates: copies of
// some base vectors with a small perturbation (distances from about 1e-4
// to 1e-2), the way re-encoded or resized copies of a photo sit next to it.
func nearData(tb testing.TB, n, dups int) ([][]float32, *memSource) {
	tb.Helper()
	base, _ := fc6Data(n, 1)
	rng := rand.New(rand.NewPCG(5, 6))
	vs := slices.Clone(base)
	for j := range dups {
		src := base[rng.IntN(n)]
		scale := math.Pow(10, -2+1.5*rng.Float64()) // relative noise 0.01..0.3
		noise := gauss(rng, len(src), 1)
		nn := math.Sqrt(float64(dot(noise, noise)))
		sn := math.Sqrt(float64(dot(src, src)))
		v := make([]float32, len(src))
		for i := range v {
			v[i] = src[i] + float32(scale*0.1*sn/nn)*noise[i]
		}
		vs = append(vs, v)
		_ = j
	}
	return vs, sourceOf(vs)
}

func exactCos(a, b []float32) float32 {
	return cosDist(dot(a, b) / float32(math.Sqrt(float64(dot(a, a))*float64(dot(b, b)))))
}

// The code-error bound holds for every pair: near ones, where duplicate
// finding needs it, and far ones.
func TestNearBoundHolds(t *testing.T) {
	vs, _ := nearData(t, 1500, 300)
	// PCA-256 codes (the default here), then int8 codes of the whole
	// vector, where nothing is projected away.
	for _, codeDim := range []int{0, len(vs[0])} {
		t.Run(fmt.Sprintf("codedim=%d", codeDim), func(t *testing.T) { testNearBound(t, codeDim) })
	}
}

func testNearBound(t *testing.T, codeDim int) {
	vs, src := nearData(t, 1500, 300)
	x := mustNew(t, len(vs[0]), Config{EfConstruction: 48, ExactBelow: 100, CodeDim: codeDim})
	if err := x.AddBatch(src.sorted(), vecsOf(src, src.sorted())); err != nil {
		t.Fatal(err)
	}
	if codeDim == len(vs[0]) != x.cb.identity() {
		t.Fatalf("CodeDim %d: identity codebook %v", codeDim, x.cb.identity())
	}
	ids := src.sorted()
	rng := rand.New(rand.NewPCG(1, 2))
	var worst, sumBound float64
	pairs := 0
	check := func(a, b string) {
		sa, _ := x.lookup(a)
		sb, _ := x.lookup(b)
		var q query
		x.nodeQuery(&q, sa)
		approx := x.dist(&q, sb)
		exact := exactCos(src.vecs[a], src.vecs[b])
		bound := x.nearBound(sa, x.cb.codeNorm(x.code(sa)), sb)
		if gap := math.Abs(float64(exact - approx)); gap > float64(bound) {
			t.Fatalf("pair %s, %s: exact %.6f, code %.6f: gap %.2g exceeds the bound %.2g", a, b, exact, approx, gap, bound)
		} else {
			worst = max(worst, gap/float64(bound))
		}
		sumBound += float64(bound)
		pairs++
	}
	for range 3000 {
		check(ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))])
	}
	for i := 1500; i < len(vs); i++ { // each planted copy against its nearest base vector
		rs := exactIDs(t, src, [][]float32{vs[i]}, 2)
		check(idOf(i), rs[0][1])
	}
	mean := sumBound / float64(pairs)
	t.Logf("%d pairs: largest gap/bound %.3f, mean bound %.5f", pairs, worst, mean)
	if mean > 0.02 {
		t.Errorf("mean bound %.4f is too loose to save any reads at duplicate distances", mean)
	}
}

// Near returns exactly the neighbours a brute-force range query finds, and
// reads few vectors to do it.
func TestNearMatchesBruteForce(t *testing.T) {
	vs, src := nearData(t, 1500, 300)
	ids := src.sorted()
	for _, below := range []int{100, 5000} { // graph walk, then code scan
		x := mustNew(t, len(vs[0]), Config{EfConstruction: 64, ExactBelow: below})
		if err := x.AddBatch(ids, vecsOf(src, ids)); err != nil {
			t.Fatal(err)
		}
		x.SetFetcher(src)
		// Below the 1-NN distances of the base vectors (p10 ≈ 0.003), so that
		// the pairs are mostly the planted copies, as in a real photo set.
		const within = 0.001
		src.fetch = 0
		found, want := 0, 0
		for i, v := range vs {
			id := idOf(i)
			var truth []string
			for j, w := range vs {
				if j != i && exactCos(v, w) <= within {
					truth = append(truth, idOf(j))
				}
			}
			got, err := x.Near(id, within, 64, 32)
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs []string
			for k, r := range got {
				if r.Distance > within {
					t.Fatalf("%s: result %s at %.5f is beyond %v", id, r.ID, r.Distance, within)
				}
				if k > 0 && r.Distance < got[k-1].Distance {
					t.Fatalf("%s: results not sorted: %v", id, got)
				}
				if d := exactCos(v, src.vecs[r.ID]); math.Abs(float64(d-r.Distance)) > 1e-5 {
					t.Fatalf("%s: %s has distance %.6f, exact %.6f", id, r.ID, r.Distance, d)
				}
				gotIDs = append(gotIDs, r.ID)
			}
			for _, w := range truth {
				if slices.Contains(gotIDs, w) {
					found++
				}
			}
			want += len(truth)
			if len(gotIDs) > len(truth) {
				t.Fatalf("%s: %d results, brute force has %d", id, len(gotIDs), len(truth))
			}
		}
		t.Logf("ExactBelow %d: %d of %d pairs within %v found; %d vectors read for %d queries", below, found, want, within, src.fetch, len(vs))
		if want < 50 {
			t.Fatalf("only %d planted pairs within %v: the test set does not exercise Near", want, within)
		}
		if float64(found) < 0.97*float64(want) {
			t.Errorf("ExactBelow %d: found %d of %d pairs", below, found, want)
		}
		// Re-ranking every candidate would read 33 vectors per query.
		if rerankAll := 33 * len(vs); src.fetch > rerankAll/10 {
			t.Errorf("ExactBelow %d: %d vectors read, re-ranking all would read %d: the bound prunes too little", below, src.fetch, rerankAll)
		}
	}
}

// The error norms survive a save and a load.
func TestNearAfterSave(t *testing.T) {
	vs, src := nearData(t, 800, 100)
	ids := src.sorted()
	x := mustNew(t, len(vs[0]), Config{EfConstruction: 48, ExactBelow: 100})
	if err := x.AddBatch(ids, vecsOf(src, ids)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.hnsw")
	if err := x.Save(path, 1); err != nil {
		t.Fatal(err)
	}
	y, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	x.SetFetcher(src)
	y.SetFetcher(src)
	for i := 800; i < 900; i++ {
		a, err1 := x.Near(idOf(i), 0.004, 16, 32)
		b, err2 := y.Near(idOf(i), 0.004, 16, 32)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !slices.Equal(a, b) {
			t.Fatalf("%s: before save %v, after load %v", idOf(i), a, b)
		}
	}
	if _, err := y.Near("nope", 0.004, 16, 32); err == nil {
		t.Error("Near of an unknown id: no error")
	}
}

func vecsOf(src *memSource, ids []string) [][]float32 {
	out := make([][]float32, len(ids))
	for i, id := range ids {
		out[i] = src.vecs[id]
	}
	return out
}
