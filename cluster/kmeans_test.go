package cluster

import (
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"testing"
)

// streamLimit forces streaming for a set of n vectors of dimension d: it
// allows a quarter of the data in memory.
func streamLimit(n, d int) int64 { return int64(n*d*4) / 4 }

func fitOrFatal(t *testing.T, src Source, o Options) *Result {
	t.Helper()
	res, err := Fit(context.Background(), src, o)
	if err != nil {
		t.Fatalf("Fit(%+v): %v", o, err)
	}
	return res
}

// checkResult verifies the invariants every Result must satisfy.
func checkResult(t *testing.T, res *Result, n int) {
	t.Helper()
	if len(res.Labels) != n || len(res.Distances) != n || len(res.IDs) != n {
		t.Fatalf("lengths: %d labels, %d distances, %d ids; want %d", len(res.Labels), len(res.Distances), len(res.IDs), n)
	}
	if len(res.Centers) != res.K || len(res.Sizes) != res.K {
		t.Fatalf("%d centres, %d sizes; want K = %d", len(res.Centers), len(res.Sizes), res.K)
	}
	count := make([]int, res.K)
	sum := 0.0
	for i, l := range res.Labels {
		if l < 0 || int(l) >= res.K {
			t.Fatalf("label %d out of range", l)
		}
		count[l]++
		sum += float64(res.Distances[i])
	}
	if !slices.Equal(count, res.Sizes) {
		t.Fatalf("Sizes %v, counted %v", res.Sizes, count)
	}
	for j := 1; j < res.K; j++ {
		if res.Sizes[j] > res.Sizes[j-1] {
			t.Fatalf("Sizes not non-increasing: %v", res.Sizes)
		}
	}
	for j, s := range res.Sizes {
		if s == 0 {
			t.Fatalf("cluster %d is empty: %v", j, res.Sizes)
		}
	}
	if math.Abs(sum-res.Inertia) > 1e-6*max(1, sum) {
		t.Fatalf("Inertia %g, sum of distances %g", res.Inertia, sum)
	}
}

func TestFitRecoversMixture(t *testing.T) {
	const n, d, k = 3000, 32, 8
	m := gaussianMixture(1, n, d, k, 2.0, 1.0)
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"memory", Options{K: k}},
		{"streaming", Options{K: k, MemoryLimit: streamLimit(n, d), BatchSize: 256, SampleSize: 400}},
		{"no refine", Options{K: k, Refine: -1}},
		{"normalize", Options{K: k, Normalize: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := fitOrFatal(t, FromSlices(m.ids, m.vecs), tc.o)
			checkResult(t, res, n)
			ari, err := AdjustedRandIndex(res.Labels, m.truth)
			if err != nil {
				t.Fatal(err)
			}
			if ari < 0.95 {
				t.Errorf("ARI %.4f < 0.95 (sizes %v)", ari, res.Sizes)
			}
			t.Logf("ARI %.4f, inertia %.1f, %d steps, %d refine passes", ari, res.Inertia, res.Iterations, res.RefinePasses)
		})
	}
}

func TestFitStreamingMatchesFullKMeansQuality(t *testing.T) {
	// Streaming and in-memory runs draw different mini-batches but, after
	// refinement, must land on equally good optima of well-separated data.
	const n, d, k = 2000, 16, 5
	m := gaussianMixture(2, n, d, k, 3.0, 1.0)
	mem := fitOrFatal(t, FromSlices(m.ids, m.vecs), Options{K: k})
	str := fitOrFatal(t, FromSlices(m.ids, m.vecs), Options{K: k, MemoryLimit: streamLimit(n, d), BatchSize: 128})
	if ari, _ := AdjustedRandIndex(mem.Labels, str.Labels); ari != 1 {
		t.Errorf("ARI between in-memory and streaming labels %.4f, want 1", ari)
	}
	if r := str.Inertia / mem.Inertia; math.Abs(r-1) > 1e-4 {
		t.Errorf("inertia streaming/memory = %.6f", r)
	}
}

