package pca

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/vecimg/vecimg/internal/eigen"
)

// Float is the element type of a Matrix: float32 or float64.
type Float interface{ ~float32 | ~float64 }

// Matrix is a centred data matrix A, Rows × Cols (one row per vector),
// known only through two products. Both are given a batch of l vectors,
// each a separate slice, and fill out, whose slices have the right lengths.
type Matrix[F Float] interface {
	Rows() int
	Cols() int
	// Mul sets out[j] = A·m[j] (m[j] has Cols values, out[j] Rows).
	Mul(m, out [][]F) error
	// MulT sets out[j] = Aᵀ·y[j] (y[j] has Rows values, out[j] Cols).
	MulT(y, out [][]F) error
}

// Options are the parameters of Top.
type Options[F Float] struct {
	K     int // leading directions wanted, 1 ≤ K ≤ Cols
	Extra int // extra sketch directions beyond K (the sketch has min(Cols, K+Extra))
	// Iters (≥ 1) is how many times AᵀA is applied to the sketch, two
	// products each. Halko et al.'s range finder with q power iterations
	// followed by their B = QᵀA step reaches the same subspace with
	// Iters = q+1.
	Iters int
	Seed  uint64 // seeds the Gaussian sketch; equal seeds give equal results
	// Project asks for the coordinates of every row along each direction
	// (A·v), which come at no extra product.
	Project bool
	// Dot and For let a caller supply a fast dot product and a parallel
	// loop (For(n, f) calls f(0) … f(n-1), possibly concurrently); nil
	// means a plain loop and a serial one.
	Dot func(a, b []F) F
	For func(n int, f func(i int))
}

// Result holds the K leading directions in decreasing order of variance.
type Result[F Float] struct {
	// Dirs are orthonormal rows of Cols values. Sign convention: the entry
	// of largest magnitude (the first of equals) is positive, so equal
	// inputs and seeds give the same directions and the same signs.
	Dirs [][]F
	// Var is the variance along each direction: its eigenvalue of AᵀA/Rows,
	// as estimated from the sketch (never negative).
	Var []float64
	// Proj (with Options.Project) holds Rows coordinates per direction,
	// Proj[m][i] = A_i·Dirs[m].
	Proj [][]F
}

// ErrOptions reports an impossible K or Iters.
var ErrOptions = errors.New("pca: options out of range")

// Top returns the o.K leading principal directions of a (whose rows the
// caller has centred) by randomised subspace iteration (Halko, Martinsson
// & Tropp, "Finding structure with randomness", 2011, algorithm 4.4): a
// Gaussian sketch Q of l = min(Cols, K+Extra) directions, orthonormalised;
// Iters times Q ← orth(Aᵀ(A·Q)); then Z = A·Q and the eigenvectors W of
// ZᵀZ/Rows (Rayleigh–Ritz) rotate Q into the directions QW, with
// coordinates ZW. Cost: 2·Iters+1 products with l vectors, plus
// O(l²·(Rows+Cols)) for orthonormalisation and the rotation. An error from
// a product is returned as it is.
func Top[F Float](a Matrix[F], o Options[F]) (Result[F], error) {
	n, dim := a.Rows(), a.Cols()
	if o.K < 1 || o.K > dim {
		return Result[F]{}, fmt.Errorf("%w: %d directions asked of %d columns", ErrOptions, o.K, dim)
	}
	if o.Iters < 1 {
		return Result[F]{}, fmt.Errorf("%w: %d iterations, at least 1 needed", ErrOptions, o.Iters)
	}
	dot, pfor := o.Dot, o.For
	if dot == nil {
		dot = plainDot[F]
	}
	if pfor == nil {
		pfor = serialFor
	}
	k := o.K
	l := min(dim, k+max(o.Extra, 0))
	rng := rand.New(rand.NewPCG(o.Seed, 0x5ca1ab1e))
	q := make([][]F, l)
	for j := range q {
		q[j] = make([]F, dim)
		for i := range q[j] {
			q[j][i] = F(rng.NormFloat64())
		}
	}
	orthonormalise(q, rng, dot)
	z := make([][]F, l) // A·q: l rows of n
	for j := range z {
		z[j] = make([]F, n)
	}
	for range o.Iters {
		if err := a.Mul(q, z); err != nil {
			return Result[F]{}, err
		}
		if err := a.MulT(z, q); err != nil {
			return Result[F]{}, err
		}
		orthonormalise(q, rng, dot)
	}
	if err := a.Mul(q, z); err != nil {
		return Result[F]{}, err
	}
	// b = zᵀz/n, l × l; its eigenvectors rotate q.
	b := make([]float64, l*l)
	pfor(l, func(i int) {
		for j := i; j < l; j++ {
			v := float64(dot(z[i], z[j])) / float64(max(n, 1))
			b[i*l+j], b[j*l+i] = v, v
		}
	})
	vals, vecs := eigen.Symmetric(b, l) // decreasing
	res := Result[F]{Dirs: make([][]F, k), Var: make([]float64, k)}
	pfor(k, func(m int) {
		res.Dirs[m] = combine(q, vecs, l, m, dim)
		res.Var[m] = max(0, vals[m])
	})
	orthonormalise(res.Dirs, rng, dot)
	if o.Project {
		res.Proj = make([][]F, k)
		pfor(k, func(m int) { res.Proj[m] = combine(z, vecs, l, m, n) })
	}
	for m, d := range res.Dirs {
		if d[largest(d)] < 0 {
			negate(d)
			if res.Proj != nil {
				negate(res.Proj[m])
			}
		}
	}
	return res, nil
}

// combine returns Σ_j w[j][m]·rows[j], w being the l × l row-major
// eigenvector matrix.
func combine[F Float](rows [][]F, w []float64, l, m, size int) []F {
	r := make([]F, size)
	for j := range l {
		c := F(w[j*l+m])
		for i, f := range rows[j][:size] {
			r[i] += c * f
		}
	}
	return r
}

// orthonormalise makes the rows of q orthonormal in order (modified
// Gram-Schmidt, twice for accuracy). A row that depends on the earlier ones
// is replaced by a fresh random direction.
func orthonormalise[F Float](q [][]F, rng *rand.Rand, dot func(a, b []F) F) {
	for i := range q {
		for attempt := 0; ; attempt++ {
			r := q[i]
			for range 2 {
				for _, p := range q[:i] {
					c := -dot(r, p)
					p = p[:len(r)]
					for j := range r {
						r[j] += c * p[j]
					}
				}
			}
			nn := math.Sqrt(float64(dot(r, r)))
			if nn > 1e-6 || attempt > 8 {
				if nn == 0 {
					nn = 1
				}
				s := F(1 / nn)
				for j := range r {
					r[j] *= s
				}
				break
			}
			for j := range r {
				r[j] = F(rng.NormFloat64())
			}
		}
	}
}

// largest is the index of the first entry of largest magnitude.
func largest[F Float](v []F) int {
	at, big := 0, F(0)
	for i, f := range v {
		if f < 0 {
			f = -f
		}
		if f > big {
			at, big = i, f
		}
	}
	return at
}

func negate[F Float](v []F) {
	for i := range v {
		v[i] = -v[i]
	}
}

func plainDot[F Float](a, b []F) F {
	var s F
	for i, f := range a {
		s += f * b[i]
	}
	return s
}

func serialFor(n int, f func(i int)) {
	for i := range n {
		f(i)
	}
}
