package index

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// linkCase returns a random code and weights like a codebook's linkW for
// codes of dimension n: the largest weight times 127 is linkQMax(n).
func linkCase(rng *rand.Rand, n int) ([]float32, []int8) {
	w := make([]float32, n)
	c := make([]int8, n)
	qmax := float32(linkQMax(n))
	for i := range w {
		// a decaying spectrum, as PCA steps have, with the first the largest
		w[i] = qmax / 127 / float32(1+i%97)
		c[i] = int8(rng.IntN(255) - 127)
	}
	return w, c
}

// TestLinkKernels checks the integer construction kernels (quantQuery,
// dotCode16) against the plain Go loops: they must be equal exactly, on
// every length, including the largest values the scale allows.
func TestLinkKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 15, 16, 17, 31, 32, 33, 48, 64, 96, 200, 256, 4096, 4099} {
		w, c := linkCase(rng, n)
		a, b := make([]int16, n), make([]int16, n)
		quantQuery(a, w, c)
		quantQueryGo(b, w, c)
		if !slices.Equal(a, b) {
			t.Errorf("n=%d: quantQuery differs from quantQueryGo", n)
		}
		if got, want := dotCode16(a, c), dotCode16Go(a, c); got != want {
			t.Errorf("n=%d: dotCode16 %d, dotCode16Go %d", n, got, want)
		}
		// Extremes: every term at the largest magnitude, one sign.
		hi := make([]int16, n)
		lo := make([]int8, n)
		for i := range hi {
			hi[i], lo[i] = int16(linkQMax(n)), -127
		}
		want := -int64(linkQMax(n)) * 127 * int64(n)
		if want < math.MinInt32 {
			t.Fatalf("n=%d: linkQMax lets the sum overflow int32", n)
		}
		if got := dotCode16(hi, lo); int64(got) != want {
			t.Errorf("n=%d: extreme dotCode16 %d, want %d", n, got, want)
		}
	}
	// Ties round to even, as the CPU's conversion does.
	w := []float32{0.5, 1.5, 2.5, -0.5, -1.5, 0.5, 1.5, 2.5, -0.5, -1.5, 0.5, 1.5, 2.5, -0.5, -1.5, 3.5}
	c := make([]int8, len(w))
	for i := range c {
		c[i] = 1
	}
	a, b := make([]int16, len(w)), make([]int16, len(w))
	quantQuery(a, w, c)
	quantQueryGo(b, w, c)
	if !slices.Equal(a, b) || b[0] != 0 || b[1] != 2 || b[2] != 2 || b[4] != -2 {
		t.Errorf("ties: quantQuery %v, quantQueryGo %v", a, b)
	}
}

// TestLinkQueryError checks that the integer form of a node's query gives
// nearly the distance of the float32 form: within the rounding bound
// linkS/2·Σ|c'| (plus float32 rounding of both sums).
func TestLinkQueryError(t *testing.T) {
	base, _ := fc6Data(2500, 1)
	x := build(t, sourceOf(base), 512, fastCfg)
	var qf, qi query
	worst := 0.0
	for s := range uint32(50) {
		x.nodeQuery(&qf, s)
		x.linkQuery(&qi, s)
		for u := range uint32(x.slots()) {
			df, di := x.dist(&qf, u), x.dist(&qi, u)
			var l1 float64
			for _, v := range x.code(u) {
				l1 += math.Abs(float64(v))
			}
			bound := float64(x.cb.linkS)/2*l1 + 1e-5
			if g := math.Abs(float64(df - di)); g > bound {
				t.Fatalf("slot %d→%d: float %v, integer %v, gap %g above bound %g", s, u, df, di, g, bound)
			} else {
				worst = max(worst, g/bound)
			}
		}
	}
	t.Logf("largest gap / bound: %.3f", worst)
}