func TestFitDeterministic(t *testing.T) {
	const n, d, k = 1500, 24, 6
	m := gaussianMixture(3, n, d, k, 0.7, 1.0) // overlapping: many near ties
	for _, limit := range []int64{0, streamLimit(n, d)} {
		base := fitOrFatal(t, FromSlices(m.ids, m.vecs), Options{K: k, MemoryLimit: limit, Workers: 1, BatchSize: 200})
		for _, w := range []int{1, 3, 8} {
			got := fitOrFatal(t, FromSlices(m.ids, m.vecs), Options{K: k, MemoryLimit: limit, Workers: w, BatchSize: 200})
			if !slices.Equal(got.Labels, base.Labels) || got.Inertia != base.Inertia || !slices.Equal(got.Distances, base.Distances) {
				t.Fatalf("limit %d, workers %d: result differs from workers 1 (inertia %v vs %v)", limit, w, got.Inertia, base.Inertia)
			}
			for j := range base.Centers {
				if !slices.Equal(got.Centers[j], base.Centers[j]) {
					t.Fatalf("limit %d, workers %d: centre %d differs", limit, w, j)
				}
			}
		}
	}
	a := fitOrFatal(t, FromSlices(m.ids, m.vecs), Options{K: k, Seed: 7})
	b := fitOrFatal(t, FromSlices(m.ids, m.vecs), Options{K: k, Seed: 7})
	if !slices.Equal(a.Labels, b.Labels) || a.Inertia != b.Inertia {
		t.Fatal("same seed gave different results")
	}
}

func TestFitEmptyClustersAreReseeded(t *testing.T) {
	// Three distinct points, ten copies each: K = 5 cannot be met by
	// nearest-centre assignment alone.
	var ids []string
	var vecs [][]float32
	for c, p := range [][]float32{{0, 0}, {10, 0}, {0, 10}} {
		for r := range 10 {
			ids = append(ids, string(rune('a'+c))+string(rune('0'+r)))
			vecs = append(vecs, slices.Clone(p))
		}
	}
	for _, limit := range []int64{0, 100} {
		res := fitOrFatal(t, FromSlices(ids, vecs), Options{K: 5, MemoryLimit: limit, BatchSize: 8})
		checkResult(t, res, len(vecs))
		if res.Reseeded == 0 {
			t.Errorf("limit %d: expected re-seeded clusters, sizes %v", limit, res.Sizes)
		}
		if res.Inertia != 0 {
			t.Errorf("limit %d: inertia %g, want 0 (every point sits on a centre)", limit, res.Inertia)
		}
	}

	same := make([][]float32, 12)
	for i := range same {
		same[i] = []float32{1, 2, 3}
	}
	res := fitOrFatal(t, FromSlices(nil, same), Options{K: 4})
	checkResult(t, res, len(same))
	if !slices.Equal(res.Sizes, []int{9, 1, 1, 1}) {
		t.Errorf("identical points: sizes %v, want [9 1 1 1]", res.Sizes)
	}

	if _, err := Fit(context.Background(), FromSlices(nil, same[:3]), Options{K: 4}); !errors.Is(err, ErrTooFewVectors) {
		t.Errorf("K > N: err %v, want ErrTooFewVectors", err)
	}
}

