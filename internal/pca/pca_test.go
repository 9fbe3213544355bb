package pca

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// dense is an in-memory Matrix: rows of cols values, centred by the test.
type dense[F Float] struct {
	x    [][]F
	cols int
	fail error // returned by MulT when set
}

func (d *dense[F]) Rows() int { return len(d.x) }
func (d *dense[F]) Cols() int { return d.cols }

func (d *dense[F]) Mul(m, out [][]F) error {
	for j := range m {
		for i, r := range d.x {
			out[j][i] = plainDot(r, m[j])
		}
	}
	return nil
}

func (d *dense[F]) MulT(y, out [][]F) error {
	if d.fail != nil {
		return d.fail
	}
	for j := range y {
		clear(out[j])
		for i, r := range d.x {
			for c, f := range r {
				out[j][c] += y[j][i] * f
			}
		}
	}
	return nil
}

// planted returns n centred rows of dim values with variance sd[j]² along
// the unit direction dirs[j] (disjoint supports, hence orthonormal) plus
// isotropic noise of standard deviation noise.
func planted[F Float](n, dim int, sd []float64, noise float64, seed uint64) (*dense[F], [][]float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	dirs := make([][]float64, len(sd))
	for j := range dirs {
		dirs[j] = make([]float64, dim)
		var nn float64
		for i := j; i < dim; i += len(sd) {
			dirs[j][i] = rng.NormFloat64()
			nn += dirs[j][i] * dirs[j][i]
		}
		for i := range dirs[j] {
			dirs[j][i] /= math.Sqrt(nn)
		}
	}
	x := make([][]float64, n)
	mean := make([]float64, dim)
	for i := range x {
		x[i] = make([]float64, dim)
		for c := range x[i] {
			x[i][c] = noise * rng.NormFloat64()
		}
		for j, d := range dirs {
			a := sd[j] * rng.NormFloat64()
			for c := range x[i] {
				x[i][c] += a * d[c]
			}
		}
		for c, f := range x[i] {
			mean[c] += f / float64(n)
		}
	}
	m := &dense[F]{cols: dim, x: make([][]F, n)}
	for i := range x {
		m.x[i] = make([]F, dim)
		for c := range x[i] {
			m.x[i][c] = F(x[i][c] - mean[c])
		}
	}
	return m, dirs
}

