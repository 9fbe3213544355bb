package index

import (
	"math"
	"math/rand/v2"

	"github.com/vecimg/vecimg/internal/eigen"
)

// pcaIters is the number of power iterations of topComponents: with the
// steep spectra of image features two already give the leading directions.
// pcaRows caps the sample rows it uses (the codebook's mean and steps use
// the whole sample): 4,096 rows pin down 256 directions well and keep the
// fit to a few seconds.
const (
	pcaIters = 2
	pcaRows  = 4096
)

// topComponents returns the k leading principal directions (unit rows of
// length dim, descending variance) of the centred rows x, and the variance
// along each, by randomised subspace iteration (Halko, Martinsson & Tropp,
// "Finding structure with randomness", 2011, algorithm 4.4) with 16 extra
// directions and a Rayleigh-Ritz step (internal/eigen). It never forms the
// dim × dim covariance: each iteration costs two passes of n·dim·(k+16)
// multiply-adds, spread over all cores.
func topComponents(x [][]float32, dim, k int, seed uint64) ([][]float32, []float64) {
	if len(x) > pcaRows {
		sub := make([][]float32, pcaRows)
		for i := range sub {
			sub[i] = x[i*len(x)/pcaRows]
		}
		x = sub
	}
	n := len(x)
	l := min(dim, k+16)
	rng := rand.New(rand.NewPCG(seed, 0x5ca1ab1e))
	q := make([][]float32, l)
	for j := range q {
		q[j] = make([]float32, dim)
		for i := range q[j] {
			q[j][i] = float32(rng.NormFloat64())
		}
	}
	orthonormalise(q, rng)
	// xt is x transposed (dim rows of n), so that both products are dot
	// products of contiguous rows.
	xt := make([][]float32, dim)
	for c := range xt {
		xt[c] = make([]float32, n)
	}
	parallelFor(dim/64+1, func(b int) {
		for c := b * 64; c < min(dim, (b+1)*64); c++ {
			for i, r := range x {
				xt[c][i] = r[c]
			}
		}
	})
	zt := make([][]float32, l) // (x·q)ᵀ: l rows of n
	for j := range zt {
		zt[j] = make([]float32, n)
	}
	project := func() {
		parallelFor(n, func(i int) {
			for j := range q {
				zt[j][i] = dot(x[i], q[j])
			}
		})
	}
	for range pcaIters {
		project()
		// q_j ← xᵀ z_j
		parallelFor(dim, func(c int) {
			for j := range q {
				q[j][c] = dot(zt[j], xt[c])
			}
		})
		orthonormalise(q, rng)
	}
	project()
	// b = (xq)ᵀ(xq)/n, l × l, then its eigenvectors rotate q.
	b := make([]float64, l*l)
	parallelFor(l, func(i int) {
		for j := i; j < l; j++ {
			v := float64(dot(zt[i], zt[j])) / float64(max(n, 1))
			b[i*l+j], b[j*l+i] = v, v
		}
	})
	vals, vecs := eigen.Symmetric(b, l) // decreasing
	rows := make([][]float32, k)
	vars := make([]float64, k)
	parallelFor(k, func(m int) {
		r := make([]float32, dim)
		for j := range l {
			w := float32(vecs[j*l+m])
			for i, f := range q[j] {
				r[i] += w * f
			}
		}
		rows[m] = r
		vars[m] = max(0, vals[m])
	})
	orthonormalise(rows, rng)
	return rows, vars
}

// orthonormalise makes the rows of q orthonormal in order (modified
// Gram-Schmidt, twice for accuracy). A row that depends on the earlier ones
// is replaced by a fresh random direction.
func orthonormalise(q [][]float32, rng *rand.Rand) {
	for i := range q {
		for attempt := 0; ; attempt++ {
			r := q[i]
			for range 2 {
				for _, p := range q[:i] {
					axpy(r, p, -dot(r, p))
				}
			}
			nn := math.Sqrt(float64(dot(r, r)))
			if nn > 1e-6 || attempt > 8 {
				if nn == 0 {
					nn = 1
				}
				s := float32(1 / nn)
				for j := range r {
					r[j] *= s
				}
				break
			}
			for j := range r {
				r[j] = float32(rng.NormFloat64())
			}
		}
	}
}

// axpy adds a·p to r.
func axpy(r, p []float32, a float32) {
	p = p[:len(r)]
	for i := range r {
		r[i] += a * p[i]
	}
}