func TestRefineLowersInertia(t *testing.T) {
	const n, d, k = 3000, 16, 10
	m := gaussianMixture(4, n, d, k, 0.8, 1.0)
	raw := fitOrFatal(t, FromSlices(m.ids, m.vecs), Options{K: k, Refine: -1, MaxIter: 3, BatchSize: 64, NInit: 1})
	ref := fitOrFatal(t, FromSlices(m.ids, m.vecs), Options{K: k, MaxIter: 3, BatchSize: 64, NInit: 1, Refine: 500})
	if raw.RefinePasses != 0 || ref.RefinePasses == 0 {
		t.Fatalf("refine passes: %d without, %d with refinement", raw.RefinePasses, ref.RefinePasses)
	}
	if !(ref.Inertia < raw.Inertia) {
		t.Errorf("refined inertia %.2f not below mini-batch inertia %.2f", ref.Inertia, raw.Inertia)
	}
	if !ref.Converged {
		t.Errorf("refinement did not converge in %d passes", ref.RefinePasses)
	}
	t.Logf("inertia %.1f -> %.1f in %d passes", raw.Inertia, ref.Inertia, ref.RefinePasses)

	// A converged result is a Lloyd fixed point: each label is the nearest
	// centre, each centre the mean of its members.
	for i, v := range m.vecs {
		best, bd := -1, math.Inf(1)
		for j, c := range ref.Centers {
			if dd := sq(v, c); dd < bd {
				best, bd = j, dd
			}
		}
		if dOwn := sq(v, ref.Centers[ref.Labels[i]]); dOwn > bd*(1+1e-5)+1e-6 {
			t.Fatalf("vector %d: own centre %d at %g, centre %d at %g", i, ref.Labels[i], dOwn, best, bd)
		}
	}
	for j, c := range ref.Centers {
		mean := make([]float64, d)
		for i, v := range m.vecs {
			if int(ref.Labels[i]) == j {
				for q := range v {
					mean[q] += float64(v[q]) / float64(ref.Sizes[j])
				}
			}
		}
		for q := range c {
			if math.Abs(float64(c[q])-mean[q]) > 1e-4 {
				t.Fatalf("centre %d[%d] = %g, mean of members %g", j, q, c[q], mean[q])
			}
		}
	}
}