func checkPlanted[F Float](t *testing.T, iters, extra int) {
	sd := []float64{10, 6, 4, 3, 2}
	const n, dim = 1500, 200
	a, dirs := planted[F](n, dim, sd, 0.2, 3)
	res, err := Top[F](a, Options[F]{K: len(sd), Extra: extra, Iters: iters, Seed: 7, Project: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Dirs) != len(sd) || len(res.Var) != len(sd) || len(res.Proj) != len(sd) {
		t.Fatalf("%d directions, %d variances, %d projections; want %d", len(res.Dirs), len(res.Var), len(res.Proj), len(sd))
	}
	noiseVar := 0.2 * 0.2
	for j, d := range res.Dirs {
		var c, nn float64
		for i, f := range d {
			c += float64(f) * dirs[j][i]
			nn += float64(f) * float64(f)
		}
		if math.Abs(math.Sqrt(nn)-1) > 1e-4 {
			t.Errorf("direction %d has norm %.6f", j, math.Sqrt(nn))
		}
		if math.Abs(c) < 0.995 {
			t.Errorf("direction %d: |cos| with the planted one %.4f", j, math.Abs(c))
		}
		// Sample variance of a planted direction wanders by about
		// sqrt(2/n) ≈ 3.7% of itself.
		want := sd[j]*sd[j] + noiseVar
		if r := res.Var[j] / want; r < 0.88 || r > 1.12 {
			t.Errorf("direction %d: variance %.3f, planted %.3f", j, res.Var[j], want)
		}
		if j > 0 && res.Var[j] > res.Var[j-1] {
			t.Errorf("variances not decreasing: %v", res.Var)
		}
		if d[largest(d)] <= 0 {
			t.Errorf("direction %d: its largest entry is not positive", j)
		}
		for k := range j {
			var o float64
			for i, f := range d {
				o += float64(f) * float64(res.Dirs[k][i])
			}
			if math.Abs(o) > 1e-4 {
				t.Errorf("directions %d and %d: dot %.2g", k, j, o)
			}
		}
		// The projections are A·d and carry the variance.
		var ss float64
		for i, r := range a.x {
			want := float64(plainDot(r, d))
			got := float64(res.Proj[j][i])
			if math.Abs(got-want) > 1e-3*(1+math.Abs(want)) {
				t.Fatalf("direction %d, row %d: projection %.6f, A·d %.6f", j, i, got, want)
			}
			ss += got * got
		}
		if r := ss / n / res.Var[j]; math.Abs(r-1) > 1e-3 {
			t.Errorf("direction %d: projections' variance / Var = %.5f", j, r)
		}
	}
}

// The PCA recovers planted directions and variances in both precisions,
// with the parameters of both callers (index: 2 iterations, 16 extra;
// the map: 2 iterations, 10 extra; and a single iteration).
func TestPlanted(t *testing.T) {
	t.Run("float32-index", func(t *testing.T) { checkPlanted[float32](t, 2, 16) })
	t.Run("float64-index", func(t *testing.T) { checkPlanted[float64](t, 2, 16) })
	t.Run("float64-map", func(t *testing.T) { checkPlanted[float64](t, 2, 10) })
	t.Run("float64-one", func(t *testing.T) { checkPlanted[float64](t, 1, 10) })
}

// Equal seeds give equal results; Dot and For hooks change nothing but speed.
func TestDeterministic(t *testing.T) {
	a, _ := planted[float64](300, 40, []float64{5, 3}, 0.5, 9)
	o := Options[float64]{K: 3, Extra: 5, Iters: 1, Seed: 4}
	r1, err := Top[float64](a, o)
	if err != nil {
		t.Fatal(err)
	}
	o.For = func(n int, f func(int)) { // reverse order: any order must do
		for i := n - 1; i >= 0; i-- {
			f(i)
		}
	}
	r2, err := Top[float64](a, o)
	if err != nil {
		t.Fatal(err)
	}
	for m := range r1.Dirs {
		if r1.Var[m] != r2.Var[m] {
			t.Errorf("variance %d: %v then %v", m, r1.Var[m], r2.Var[m])
		}
		for i := range r1.Dirs[m] {
			if r1.Dirs[m][i] != r2.Dirs[m][i] {
				t.Fatalf("direction %d differs at %d", m, i)
			}
		}
	}
}

// A rank-deficient matrix (fewer rows than the sketch) still gives
// orthonormal directions, the ones beyond the rank with zero variance.
func TestRankDeficient(t *testing.T) {
	a, _ := planted[float64](4, 50, []float64{4, 2}, 0.1, 5)
	res, err := Top[float64](a, Options[float64]{K: 6, Extra: 6, Iters: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for j, d := range res.Dirs {
		for k := range j + 1 {
			o := plainDot(d, res.Dirs[k])
			want := 0.0
			if k == j {
				want = 1
			}
			if math.Abs(o-want) > 1e-9 {
				t.Errorf("directions %d·%d = %.3g", k, j, o)
			}
		}
	}
	// 4 centred rows span at most 3 directions.
	for j := 3; j < 6; j++ {
		if res.Var[j] > 1e-9*res.Var[0] {
			t.Errorf("direction %d beyond the rank has variance %.3g", j, res.Var[j])
		}
	}
}

func TestErrors(t *testing.T) {
	a, _ := planted[float32](10, 8, []float64{1}, 0.1, 2)
	for _, o := range []Options[float32]{{K: 0, Iters: 1}, {K: 9, Iters: 1}, {K: 1, Iters: 0}} {
		if _, err := Top[float32](a, o); !errors.Is(err, ErrOptions) {
			t.Errorf("K=%d Iters=%d: error %v, want ErrOptions", o.K, o.Iters, err)
		}
	}
	boom := errors.New("scan failed")
	a.fail = boom
	if _, err := Top[float32](a, Options[float32]{K: 1, Iters: 1}); !errors.Is(err, boom) {
		t.Errorf("error %v, want the product's", err)
	}
}