// TestProjectRows checks the blocked projection against float64 dot
// products within the proven bound of float32 summation, |error| ≤
// γₙ·Σ|aᵢbᵢ| with γₙ = n·u/(1 − n·u), u = 2⁻²⁴; and that a vector projects
// to the same bits alone as inside a block (a query and a stored vector
// must project alike).
func TestProjectRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sz := range []struct{ dim, cdim, nv int }{{64, 8, 1}, {64, 8, 5}, {512, 256, 16}, {4096, 256, 3}, {40, 6, 3}} {
		basis := gauss(rng, sz.dim*sz.cdim, 1)
		ys := make([][]float32, sz.nv)
		zs := make([][]float32, sz.nv)
		for j := range ys {
			ys[j] = gauss(rng, sz.dim, 1)
			zs[j] = make([]float32, sz.cdim)
		}
		projectRows(basis, sz.dim, sz.cdim, ys, zs)
		zg := make([][]float32, sz.nv) // the portable path, checked alike
		for j := range zg {
			zg[j] = make([]float32, sz.cdim)
		}
		projectRowsGo(basis, sz.dim, sz.cdim, ys, zg)
		u := math.Ldexp(1, -24)
		gamma := float64(sz.dim) * u / (1 - float64(sz.dim)*u)
		for j, y := range ys {
			one := [][]float32{make([]float32, sz.cdim)}
			projectRows(basis, sz.dim, sz.cdim, [][]float32{y}, one)
			if !slices.Equal(one[0], zs[j]) {
				t.Errorf("%+v: vector %d projects differently alone than in its block", sz, j)
			}
			for k := range sz.cdim {
				var exact, abs float64
				for i := range sz.dim {
					p := float64(basis[k*sz.dim+i]) * float64(y[i])
					exact += p
					abs += math.Abs(p)
				}
				for _, z := range [][][]float32{zs, zg} {
					if g := math.Abs(float64(z[j][k]) - exact); g > gamma*abs {
						t.Fatalf("%+v: z[%d][%d] = %v, exact %v: error %g above the bound %g", sz, j, k, z[j][k], exact, g, gamma*abs)
					}
				}
			}
		}
	}
}

// TestKernLen: the kernels read whole blocks of the row where the row has
// room for them, never past it.
func TestKernLen(t *testing.T) {
	for _, c := range []struct{ cdim, want int }{{252, 256}, {256, 256}, {4096, 4096}, {100, 104}, {5, 8}, {30, 32}, {1, 8}} {
		if got := kernLen(c.cdim); got != c.want || got > rowLen(c.cdim) || got < c.cdim {
			t.Errorf("kernLen(%d) = %d, want %d (row %d)", c.cdim, got, c.want, c.cdim)
		}
	}
}

// TestPaddedKernels: distances computed over the padded rows (the code's
// padding and the float32 at the row's end, times the query's zeros) equal
// those over the code alone: exactly for the integer form that builds the
// graph, within float32 rounding for the query form.
func TestPaddedKernels(t *testing.T) {
	base, qs := fc6Data(600, 8)
	x := build(t, sourceOf(base), len(base[0]), fastCfg)
	if x.cb.cdim != DefaultCodeDim || x.cb.klen != 256 {
		t.Fatalf("code dim %d, kernel length %d: want %d and 256", x.cb.cdim, x.cb.klen, DefaultCodeDim)
	}
	var lq query
	for a := range uint32(20) {
		x.linkQuery(&lq, a)
		for s := range uint32(x.slots()) {
			want := 1 - (lq.c0 + x.bias(s) + lq.is*float32(dotCode16Go(lq.iv[:x.cb.cdim], x.code(s))))
			if got := x.dist(&lq, s); got != want {
				t.Fatalf("link distance %d → %d: %v over the row, %v over the code", a, s, got, want)
			}
		}
	}
	for _, q := range qs {
		c := &searchCtx{unit: make([]float32, x.dim)}
		normalise(c.unit, q, x.dim)
		x.prepareQuery(c, c.unit)
		for s := range uint32(x.slots()) {
			want := 1 - (c.q.c0 + x.bias(s) + dotCodeGo(c.q.v[:x.cb.cdim], x.code(s)))
			if got := x.dist(&c.q, s); math.Abs(float64(got-want)) > 1e-5 {
				t.Fatalf("query distance to %d: %v over the row, %v over the code", s, got, want)
			}
			fw := dotCodeGo(c.q.v[:x.cb.cdim], x.fineCode(s))
			if fg := dotCode(c.q.v, x.kfine(s)); math.Abs(float64(fg-fw)) > 1e-5*(1+math.Abs(float64(fw))) {
				t.Fatalf("fine dot product of %d: %v over the row, %v over the code", s, fg, fw)
			}
		}
	}
}