func sq(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

func TestLabelNumbering(t *testing.T) {
	// Two clusters of two and one of three: the big one is 0, then the
	// pair holding id "2" (which sorts before "10" numerically).
	ids := []string{"10", "11", "2", "3", "a", "b", "c"}
	vecs := [][]float32{{0, 0}, {0, 1}, {50, 50}, {50, 51}, {-50, 0}, {-50, 1}, {-51, 0}}
	res := fitOrFatal(t, FromSlices(ids, vecs), Options{K: 3})
	want := []int32{2, 2, 1, 1, 0, 0, 0}
	if !slices.Equal(res.Labels, want) {
		t.Errorf("labels %v, want %v", res.Labels, want)
	}
	if res.Centers[1][0] != 50 {
		t.Errorf("centre 1 = %v, want the centre of ids 2 and 3", res.Centers[1])
	}
}

func TestFitNormalize(t *testing.T) {
	// Directions matter, lengths do not: each cluster mixes short and long
	// vectors pointing the same way.
	var vecs [][]float32
	var truth []int32
	for i := range 300 {
		c := i % 3
		v := []float32{0.05 * float32(i%7), 0.05 * float32(i%5), 0.05 * float32(i%3)}
		v[c] = 1
		scale := float32(1 + 9*(i%2))
		for q := range v {
			v[q] *= scale
		}
		vecs = append(vecs, v)
		truth = append(truth, int32(c))
	}
	res := fitOrFatal(t, FromSlices(nil, vecs), Options{K: 3, Normalize: true})
	if ari, _ := AdjustedRandIndex(res.Labels, truth); ari != 1 {
		t.Errorf("spherical k-means ARI %.3f, want 1", ari)
	}
	for j, c := range res.Centers {
		if n := math.Sqrt(sq(c, make([]float32, len(c)))); math.Abs(n-1) > 1e-5 {
			t.Errorf("centre %d has norm %g, want 1", j, n)
		}
	}
	for i, d := range res.Distances {
		if d > 2 {
			t.Fatalf("distance %d = %g between unit vectors exceeds 2", i, d)
		}
	}
}

// badSource yields what its fields say, to test input checks.
type badSource struct {
	n, d int
	vec  func(i int) []float32
	skip bool
}

func (s badSource) Len() int { return s.n }
func (s badSource) Dim() int { return s.d }
func (s badSource) Scan(ctx context.Context, fn func(int, string, []float32) error) error {
	for i := range s.n {
		if s.skip && i == 1 {
			continue
		}
		if err := fn(i, "x", s.vec(i)); err != nil {
			return err
		}
	}
	return nil
}

func TestFitInputErrors(t *testing.T) {
	ok := func(int) []float32 { return []float32{1, 2} }
	ctx := context.Background()
	cases := []struct {
		name string
		src  Source
		o    Options
		want error
	}{
		{"nil source", nil, Options{}, ErrEmptySource},
		{"empty", FromSlices(nil, nil), Options{K: 1}, ErrEmptySource},
		{"negative K", badSource{n: 5, d: 2, vec: ok}, Options{K: -1}, ErrInvalidOptions},
		{"negative batch", badSource{n: 5, d: 2, vec: ok}, Options{K: 2, BatchSize: -3}, ErrInvalidOptions},
		{"short vector", badSource{n: 5, d: 2, vec: func(i int) []float32 { return make([]float32, 1+i%2) }}, Options{K: 2}, ErrBadVector},
		{"NaN", badSource{n: 5, d: 2, vec: func(int) []float32 { return []float32{float32(math.NaN()), 0} }}, Options{K: 2}, ErrBadVector},
		{"Inf streaming", badSource{n: 5, d: 2, vec: func(int) []float32 { return []float32{float32(math.Inf(1)), 0} }}, Options{K: 2, MemoryLimit: 8}, ErrBadVector},
		{"skipped index", badSource{n: 5, d: 2, vec: ok, skip: true}, Options{K: 2}, ErrSourceChanged},
	}
	for _, tc := range cases {
		if _, err := Fit(ctx, tc.src, tc.o); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	m := gaussianMixture(5, 100, 4, 2, 1, 1)
	if _, err := Fit(cctx, FromSlices(m.ids, m.vecs), Options{K: 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err %v", err)
	}
}

func TestAdjustedRandIndex(t *testing.T) {
	cases := []struct {
		a, b []int32
		want float64
	}{
		{[]int32{0, 0, 1, 1}, []int32{5, 5, 3, 3}, 1},
		{[]int32{0, 0, 1, 1}, []int32{0, 0, 1, 2}, 4.0 / 7},
		{[]int32{0, 0, 0, 0}, []int32{1, 1, 1, 1}, 1},
		{[]int32{0, 1, 0, 1}, []int32{0, 0, 1, 1}, -0.5},
	}
	for _, tc := range cases {
		got, err := AdjustedRandIndex(tc.a, tc.b)
		if err != nil || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("ARI(%v, %v) = %v, %v; want %v", tc.a, tc.b, got, err, tc.want)
		}
	}
	if _, err := AdjustedRandIndex([]int32{1}, nil); !errors.Is(err, ErrLengthMismatch) {
		t.Errorf("length mismatch: %v", err)
	}
}

func TestFitSingleCluster(t *testing.T) {
	m := gaussianMixture(6, 50, 3, 2, 1, 1)
	res := fitOrFatal(t, FromSlices(m.ids, m.vecs), Options{K: 1})
	checkResult(t, res, 50)
	for q := range 3 {
		mean := 0.0
		for _, v := range m.vecs {
			mean += float64(v[q]) / 50
		}
		if math.Abs(float64(res.Centers[0][q])-mean) > 1e-5 {
			t.Errorf("centre[%d] = %g, want the mean %g", q, res.Centers[0][q], mean)
		}
	}
}

// BenchmarkFit clusters 5000 vectors of dimension 512 into 20 clusters with
// the default options, in memory and streaming.
func BenchmarkFit(b *testing.B) {
	m := gaussianMixture(8, 5000, 512, 20, 0.15, 1)
	for _, tc := range []struct {
		name  string
		limit int64
	}{{"memory", 0}, {"stream", streamLimit(5000, 512)}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Fit(context.Background(), FromSlices(m.ids, m.vecs), Options{K: 20, MemoryLimit: tc.limit}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestDefaultOptionsMatchZeroValues(t *testing.T) {
	m := gaussianMixture(13, 400, 8, 3, 2, 1)
	a := fitOrFatal(t, FromSlices(m.ids, m.vecs), DefaultOptions(3))
	b := fitOrFatal(t, FromSlices(m.ids, m.vecs), Options{K: 3})
	if !reflect.DeepEqual(a.Options, b.Options) || !slices.Equal(a.Labels, b.Labels) || a.Inertia != b.Inertia {
		t.Errorf("DefaultOptions(3) gave %+v, Options{K: 3} gave %+v", a.Options, b.Options)
	}
}
